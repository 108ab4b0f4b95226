internal import CNetlink
internal import Glibc

/// Hand-built dumps, for answers libnl 3.7's caches do not keep (the VLANs of bridge ports) or requests
/// they cannot make (the addresses of one link only).
extension RouteSocket {
    /// Sends a dump request of `type` (RTM_GETLINK, RTM_GETADDR) with the family header `header` and the
    /// attributes `build` adds, and returns every message of the answer, whole. A dump the kernel marked as
    /// interrupted by a concurrent change (NLM_F_DUMP_INTR) is retried, up to 10 times.
    func dump<Header>(_ operation: String, _ object: String, type: Int32, header: Header,
                      build: (OpaquePointer) -> Bool = { _ in true }) throws(NetlinkError) -> [[UInt8]] {
        var attempts = 0
        while true {
            do {
                return try dumpOnce(operation, object, type: type, header: header, build: build)
            } catch where error.libnlCode == NLE_DUMP_INTR && attempts < 10 {
                attempts += 1
            }
        }
    }

    private func dumpOnce<Header>(_ operation: String, _ object: String, type: Int32, header: Header,
                                  build: (OpaquePointer) -> Bool) throws(NetlinkError) -> [[UInt8]] {
        guard let message = nlmsg_alloc_simple(type, NLM_F_DUMP) else {
            throw NetlinkError(operation: operation, object: object, errno: ENOMEM, reason: "out of memory")
        }
        defer { nlmsg_free(message) }
        var header = header
        guard nlmsg_append(message, &header, MemoryLayout<Header>.size, Int32(NLMSG_ALIGNTO)) == 0, build(message) else {
            throw NetlinkError(operation: operation, object: object, errno: EMSGSIZE, reason: "request does not fit a netlink message")
        }
        try perform(operation, object) { min(nl_send_auto(sock, message), 0) }

        // A clone of the socket's callbacks keeps the error callback that records the kernel's errno.
        let socketCallbacks = nl_socket_get_cb(sock)!  // a new reference
        defer { nl_cb_put(socketCallbacks) }
        let callbacks = nl_cb_clone(socketCallbacks)!
        defer { nl_cb_put(callbacks) }
        let replies = UnsafeMutablePointer<[[UInt8]]>.allocate(capacity: 1)
        replies.initialize(to: [])
        defer { replies.deinitialize(count: 1); replies.deallocate() }
        nl_cb_set(callbacks, NL_CB_VALID, NL_CB_CUSTOM, { message, arg in
            guard let message, let arg, let header = nlmsg_hdr(message) else { return Int32(NL_SKIP.rawValue) }
            arg.assumingMemoryBound(to: [[UInt8]].self).pointee.append(
                Array(UnsafeRawBufferPointer(start: header, count: Int(header.pointee.nlmsg_len))))
            return Int32(NL_OK.rawValue)
        }, replies)
        // Returns when the kernel's NLMSG_DONE arrives (-NLE_DUMP_INTR if a part was marked interrupted).
        try perform(operation, object) { min(nl_recvmsgs(sock, callbacks), 0) }
        return replies.pointee
    }
}

extension NetlinkAttributes {
    /// Every attribute of `bytes` in order, duplicates kept (a bridge port's IFLA_AF_SPEC repeats
    /// IFLA_BRIDGE_VLAN_INFO once per VLAN); types with NLA_F_NESTED and NLA_F_NET_BYTEORDER masked off.
    static func ordered<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> [(type: Int, payload: [UInt8])] {
        let bytes = Array(bytes)
        var result: [(type: Int, payload: [UInt8])] = []
        var offset = 0
        while offset + 4 <= bytes.count {
            let length = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
            let type = (Int(bytes[offset + 2]) | Int(bytes[offset + 3]) << 8) & ~(Int(NLA_F_NESTED) | Int(NLA_F_NET_BYTEORDER))
            guard length >= 4, offset + length <= bytes.count else { break }
            result.append((type, Array(bytes[(offset + 4)..<(offset + length)])))
            offset += (length + 3) & ~3
        }
        return result
    }
}
