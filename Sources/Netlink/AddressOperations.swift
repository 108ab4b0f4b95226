internal import CNetlink
internal import Glibc

/// Interface addresses over an rtnetlink socket (libnl rtnl_addr), in the socket's namespace.
extension RouteSocket {
    /// The addresses on `ifname` with their prefix lengths: IPv4 and IPv6 when `ipv6` is nil, one family
    /// otherwise. IPv6 link-local addresses (fe80::/64) are included: the kernel adds them when a link goes up.
    /// The kernel is asked for this link's addresses only (strict dump, Linux 4.20 and later), so the
    /// answer does not grow with the other links of the namespace (a node's pod veths).
    public func addresses(of ifname: String, ipv6: Bool? = nil) throws(NetlinkError) -> [IPNetwork] {
        let index = try existingLink(named: ifname).index
        return try interfaceAddresses("list addresses of", describeObject(ifname), index: index, ipv6: ipv6).map(\.address)
    }

    /// Every address of every link in the namespace, in one dump (e.g. "is this IP one of the node's own?").
    public func allAddresses(ipv6: Bool? = nil) throws(NetlinkError) -> [IPNetwork] {
        try interfaceAddresses("list addresses in", netnsPath, index: 0, ipv6: ipv6).map(\.address)
    }

    /// An RTM_GETADDR dump of the link `index` (0: every link). The filter needs NETLINK_GET_STRICT_CHK on the
    /// socket, set for this dump only (libnl's own requests are not strict-clean); a kernel without it
    /// answers with every address, which the index check below narrows.
    private func interfaceAddresses(_ operation: String, _ object: String, index: Int32,
                                    ipv6: Bool?) throws(NetlinkError) -> [(index: Int32, address: IPNetwork)] {
        var header = ifaddrmsg()
        header.ifa_family = UInt8(ipv6.map { $0 ? AF_INET6 : AF_INET } ?? AF_UNSPEC)
        header.ifa_index = UInt32(bitPattern: index)
        let fd = nl_socket_get_fd(sock)
        var on: Int32 = index == 0 ? 0 : 1, off: Int32 = 0
        let strict = setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &on, socklen_t(MemoryLayout<Int32>.size)) == 0
        defer { if strict { _ = setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &off, socklen_t(MemoryLayout<Int32>.size)) } }
        return try dump(operation, object, type: Int32(RTM_GETADDR), header: header).compactMap { message in
            let start = RouteSocket.align(MemoryLayout<nlmsghdr>.size)
            guard message.count >= start + MemoryLayout<ifaddrmsg>.size else { return nil }
            let info = message.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: start, as: ifaddrmsg.self) }
            let family = Int32(info.ifa_family)
            guard family == AF_INET || family == AF_INET6, ipv6.map({ $0 == (family == AF_INET6) }) ?? true,
                  index == 0 || Int32(bitPattern: info.ifa_index) == index else { return nil }
            // IFA_LOCAL is the address itself where a peer address is set too; IFA_ADDRESS otherwise.
            let attributes = NetlinkAttributes(message: message, familyHeaderSize: MemoryLayout<ifaddrmsg>.size)
            guard let bytes = attributes[Int(IFA_LOCAL)] ?? attributes[Int(IFA_ADDRESS)],
                  let ip = IPAddress(bytes: bytes), ip.isIPv4 == (family == AF_INET),
                  let network = IPNetwork(address: ip, prefixLength: Int(info.ifa_prefixlen)) else { return nil }
            return (Int32(bitPattern: info.ifa_index), network)
        }
    }

    /// Adds `address` (host bits kept) to `ifname`. An address that is already there fails with `isExists`.
    /// IPv4 addresses below /31 get the prefix's broadcast address, as `ip addr add ... brd +` and the
    /// reference plugins do. `noDAD` sets IFA_F_NODAD (IPv6: usable at once, no duplicate detection).
    public func addAddress(_ address: IPNetwork, to ifname: String, noDAD: Bool = false) throws(NetlinkError) {
        let index = try existingLink(named: ifname).index
        try withAddressRequest(address, index) { request throws(NetlinkError) in
            if let broadcast = address.broadcast {
                let brd = broadcast.nlAddress()
                defer { nl_addr_put(brd) }
                rtnl_addr_set_broadcast(request, brd)
            }
            if noDAD { rtnl_addr_set_flags(request, UInt32(IFA_F_NODAD)) }
            try perform("add address \(address) to", describeObject(ifname)) {
                rtnl_addr_add(sock, request, NLM_F_EXCL)
            }
        }
    }

    /// Removes `address` from `ifname`. An address that is not there fails with errno EADDRNOTAVAIL
    /// (the kernel's answer for both families).
    public func deleteAddress(_ address: IPNetwork, from ifname: String) throws(NetlinkError) {
        let index = try existingLink(named: ifname).index
        try withAddressRequest(address, index) { request throws(NetlinkError) in
            try perform("delete address \(address) from", describeObject(ifname)) { rtnl_addr_delete(sock, request, 0) }
        }
    }

    private func withAddressRequest(_ address: IPNetwork, _ index: Int32,
                                    _ body: (OpaquePointer) throws(NetlinkError) -> Void) throws(NetlinkError) {
        let request = rtnl_addr_alloc()!
        defer { rtnl_addr_put(request) }
        let local = address.address.nlAddress(prefixLength: address.prefixLength)
        defer { nl_addr_put(local) }
        rtnl_addr_set_ifindex(request, index)
        rtnl_addr_set_family(request, address.address.addressFamily)
        _ = rtnl_addr_set_local(request, local)
        rtnl_addr_set_prefixlen(request, Int32(address.prefixLength))
        try body(request)
    }

    /// `name in <netns>`, the object of an error message.
    func describeObject(_ name: String) -> String { "\(name) in \(netnsPath)" }

    /// Fills a libnl cache with a dump and maps its objects; a dump that the kernel marked as interrupted
    /// by a concurrent change (NLE_DUMP_INTR) is retried, as `links()` does.
    func dump<T>(_ operation: String, _ object: String, allocate: (inout OpaquePointer?) -> Int32,
                 _ transform: (OpaquePointer) -> T?) throws(NetlinkError) -> [T] {
        var attempts = 0
        while true {
            var cache: OpaquePointer?
            do {
                try perform(operation, object) { allocate(&cache) }
            } catch where error.libnlCode == NLE_DUMP_INTR && attempts < 10 {
                attempts += 1
                continue
            }
            guard let cache else {
                throw NetlinkError(operation: operation, object: object, errno: ENOMEM, reason: "libnl returned no cache")
            }
            defer { nl_cache_free(cache) }
            var result: [T] = []
            var current = nl_cache_get_first(cache)
            while let object = current {
                if let value = transform(object) { result.append(value) }
                current = nl_cache_get_next(object)
            }
            return result
        }
    }
}
