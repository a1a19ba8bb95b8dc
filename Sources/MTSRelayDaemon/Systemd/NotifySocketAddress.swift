import Glibc

/// The `AF_UNIX` address named by `NOTIFY_SOCKET`, as the bytes of a `sockaddr_un` and the
/// length to pass to `sendto`.
///
/// systemd's convention (sd_notify(3)): a value starting with `/` is a socket in the file
/// system; one starting with `@` is an abstract socket, whose name is the rest of the value
/// after a leading NUL byte. The length of a path address counts the path's terminating NUL;
/// the length of an abstract address counts exactly the NUL and the name bytes (abstract names
/// are not NUL-terminated, and a different length names a different socket).
struct NotifySocketAddress: Sendable, CustomStringConvertible {
    /// Why a `NOTIFY_SOCKET` value cannot be used.
    enum Problem: Error, Equatable, CustomStringConvertible {
        case empty
        case notAbsoluteOrAbstract(String)
        case emptyAbstractName
        case tooLong(String, limit: Int)

        var description: String {
            switch self {
            case .empty:
                return "NOTIFY_SOCKET is empty"
            case .emptyAbstractName:
                return "NOTIFY_SOCKET=@ names no abstract socket"
            case .notAbsoluteOrAbstract(let value):
                return "NOTIFY_SOCKET=\(value) is neither an absolute path nor an abstract name (@...)"
            case .tooLong(let value, let limit):
                return "NOTIFY_SOCKET=\(value) is longer than the \(limit) bytes a sockaddr_un holds"
            }
        }
    }

    /// The value of `NOTIFY_SOCKET`, for log lines.
    let value: String
    /// The address; the first `length` bytes of it are meaningful.
    private let address: sockaddr_un
    /// What to pass as the address length to `sendto`/`bind`.
    let length: socklen_t

    /// Parses a `NOTIFY_SOCKET` value.
    /// - Throws: `Problem` when it is empty, relative, or too long for `sun_path`.
    init(_ value: String) throws(Problem) {
        guard let first = value.utf8.first else { throw .empty }
        let isAbstract = first == UInt8(ascii: "@")
        guard isAbstract || first == UInt8(ascii: "/") else { throw .notAbsoluteOrAbstract(value) }

        var pathBytes = Array(value.utf8)
        if isAbstract {
            guard pathBytes.count > 1 else { throw .emptyAbstractName }
            pathBytes[0] = 0  // "@name" -> "\0name", not terminated
        } else {
            pathBytes.append(0)  // "/path" -> "/path\0"
        }
        var address = sockaddr_un()
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count <= capacity else {
            // The limit on the value: a path needs room for its NUL, "@" becomes the NUL.
            throw .tooLong(value, limit: isAbstract ? capacity : capacity - 1)
        }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            path.copyBytes(from: pathBytes)
        }
        self.value = value
        self.address = address
        self.length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + pathBytes.count)
    }

    /// Whether this is an abstract socket (`@name`).
    var isAbstract: Bool { value.utf8.first == UInt8(ascii: "@") }

    var description: String { value }

    /// Calls `body` with a pointer to the `sockaddr` and its length.
    func withSockaddr<Result>(
        _ body: (UnsafePointer<sockaddr>, socklen_t) throws -> Result
    ) rethrows -> Result {
        try withUnsafePointer(to: address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, length) }
        }
    }
}
