internal import CNetlink
internal import Glibc

/// Routes over an rtnetlink socket (libnl rtnl_route), in the socket's namespace.
extension RouteSocket {
    /// The unicast routes of one family in `table` (254 = main; nil: every table), a multipath route as one
    /// `Route` per nexthop. Other route types (local, broadcast, blackhole, ...) are left out: `Route` cannot
    /// express them. What is read back has table, scope and metric filled in (metric 0 when the kernel has
    /// none), so compare fields, or delete it as is.
    public func routes(ipv6: Bool, table: UInt32? = 254) throws(NetlinkError) -> [Route] {
        let family = ipv6 ? AF_INET6 : AF_INET
        var header = rtmsg()
        header.rtm_family = UInt8(family)
        let messages = try dump("list \(ipv6 ? "IPv6" : "IPv4") routes of \(table.map { "table \($0)" } ?? "every table") in",
                                netnsPath, type: Int32(RTM_GETROUTE), header: header)
        // Parsed one message at a time: libnl's route cache would merge routes that differ only in their nexthop.
        return messages.flatMap { bytes -> [Route] in
            var bytes = bytes
            return bytes.withUnsafeMutableBytes { raw -> [Route] in
                var parsed: OpaquePointer?
                guard rtnl_route_parse(raw.baseAddress!.assumingMemoryBound(to: nlmsghdr.self), &parsed) == 0,
                      let route = parsed else { return [] }
                defer { rtnl_route_put(route) }
                guard table.map({ rtnl_route_get_table(route) == $0 }) ?? true else { return [] }
                return Route.all(in: route)
            }
        }
    }

    /// The route the main table gives for `destination`: the longest matching prefix, then the lowest
    /// metric. Policy routing rules are not consulted. Nil when nothing matches.
    public func route(to destination: IPAddress) throws(NetlinkError) -> Route? {
        try routes(ipv6: !destination.isIPv4)
            .filter { $0.destination.contains(destination) }
            .min { ($0.destination.prefixLength, -Int($0.metric ?? 0)) > ($1.destination.prefixLength, -Int($1.metric ?? 0)) }
    }

    /// Adds `route` with protocol `boot`, as `ip route add` and the reference plugins do. As the reference's
    /// IPAM configuration (netlink's RouteAddEcmp: NLM_F_CREATE without NLM_F_EXCL), a route to a
    /// destination that already has one with another gateway or device is added beside it — a pod on two
    /// networks that both route the default gets both (IPv4 puts the newer first; IPv6 joins them as
    /// nexthops of one multipath route). Only an identical route fails, with `isExists`. Host bits in the
    /// destination are cleared (10.60.0.5/16 is sent as 10.60.0.0/16; the kernel refuses them otherwise).
    public func addRoute(_ route: Route) throws(NetlinkError) {
        let request = route.libnlRoute()
        defer { rtnl_route_put(request) }
        rtnl_route_set_protocol(request, UInt8(RTPROT_BOOT))
        try naming(route) { () throws(NetlinkError) in
            try perform("add route", "\(route) in \(netnsPath)") { rtnl_route_add(sock, request, 0) }
        }
    }

    /// Deletes the route that matches `route`: destination and table always; gateway, interface, metric,
    /// scope and metrics only when set (nil matches any, as `ip route del` does). A missing route fails with
    /// `isNotFound` (ESRCH).
    public func deleteRoute(_ route: Route) throws(NetlinkError) {
        let request = route.libnlRoute()
        defer { rtnl_route_put(request) }
        var message: OpaquePointer?
        try naming(route) { () throws(NetlinkError) in
            try perform("build route delete request", "\(route) in \(netnsPath)") {
                rtnl_route_build_del_request(request, 0, &message)
            }
        }
        guard let message else { return }
        // libnl fills in protocol `static` and, for a nil scope, a guessed scope; the kernel would then only
        // delete a route with exactly those. Protocol 0 and scope "nowhere" mean "any" to the kernel.
        let header = nlmsg_data(nlmsg_hdr(message)).assumingMemoryBound(to: rtmsg.self)
        header.pointee.rtm_protocol = UInt8(RTPROT_UNSPEC)
        if route.scope == nil { header.pointee.rtm_scope = UInt8(RT_SCOPE_NOWHERE.rawValue) }
        // nl_send_sync sends, waits for the kernel's acknowledgement and frees the message.
        try naming(route) { () throws(NetlinkError) in
            try perform("delete route", "\(route) in \(netnsPath)") { nl_send_sync(sock, message) }
        }
    }

    /// Runs `body`; a failure names the route's device (`dev eth1`, looked up only then), not its index.
    private func naming(_ route: Route, _ body: () throws(NetlinkError) -> Void) throws(NetlinkError) {
        do {
            try body()
        } catch {
            guard let index = route.interfaceIndex, let device = (try? links())?.first(where: { $0.index == index })?.name else {
                throw error
            }
            var named = error
            named.object = "\(route.description(device: device)) in \(netnsPath)"
            throw named
        }
    }
}
