internal import CNetlink
internal import Glibc

/// A NETLINK_NETFILTER socket (libmnl) for nf_tables, owned by this value and bound to the network
/// namespace it was opened in. It numbers its messages itself and reads every answer the kernel sends.
public struct NftSocket: ~Copyable {
    let sock: OpaquePointer
    /// Sequence numbers and what the kernel turned out to support; shared by the borrowing methods.
    let state: UnsafeMutablePointer<State>
    /// The namespace path the socket is bound to, for messages.
    public let netnsPath: String

    struct State {
        var nextSequence: UInt32
        /// nil until a batch tried NFT_MSG_DESTROY*; false on kernels before 6.3.
        var destroySupported: Bool?
    }

    /// Opens a socket in the calling thread's current network namespace.
    public init() throws(NetlinkError) {
        try self.init(boundTo: "current netns")
    }

    /// Opens a socket inside `netns`; the calling thread returns to its own namespace afterwards.
    public init(in netns: borrowing NetNS) throws {
        self = try netns.run { try NftSocket(boundTo: netns.path) }
    }

    private init(boundTo path: String) throws(NetlinkError) {
        guard let sock = mnl_socket_open2(NETLINK_NETFILTER, Int32(SOCK_CLOEXEC.rawValue)) else {
            throw .posix("open nftables socket", path)
        }
        guard mnl_socket_bind(sock, 0, 0) == 0 else {
            let code = errno
            mnl_socket_close(sock)
            throw .posix("bind nftables socket", path, errno: code)
        }
        // Acks carry only the header of the message they answer, not the whole request.
        var on: Int32 = 1
        _ = mnl_socket_setsockopt(sock, NETLINK_CAP_ACK, &on, socklen_t(MemoryLayout<Int32>.size))
        // The kernel answers a batch while it is being sent; this only guards against a lost answer.
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        _ = setsockopt(mnl_socket_get_fd(sock), SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        self.sock = sock
        self.netnsPath = path
        state = .allocate(capacity: 1)
        state.initialize(to: State(nextSequence: UInt32(truncatingIfNeeded: time(nil)), destroySupported: nil))
    }

    deinit {
        mnl_socket_close(sock)
        state.deallocate()
    }

    /// The netlink port id the kernel gave this socket.
    public var portID: UInt32 { mnl_socket_get_portid(sock) }

    var fd: Int32 { mnl_socket_get_fd(sock) }

    /// `count` consecutive sequence numbers.
    func takeSequenceNumbers(_ count: UInt32) -> UInt32 {
        let first = state.pointee.nextSequence
        state.pointee.nextSequence = first &+ count
        return first
    }

    /// Makes the socket buffers big enough for a batch of `messages` messages and `bytes` bytes:
    /// the kernel refuses a send larger than the send buffer and drops acks that overflow the receive buffer.
    func reserveBuffers(messages: Int, bytes: Int) {
        grow(SO_SNDBUF, SO_SNDBUFFORCE, to: bytes + 65536)
        grow(SO_RCVBUF, SO_RCVBUFFORCE, to: messages * 2048 + 65536)
    }

    private func grow(_ option: Int32, _ forceOption: Int32, to wanted: Int) {
        var current: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, option, &current, &length) == 0, Int(current) < wanted else { return }
        // The kernel doubles the value it is given and reports the doubled value.
        var value = Int32(clamping: wanted / 2 + 1)
        if setsockopt(fd, SOL_SOCKET, forceOption, &value, length) != 0 {
            _ = setsockopt(fd, SOL_SOCKET, option, &value, length)
        }
    }

    /// Sends already built messages (one netlink datagram).
    func send(_ iov: UnsafeMutablePointer<iovec>, count: Int, what: String) throws(NetlinkError) {
        var address = sockaddr_nl()
        address.nl_family = sa_family_t(AF_NETLINK)
        let sent = withUnsafeMutablePointer(to: &address) { pointer in
            var message = msghdr()
            message.msg_name = UnsafeMutableRawPointer(pointer)
            message.msg_namelen = socklen_t(MemoryLayout<sockaddr_nl>.size)
            message.msg_iov = iov
            message.msg_iovlen = count
            return sendmsg(fd, &message, 0)
        }
        guard sent >= 0 else { throw .posix("send \(what)", "nftables in \(netnsPath)") }
    }

    /// Sends one request message from `buffer`.
    func send(_ buffer: UnsafeMutableRawPointer, length: Int, what: String) throws(NetlinkError) {
        var iov = iovec(iov_base: buffer, iov_len: length)
        try send(&iov, count: 1, what: what)
    }

    /// Reads one datagram and sorts its messages: acks and errors by the sequence number they answer,
    /// NLMSG_DONE and NLM_F_DUMP_INTR as flags, everything else to `onMessage`.
    /// Returns false when `dontWait` is set and nothing is queued.
    func receive(into replies: inout NftReplies, dontWait: Bool = false, what: String,
                 onMessage: (UnsafePointer<nlmsghdr>) -> Void = { _ in }) throws(NetlinkError) -> Bool {
        let size = 65536
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        defer { buffer.deallocate() }
        var received: Int
        // MSG_TRUNC: learn the datagram's real length, so a message too big for the buffer is an error, not a cut.
        let flags = Int32(MSG_TRUNC) | (dontWait ? Int32(MSG_DONTWAIT) : 0)
        repeat {
            received = recv(fd, buffer, size, flags)
        } while received < 0 && errno == EINTR
        if received > size {
            throw NetlinkError(operation: "read the answer to \(what)", object: "nftables in \(netnsPath)", errno: EMSGSIZE,
                               reason: "a \(received)-byte answer does not fit the \(size)-byte buffer")
        }
        if received < 0 {
            let code = errno
            if dontWait && (code == EAGAIN || code == EWOULDBLOCK) { return false }
            if code == EAGAIN {
                throw NetlinkError(operation: "read the answer to \(what)", object: "nftables in \(netnsPath)",
                                   errno: ETIMEDOUT, reason: "the kernel did not answer within 10 s")
            }
            throw .posix("read the answer to \(what)", "nftables in \(netnsPath)", errno: code)
        }
        let portID = self.portID
        var remaining = Int32(received)
        var header = UnsafePointer(buffer.assumingMemoryBound(to: nlmsghdr.self))
        while mnl_nlmsg_ok(header, remaining) {
            let message = header.pointee
            if message.nlmsg_pid == portID || message.nlmsg_pid == 0 {
                if message.nlmsg_flags & UInt16(NLM_F_DUMP_INTR) != 0 { replies.interrupted = true }
                switch Int32(message.nlmsg_type) {
                case NLMSG_ERROR:
                    let error = mnl_nlmsg_get_payload(header).assumingMemoryBound(to: nlmsgerr.self).pointee
                    replies.acks[error.msg.nlmsg_seq] = -error.error
                case NLMSG_DONE:
                    replies.done = true
                case NLMSG_NOOP, NLMSG_OVERRUN:
                    break
                default:
                    onMessage(header)
                }
            }
            header = UnsafePointer(mnl_nlmsg_next(header, &remaining))
        }
        return true
    }
}

/// What the kernel answered so far: errno per sequence number (0 for an ack), end of dump, interrupted dump.
struct NftReplies {
    var acks: [UInt32: Int32] = [:]
    var done = false
    var interrupted = false
}
