internal import CRabbitMQ

/// Memory for the C values built from Swift ones for one librabbitmq call.
///
/// librabbitmq reads tables, strings and properties through raw pointers; the arena keeps
/// them alive in one `amqp_pool_t` until the arena goes away, right after the call. It is
/// used on the connection's own thread only.
final class CArena {
    private let pool: UnsafeMutablePointer<amqp_pool_t>

    init() {
        pool = .allocate(capacity: 1)
        // 4 KiB pages: a declare's arguments or a message's headers fit in one.
        init_amqp_pool(pool, 4096)
    }

    deinit {
        empty_amqp_pool(pool)
        pool.deallocate()
    }

    /// A copy of the bytes, alive as long as the arena. `amqp_bytes_t` is not NUL-terminated.
    func bytes<Bytes: Collection<UInt8>>(_ source: Bytes) -> amqp_bytes_t {
        let count = source.count
        guard count > 0, let memory = amqp_pool_alloc(pool, count) else {
            return amqp_bytes_t(len: 0, bytes: nil)
        }
        let buffer = UnsafeMutableRawBufferPointer(start: memory, count: count)
        _ = buffer.initializeMemory(as: UInt8.self, from: source)
        return amqp_bytes_t(len: count, bytes: memory)
    }

    func bytes(_ string: String) -> amqp_bytes_t { bytes(string.utf8) }

    /// A NUL-terminated copy of the string, alive as long as the arena.
    func cString(_ string: String) -> UnsafePointer<CChar> {
        let utf8 = Array(string.utf8) + [0]
        let memory = amqp_pool_alloc(pool, utf8.count)!
        memory.copyMemory(from: utf8, byteCount: utf8.count)
        return UnsafePointer(memory.assumingMemoryBound(to: CChar.self))
    }

    func table(_ table: AMQPTable) -> amqp_table_t {
        guard !table.isEmpty else { return amqp_empty_table }
        let entries = amqp_pool_alloc(pool, MemoryLayout<amqp_table_entry_t>.stride * table.count)!
            .bindMemory(to: amqp_table_entry_t.self, capacity: table.count)
        // Sorted, so that the same table always encodes to the same bytes.
        for (index, (key, value)) in table.sorted(by: { $0.key < $1.key }).enumerated() {
            (entries + index).initialize(to: amqp_table_entry_t(key: bytes(key), value: field(value)))
        }
        return amqp_table_t(num_entries: Int32(table.count), entries: entries)
    }

    func field(_ value: AMQPFieldValue) -> amqp_field_value_t {
        var field = amqp_field_value_t()
        func kind(_ kind: amqp_field_value_kind_t) -> UInt8 { UInt8(truncatingIfNeeded: kind.rawValue) }
        switch value {
        case .bool(let v):
            field.kind = kind(AMQP_FIELD_KIND_BOOLEAN)
            field.value.boolean = v ? 1 : 0
        case .int8(let v):
            field.kind = kind(AMQP_FIELD_KIND_I8)
            field.value.i8 = v
        case .uint8(let v):
            field.kind = kind(AMQP_FIELD_KIND_U8)
            field.value.u8 = v
        case .int16(let v):
            field.kind = kind(AMQP_FIELD_KIND_I16)
            field.value.i16 = v
        case .uint16(let v):
            field.kind = kind(AMQP_FIELD_KIND_U16)
            field.value.u16 = v
        case .int32(let v):
            field.kind = kind(AMQP_FIELD_KIND_I32)
            field.value.i32 = v
        case .uint32(let v):
            field.kind = kind(AMQP_FIELD_KIND_U32)
            field.value.u32 = v
        case .int64(let v):
            field.kind = kind(AMQP_FIELD_KIND_I64)
            field.value.i64 = v
        case .uint64(let v):
            field.kind = kind(AMQP_FIELD_KIND_U64)
            field.value.u64 = v
        case .float(let v):
            field.kind = kind(AMQP_FIELD_KIND_F32)
            field.value.f32 = v
        case .double(let v):
            field.kind = kind(AMQP_FIELD_KIND_F64)
            field.value.f64 = v
        case .decimal(let scale, let v):
            field.kind = kind(AMQP_FIELD_KIND_DECIMAL)
            field.value.decimal = amqp_decimal_t(decimals: scale, value: v)
        case .string(let v):
            field.kind = kind(AMQP_FIELD_KIND_UTF8)
            field.value.bytes = bytes(v)
        case .bytes(let v):
            field.kind = kind(AMQP_FIELD_KIND_BYTES)
            field.value.bytes = bytes(v)
        case .timestamp(let v):
            field.kind = kind(AMQP_FIELD_KIND_TIMESTAMP)
            field.value.u64 = v
        case .table(let v):
            field.kind = kind(AMQP_FIELD_KIND_TABLE)
            field.value.table = table(v)
        case .array(let values):
            field.kind = kind(AMQP_FIELD_KIND_ARRAY)
            let entries = amqp_pool_alloc(
                pool, MemoryLayout<amqp_field_value_t>.stride * max(values.count, 1))!
                .bindMemory(to: amqp_field_value_t.self, capacity: max(values.count, 1))
            for (index, element) in values.enumerated() {
                (entries + index).initialize(to: self.field(element))
            }
            field.value.array = amqp_array_t(num_entries: Int32(values.count), entries: entries)
        case .void:
            field.kind = kind(AMQP_FIELD_KIND_VOID)
        }
        return field
    }

    /// The C form of message properties; only the set ones get their flag.
    func properties(_ properties: AMQPProperties) -> amqp_basic_properties_t {
        var c = amqp_basic_properties_t()
        var flags: amqp_flags_t = 0
        func set(
            _ value: String?, _ flag: amqp_flags_t,
            _ field: WritableKeyPath<amqp_basic_properties_t, amqp_bytes_t>
        ) {
            guard let value else { return }
            c[keyPath: field] = bytes(value)
            flags |= flag
        }
        set(properties.contentType, MTS_FLAG_CONTENT_TYPE, \.content_type)
        set(properties.contentEncoding, MTS_FLAG_CONTENT_ENCODING, \.content_encoding)
        set(properties.correlationID, MTS_FLAG_CORRELATION_ID, \.correlation_id)
        set(properties.replyTo, MTS_FLAG_REPLY_TO, \.reply_to)
        set(properties.expiration, MTS_FLAG_EXPIRATION, \.expiration)
        set(properties.messageID, MTS_FLAG_MESSAGE_ID, \.message_id)
        set(properties.type, MTS_FLAG_TYPE, \.type)
        set(properties.userID, MTS_FLAG_USER_ID, \.user_id)
        set(properties.appID, MTS_FLAG_APP_ID, \.app_id)
        if let headers = properties.headers {
            c.headers = table(headers)
            flags |= MTS_FLAG_HEADERS
        }
        if let mode = properties.deliveryMode {
            c.delivery_mode = mode.rawValue
            flags |= MTS_FLAG_DELIVERY_MODE
        }
        if let priority = properties.priority {
            c.priority = priority
            flags |= MTS_FLAG_PRIORITY
        }
        if let timestamp = properties.timestamp {
            c.timestamp = timestamp
            flags |= MTS_FLAG_TIMESTAMP
        }
        c._flags = flags
        return c
    }
}
