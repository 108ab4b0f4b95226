internal import CNetlink
internal import Glibc

/// An rtnetlink socket (libnl), owned by this value and bound to the network namespace it was opened in.
/// Errors keep the kernel's exact errno where libnl lets us see it: the socket's error callback records
/// it before libnl folds it into its own coarser NLE_* codes.
public struct RouteSocket: ~Copyable {
    let sock: OpaquePointer
    /// Where the kernel's errno of the last failed request lands (written by the C error callback).
    private let kernelErrno: UnsafeMutablePointer<Int32>
    /// The namespace path the socket is bound to, for messages.
    public let netnsPath: String

    /// Opens a socket in the calling thread's current network namespace.
    public init() throws(NetlinkError) {
        try self.init(boundTo: "current netns")
    }

    /// Opens a socket inside `netns`; the calling thread returns to its own namespace afterwards.
    public init(in netns: borrowing NetNS) throws {
        self = try netns.run { try RouteSocket(boundTo: netns.path) }
    }

    private init(boundTo path: String) throws(NetlinkError) {
        guard let sock = nl_socket_alloc() else {
            throw NetlinkError(operation: "allocate netlink socket", object: path, errno: ENOMEM, reason: "out of memory")
        }
        let box = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        box.initialize(to: 0)
        nl_socket_modify_err_cb(sock, NL_CB_CUSTOM, { _, err, arg in
            if let err, let arg { arg.assumingMemoryBound(to: Int32.self).pointee = -err.pointee.error }
            return Int32(NL_STOP.rawValue)
        }, box)
        let rc = nl_connect(sock, NETLINK_ROUTE)
        guard rc >= 0 else {
            nl_socket_free(sock)
            box.deallocate()
            throw NetlinkError(operation: "connect rtnetlink socket", object: path, errno: EIO,
                               libnlCode: -rc, reason: String(cString: nl_geterror(rc)))
        }
        self.sock = sock
        self.kernelErrno = box
        self.netnsPath = path
    }

    deinit {
        nl_socket_free(sock)
        kernelErrno.deallocate()
    }

    /// Runs one libnl call that returns 0 or a negative NLE_* code, and turns a failure into a
    /// NetlinkError carrying the kernel's errno when the kernel answered.
    func perform(_ operation: String, _ object: String, _ call: () -> Int32) throws(NetlinkError) {
        kernelErrno.pointee = 0
        let rc = call()
        guard rc < 0 else { return }
        let kernel = kernelErrno.pointee
        if kernel != 0 {
            throw .posix(operation, object, errno: kernel)
        }
        // Some libnl calls (rtnl_link_get_kernel) read the answer with a callback set of their own,
        // so the kernel's errno only arrives folded into an NLE code: unfold the unambiguous ones.
        let code = -rc
        throw NetlinkError(operation: operation, object: object, errno: RouteSocket.errno(forLibnl: code),
                           libnlCode: code, reason: String(cString: nl_geterror(rc)))
    }

    private static func errno(forLibnl code: Int32) -> Int32 {
        switch code {
        case NLE_NODEV: ENODEV
        case NLE_OBJ_NOTFOUND: ENOENT
        case NLE_EXIST: EEXIST
        case NLE_BUSY: EBUSY
        case NLE_PERM: EPERM
        case NLE_NOACCESS: EACCES
        case NLE_INVAL: EINVAL
        case NLE_RANGE: ERANGE
        case NLE_NOMEM: ENOMEM
        case NLE_AGAIN: EAGAIN
        case NLE_INTR: EINTR
        case NLE_OPNOTSUPP: EOPNOTSUPP
        case NLE_AF_NOSUPPORT: EAFNOSUPPORT
        default: 0
        }
    }
}
