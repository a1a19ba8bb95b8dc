import Crypto

/// The Bet Engine's request signature (reference §3): HMAC-SHA256 keyed with the operator's
/// secret (UTF-8) over the Unix timestamp in seconds followed directly by the body exactly as
/// sent, written as 64 lowercase hex digits.
public enum JackpotSignature {
    /// The signature of `body` sent at `timestamp` (Unix seconds) under `secret`.
    public static func sign(secret: String, timestamp: Int64, body: [UInt8]) -> String {
        var message = Array(String(timestamp).utf8)
        message.append(contentsOf: body)
        let key = SymmetricKey(data: Array(secret.utf8))
        let code = HMAC<SHA256>.authenticationCode(for: message, using: key)
        let hex = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in code {
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Whether `signature` is the signature of `body` at `timestamp` under `secret`
    /// (compared in constant time).
    public static func verify(signature: String, secret: String, timestamp: Int64, body: [UInt8]) -> Bool {
        let expected = Array(sign(secret: secret, timestamp: timestamp, body: body).utf8)
        let given = Array(signature.utf8)
        guard expected.count == given.count else { return false }
        var difference: UInt8 = 0
        for index in expected.indices { difference |= expected[index] ^ given[index] }
        return difference == 0
    }
}
