/// The rule for text the correlation store keeps (the correlation id, the operation, the
/// content type, the ticket id): what both backends hold alike, so that a message is refused
/// at classification instead of failing a store write, and SQLite and PostgreSQL decide it the
/// same way.
///
/// - U+0000: PostgreSQL `text` refuses it (SQLSTATE 22021), and SQLite stores it but reads the
///   text back cut at it, so a recovered id would differ from the one registered.
/// - Length of an id: the key `(correlation_id, group_name)` is a btree index, whose entries
///   PostgreSQL limits to about 2 700 bytes (a third of a page; SQLSTATE 54000 past it). The
///   limit below leaves room for the group name and is far above any id MTS clients use.
///
/// Lone surrogates need no rule here: the JSON parser refuses them (a `\uD800` escape without
/// its pair, or such bytes in UTF-8), and a Swift `String` cannot hold one.
public enum StorableText {
    /// The longest correlation id kept, in UTF-8 bytes.
    public static let maximumIdBytes = 1024

    /// Why the store cannot hold `text`, or nil when it can. `maximumBytes` bounds its UTF-8
    /// length (ids); nil means no bound beyond the message size.
    public static func problem(_ text: String, maximumBytes: Int? = nil) -> String? {
        if text.utf8.contains(0) {
            return "contains U+0000 (NUL), which the correlation store cannot hold"
        }
        if let maximumBytes {
            let count = text.utf8.count
            if count > maximumBytes {
                return
                    "is \(count) bytes of UTF-8, more than the \(maximumBytes) the correlation store's index holds"
            }
        }
        return nil
    }
}
