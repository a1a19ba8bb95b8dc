internal import CRabbitMQ

// Copies of C values into Swift ones. librabbitmq's decoded frames live in its connection
// pool, which `amqp_maybe_release_buffers` recycles: everything is copied out at once.

extension amqp_bytes_t {
    var byteArray: [UInt8] {
        guard len > 0, let bytes else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: len))
    }

    /// The bytes as text; invalid UTF-8 is repaired rather than dropped.
    var string: String {
        guard len > 0, let bytes else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: bytes, count: len), as: UTF8.self)
    }
}

extension amqp_table_t {
    var swiftTable: AMQPTable {
        var result = AMQPTable(minimumCapacity: Int(num_entries))
        for index in 0..<Int(num_entries) {
            let entry = entries[index]
            result[entry.key.string] = entry.value.swiftValue
        }
        return result
    }
}

extension amqp_field_value_t {
    var swiftValue: AMQPFieldValue {
        switch UInt32(kind) {
        case AMQP_FIELD_KIND_BOOLEAN.rawValue: .bool(value.boolean != 0)
        case AMQP_FIELD_KIND_I8.rawValue: .int8(value.i8)
        case AMQP_FIELD_KIND_U8.rawValue: .uint8(value.u8)
        case AMQP_FIELD_KIND_I16.rawValue: .int16(value.i16)
        case AMQP_FIELD_KIND_U16.rawValue: .uint16(value.u16)
        case AMQP_FIELD_KIND_I32.rawValue: .int32(value.i32)
        case AMQP_FIELD_KIND_U32.rawValue: .uint32(value.u32)
        case AMQP_FIELD_KIND_I64.rawValue: .int64(value.i64)
        case AMQP_FIELD_KIND_U64.rawValue: .uint64(value.u64)
        case AMQP_FIELD_KIND_F32.rawValue: .float(value.f32)
        case AMQP_FIELD_KIND_F64.rawValue: .double(value.f64)
        case AMQP_FIELD_KIND_DECIMAL.rawValue:
            .decimal(scale: value.decimal.decimals, value: value.decimal.value)
        case AMQP_FIELD_KIND_UTF8.rawValue: .string(value.bytes.string)
        case AMQP_FIELD_KIND_BYTES.rawValue: .bytes(value.bytes.byteArray)
        case AMQP_FIELD_KIND_TIMESTAMP.rawValue: .timestamp(value.u64)
        case AMQP_FIELD_KIND_TABLE.rawValue: .table(value.table.swiftTable)
        case AMQP_FIELD_KIND_ARRAY.rawValue:
            .array((0..<Int(value.array.num_entries)).map { value.array.entries[$0].swiftValue })
        default: .void
        }
    }
}

extension amqp_basic_properties_t {
    var swiftProperties: AMQPProperties {
        var properties = AMQPProperties()
        func has(_ flag: amqp_flags_t) -> Bool { _flags & flag != 0 }
        if has(MTS_FLAG_CONTENT_TYPE) { properties.contentType = content_type.string }
        if has(MTS_FLAG_CONTENT_ENCODING) { properties.contentEncoding = content_encoding.string }
        if has(MTS_FLAG_HEADERS) { properties.headers = headers.swiftTable }
        if has(MTS_FLAG_DELIVERY_MODE) { properties.deliveryMode = .init(rawValue: delivery_mode) }
        if has(MTS_FLAG_PRIORITY) { properties.priority = priority }
        if has(MTS_FLAG_CORRELATION_ID) { properties.correlationID = correlation_id.string }
        if has(MTS_FLAG_REPLY_TO) { properties.replyTo = reply_to.string }
        if has(MTS_FLAG_EXPIRATION) { properties.expiration = expiration.string }
        if has(MTS_FLAG_MESSAGE_ID) { properties.messageID = message_id.string }
        if has(MTS_FLAG_TIMESTAMP) { properties.timestamp = timestamp }
        if has(MTS_FLAG_TYPE) { properties.type = type.string }
        if has(MTS_FLAG_USER_ID) { properties.userID = user_id.string }
        if has(MTS_FLAG_APP_ID) { properties.appID = app_id.string }
        return properties
    }
}

extension AMQPError {
    /// An error from a librabbitmq status code, in the library's own words.
    init(status: Int32, context: String) {
        let text = String(cString: amqp_error_string2(status))
        let code: Code
        switch status {
        case AMQP_STATUS_HEARTBEAT_TIMEOUT.rawValue: code = .heartbeatMissed
        case AMQP_STATUS_TIMEOUT.rawValue: code = .timeout
        case AMQP_STATUS_SSL_ERROR.rawValue, AMQP_STATUS_SSL_HOSTNAME_VERIFY_FAILED.rawValue,
            AMQP_STATUS_SSL_PEER_VERIFY_FAILED.rawValue, AMQP_STATUS_SSL_CONNECTION_FAILED.rawValue,
            AMQP_STATUS_SSL_SET_ENGINE_FAILED.rawValue:
            code = .tlsFailed
        case AMQP_STATUS_BAD_AMQP_DATA.rawValue, AMQP_STATUS_UNKNOWN_CLASS.rawValue,
            AMQP_STATUS_UNKNOWN_METHOD.rawValue, AMQP_STATUS_WRONG_METHOD.rawValue,
            AMQP_STATUS_UNEXPECTED_STATE.rawValue:
            code = .protocolViolation
        default: code = .transportFailed
        }
        self.init(code: code, reason: "\(context): \(text)", libraryStatus: status)
    }
}
