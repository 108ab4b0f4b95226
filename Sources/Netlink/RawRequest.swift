internal import CNetlink
internal import Glibc

/// Hand-built rtnetlink requests for what libnl 3.7's objects cannot say (IFLA_BRPORT_ISOLATED arrived in
/// libnl 3.11) or do not keep (IFLA_INFO_SLAVE_DATA). The message is built with libnl's nlmsg/nla calls and
/// sent on this socket: it acts in the socket's namespace, and `perform` keeps the kernel's errno.
extension RouteSocket {
    /// Sends an RTM_* link request with an ifinfomsg header and the attributes `build` adds, and waits for
    /// the kernel's acknowledgement.
    func sendLinkRequest(_ operation: String, _ object: String, type: Int32, flags: Int32 = 0, header: ifinfomsg,
                         build: (OpaquePointer) -> Bool) throws(NetlinkError) {
        let message = try linkMessage(operation, object, type: type, flags: flags, header: header, build: build)
        // nl_send_sync completes the header (sequence, NLM_F_REQUEST|NLM_F_ACK), waits for the ack, frees.
        try perform(operation, object) { nl_send_sync(sock, message) }
    }

    /// Sends an RTM_GETLINK for `ifname` and returns the kernel's one-message answer (RTM_NEWLINK), whole.
    func queryLink(_ operation: String, _ ifname: String) throws(NetlinkError) -> [UInt8] {
        let object = describeObject(ifname)
        let message = try linkMessage(operation, object, type: Int32(RTM_GETLINK), header: ifinfomsg()) { message in
            nla_put_string(message, Int32(IFLA_IFNAME), ifname) == 0
        }
        defer { nlmsg_free(message) }
        try perform(operation, object) { min(nl_send_auto(sock, message), 0) }

        // A clone of the socket's callbacks keeps the error callback that records the kernel's errno.
        let socketCallbacks = nl_socket_get_cb(sock)!  // a new reference
        defer { nl_cb_put(socketCallbacks) }
        let callbacks = nl_cb_clone(socketCallbacks)!
        defer { nl_cb_put(callbacks) }
        let reply = UnsafeMutablePointer<[UInt8]>.allocate(capacity: 1)
        reply.initialize(to: [])
        defer { reply.deinitialize(count: 1); reply.deallocate() }
        nl_cb_set(callbacks, NL_CB_VALID, NL_CB_CUSTOM, { message, arg in
            guard let message, let arg, let header = nlmsg_hdr(message) else { return Int32(NL_SKIP.rawValue) }
            arg.assumingMemoryBound(to: [UInt8].self).pointee =
                Array(UnsafeRawBufferPointer(start: header, count: Int(header.pointee.nlmsg_len)))
            return Int32(NL_STOP.rawValue)
        }, reply)
        try perform(operation, object) { nl_recvmsgs(sock, callbacks) }
        // The kernel acknowledges a GET after answering it (libnl's rtnl_link_get_kernel does the same):
        // read the ack now so that it cannot be taken for the answer to the next request.
        try perform(operation, object) { nl_wait_for_ack(sock) }
        guard !reply.pointee.isEmpty else {
            throw NetlinkError(operation: operation, object: object, errno: EPROTO, reason: "the kernel sent no answer")
        }
        return reply.pointee
    }

    private func linkMessage(_ operation: String, _ object: String, type: Int32, flags: Int32 = 0, header: ifinfomsg,
                             build: (OpaquePointer) -> Bool) throws(NetlinkError) -> OpaquePointer {
        guard let message = nlmsg_alloc_simple(type, flags) else {
            throw NetlinkError(operation: operation, object: object, errno: ENOMEM, reason: "out of memory")
        }
        var header = header
        guard nlmsg_append(message, &header, MemoryLayout<ifinfomsg>.size, Int32(NLMSG_ALIGNTO)) == 0, build(message) else {
            nlmsg_free(message)
            throw NetlinkError(operation: operation, object: object, errno: EMSGSIZE, reason: "request does not fit a netlink message")
        }
        return message
    }
}

/// The attributes of one netlink attribute stream, by type (NLA_F_NESTED and NLA_F_NET_BYTEORDER masked off),
/// each holding its payload. Later duplicates win, as in nla_parse.
struct NetlinkAttributes {
    private(set) var payloads: [Int: [UInt8]] = [:]

    /// Walks `bytes` as a sequence of nlattr (u16 length including the 4-byte header, u16 type, payload,
    /// padded to 4 bytes). A truncated attribute ends the walk.
    init<Bytes: Collection<UInt8>>(_ bytes: Bytes) {
        let bytes = Array(bytes)
        var offset = 0
        while offset + 4 <= bytes.count {
            let length = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
            let type = (Int(bytes[offset + 2]) | Int(bytes[offset + 3]) << 8) & ~(Int(NLA_F_NESTED) | Int(NLA_F_NET_BYTEORDER))
            guard length >= 4, offset + length <= bytes.count else { break }
            payloads[type] = Array(bytes[(offset + 4)..<(offset + length)])
            offset += (length + 3) & ~3
        }
    }

    /// The attributes after the netlink header and a family header of `familyHeaderSize` bytes.
    init(message: [UInt8], familyHeaderSize: Int) {
        let start = RouteSocket.align(MemoryLayout<nlmsghdr>.size) + RouteSocket.align(familyHeaderSize)
        self.init(message.count > start ? message[start...] : [])
    }

    subscript(type: Int) -> [UInt8]? { payloads[type] }

    func nested(_ type: Int) -> NetlinkAttributes? { payloads[type].map { NetlinkAttributes($0) } }

    func u8(_ type: Int) -> UInt8? { payloads[type]?.first }

    /// Host byte order, as rtnetlink sends it.
    func u32(_ type: Int) -> UInt32? {
        guard let bytes = payloads[type], bytes.count >= 4 else { return nil }
        return bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
    }

    /// A NUL-terminated string attribute.
    func string(_ type: Int) -> String? {
        payloads[type].map { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}

extension RouteSocket {
    static func align(_ size: Int) -> Int { (size + 3) & ~3 }
}
