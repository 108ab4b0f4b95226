internal import Glibc

/// A failed netlink or kernel operation: what was attempted, on which object, and why.
/// The kernel's errno and libnl's own NLE_* code are kept apart: `errno` is what the kernel (or libc)
/// said, `libnlCode` is set only when libnl itself failed without a kernel answer.
public struct NetlinkError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What was attempted, e.g. "set MTU", "create veth", "enter netns".
    public var operation: String
    /// The object: an interface name, a netns path, a sysctl path.
    public var object: String
    /// The errno the kernel or libc gave; 0 when the failure was libnl's own.
    public var errno: Int32
    /// libnl's NLE_* code when libnl failed on its own (no kernel errno); 0 otherwise.
    public var libnlCode: Int32
    /// A human explanation: strerror(errno) or libnl's message.
    public var reason: String

    public init(operation: String, object: String, errno: Int32, libnlCode: Int32 = 0, reason: String) {
        self.operation = operation
        self.object = object
        self.errno = errno
        self.libnlCode = libnlCode
        self.reason = reason
    }

    /// A failure that left `errno` set (libc calls).
    static func posix(_ operation: String, _ object: String, errno code: Int32 = Glibc.errno) -> NetlinkError {
        NetlinkError(operation: operation, object: object, errno: code, reason: String(cString: strerror(code)))
    }

    /// True when the kernel said the object does not exist (ENODEV, ENOENT, ESRCH).
    public var isNotFound: Bool { errno == ENODEV || errno == ENOENT || errno == ESRCH }
    /// True when the kernel said the object already exists.
    public var isExists: Bool { errno == EEXIST }
    /// True when retrying later may succeed (EBUSY, EAGAIN, EINTR).
    public var isTransient: Bool { errno == EBUSY || errno == EAGAIN || errno == EINTR }

    public var description: String { "\(operation) \(object): \(reason)" }
}
