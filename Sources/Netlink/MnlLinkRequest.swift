internal import CNetlink
internal import Glibc

/// An rtnetlink link request (ifinfomsg + attributes) built with libmnl, for the messages libnl 3.7 builds
/// wrongly or cannot build: Geneve (its `rtnl_link_geneve` sends IFLA_GENEVE_PORT as u32, fixed only in
/// 3.12) and bridge port flags (no setter for IFLA_BRPORT_ISOLATED before 3.11). The bytes are plain
/// values, so a test compares them exactly; `RouteSocket.send(_:)` sends them on the socket's netns.
struct MnlLinkRequest: Equatable {
    /// The whole message, netlink header included (sequence and port id left 0: the socket fills them).
    private(set) var bytes: [UInt8]

    /// What `build` may add: attributes and nests, each refused (false) when the buffer is full.
    struct Builder {
        fileprivate let header: UnsafeMutablePointer<nlmsghdr>
        fileprivate let capacity: Int

        func u8(_ type: Int32, _ value: UInt8) -> Bool { mnl_attr_put_u8_check(header, capacity, UInt16(type), value) }
        func u16(_ type: Int32, _ value: UInt16) -> Bool { mnl_attr_put_u16_check(header, capacity, UInt16(type), value) }
        func u32(_ type: Int32, _ value: UInt32) -> Bool { mnl_attr_put_u32_check(header, capacity, UInt16(type), value) }
        /// A NUL-terminated string, as the kernel wants names and kinds.
        func string(_ type: Int32, _ value: String) -> Bool { mnl_attr_put_strz_check(header, capacity, UInt16(type), value) }
        func bytes(_ type: Int32, _ value: [UInt8]) -> Bool {
            value.withUnsafeBytes { mnl_attr_put_check(header, capacity, UInt16(type), $0.count, $0.baseAddress) }
        }
        /// A nest holding what `body` adds. libmnl always sets NLA_F_NESTED on its type (IFLA_PROTINFO needs
        /// it: without it the kernel reads the attribute as the old one-byte port state).
        func nest(_ type: Int32, _ body: () -> Bool) -> Bool {
            guard let nest = mnl_attr_nest_start_check(header, capacity, UInt16(type)), body() else { return false }
            mnl_attr_nest_end(header, nest)
            return true
        }
    }

    /// A request of `type` (RTM_NEWLINK, RTM_SETLINK) with `flags` besides NLM_F_REQUEST and NLM_F_ACK, which
    /// the socket adds. Nil when the attributes do not fit in one page.
    init?(type: Int32, flags: Int32 = 0, header: ifinfomsg, build: (Builder) -> Bool) {
        let capacity = 4096
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: capacity)
        let message = mnl_nlmsg_put_header(buffer)!
        message.pointee.nlmsg_type = UInt16(type)
        message.pointee.nlmsg_flags = UInt16(flags)
        let family = mnl_nlmsg_put_extra_header(message, MemoryLayout<ifinfomsg>.size)!
        family.storeBytes(of: header, as: ifinfomsg.self)
        guard build(Builder(header: message, capacity: capacity)) else { return nil }
        bytes = Array(UnsafeRawBufferPointer(start: buffer, count: Int(message.pointee.nlmsg_len)))
    }
}

extension RouteSocket {
    /// Sends `request` and waits for the kernel's acknowledgement; the kernel's errno is kept on failure.
    func send(_ request: MnlLinkRequest, _ operation: String, _ object: String) throws(NetlinkError) {
        // nlmsg_convert copies the bytes into a libnl message; nl_send_sync completes the header (sequence,
        // port id, NLM_F_REQUEST | NLM_F_ACK), sends it on this socket, waits for the ack and frees it.
        var bytes = request.bytes
        let message = bytes.withUnsafeMutableBytes { nlmsg_convert($0.baseAddress!.assumingMemoryBound(to: nlmsghdr.self)) }
        guard let message else {
            throw NetlinkError(operation: operation, object: object, errno: ENOMEM, reason: "out of memory")
        }
        try perform(operation, object) { nl_send_sync(sock, message) }
    }
}
