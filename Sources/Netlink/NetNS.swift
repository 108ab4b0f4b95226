internal import Glibc
internal import CNetlinkShim

/// An open network namespace (a file descriptor on its nsfs inode), owned and closed on deinit.
public struct NetNS: ~Copyable {
    /// The path it was opened from, for messages.
    public let path: String
    let fd: Int32

    /// Opens a network namespace by path, e.g. `/var/run/netns/x` or `/proc/<pid>/ns/net`.
    /// Fails with ENOENT when it does not exist and EINVAL when the path is not a network namespace.
    public init(path: String) throws(NetlinkError) {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .posix("open netns", path) }
        guard NetNS.isNetworkNamespace(fd) else {
            Glibc.close(fd)
            throw NetlinkError(operation: "open netns", object: path, errno: EINVAL,
                               reason: "not a network namespace (expected an nsfs file such as /var/run/netns/NAME)")
        }
        self.path = path
        self.fd = fd
    }

    /// The network namespace the calling thread is in now.
    public static func current() throws(NetlinkError) -> NetNS {
        try NetNS(path: "/proc/thread-self/ns/net")
    }

    deinit { Glibc.close(fd) }

    /// True when both refer to the same namespace (same nsfs inode).
    public func isSame(as other: borrowing NetNS) -> Bool {
        var a = stat(), b = stat()
        return fstat(fd, &a) == 0 && fstat(other.fd, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino
    }

    /// Runs `body` with the calling thread inside this namespace, and always returns the thread to the
    /// namespace it was in, also when `body` throws. Sockets opened inside stay bound to this namespace.
    public func run<R: ~Copyable>(_ body: () throws -> R) throws -> R {
        let original = try NetNS.current()
        guard CNetlinkShim_setns_net(fd) == 0 else { throw NetlinkError.posix("enter netns", path) }
        defer {
            // Staying in the wrong namespace would make every later step act on the wrong node.
            if CNetlinkShim_setns_net(original.fd) != 0 {
                fatalError("cannot return to the original network namespace from \(path): errno \(errno)")
            }
        }
        return try body()
    }

    private static func isNetworkNamespace(_ fd: Int32) -> Bool { CNetlinkShim_is_netns(fd) == 1 }
}
