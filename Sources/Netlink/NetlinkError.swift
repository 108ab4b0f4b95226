/// A failed netlink or kernel operation: what was attempted, on which object, and the errno.
/// libnl's own NLE_* codes are mapped to errno once, where libnl is called, so callers see one kind.
public struct NetlinkError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What was attempted, e.g. "set MTU", "create veth", "enter netns".
    public var operation: String
    /// The object: an interface name, a netns path, a sysctl path.
    public var object: String
    /// The errno the kernel (or libc) gave; 0 when none applies.
    public var errno: Int32
    /// libnl's explanation when libnl reported the failure, otherwise strerror(errno).
    public var reason: String

    public init(operation: String, object: String, errno: Int32, reason: String) {
        self.operation = operation
        self.object = object
        self.errno = errno
        self.reason = reason
    }

    public var description: String { "\(operation) \(object): \(reason)" }
}
