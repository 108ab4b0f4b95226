internal import CNetlink
internal import Glibc

/// Routes over an rtnetlink socket (libnl rtnl_route), in the socket's namespace.
extension RouteSocket {
    /// The unicast routes of one family in `table` (254 = main; nil: every table). Multipath routes and
    /// other route types (local, broadcast, blackhole, ...) are left out: `Route` cannot express them. What
    /// is read back has table, scope and metric filled in (metric 0 when the kernel has none), so compare
    /// fields, or delete it as is.
    public func routes(ipv6: Bool, table: UInt32? = 254) throws(NetlinkError) -> [Route] {
        let family = ipv6 ? AF_INET6 : AF_INET
        return try dump("list \(ipv6 ? "IPv6" : "IPv4") routes of \(table.map { "table \($0)" } ?? "every table") in", netnsPath,
                        allocate: { rtnl_route_alloc_cache(sock, family, 0, &$0) }) { route in
            guard table.map({ rtnl_route_get_table(route) == $0 }) ?? true else { return nil }
            return Route(route)
        }
    }

    /// The route the main table gives for `destination`: the longest matching prefix, then the lowest
    /// metric. Policy routing rules are not consulted. Nil when nothing matches.
    public func route(to destination: IPAddress) throws(NetlinkError) -> Route? {
        try routes(ipv6: !destination.isIPv4)
            .filter { $0.destination.contains(destination) }
            .min { ($0.destination.prefixLength, -Int($0.metric ?? 0)) > ($1.destination.prefixLength, -Int($1.metric ?? 0)) }
    }

    /// Adds `route` with protocol `boot`, as `ip route add` and the reference plugins do. Host bits in the
    /// destination are cleared (10.60.0.5/16 is sent as 10.60.0.0/16; the kernel refuses them otherwise).
    /// A route that is already there fails with `isExists`.
    public func addRoute(_ route: Route) throws(NetlinkError) {
        let request = route.libnlRoute()
        defer { rtnl_route_put(request) }
        rtnl_route_set_protocol(request, UInt8(RTPROT_BOOT))
        try perform("add route", "\(route) in \(netnsPath)") { rtnl_route_add(sock, request, NLM_F_EXCL) }
    }

    /// Deletes the route that matches `route`: destination and table always; gateway, interface, metric,
    /// scope and metrics only when set (nil matches any, as `ip route del` does). A missing route fails with
    /// `isNotFound` (ESRCH).
    public func deleteRoute(_ route: Route) throws(NetlinkError) {
        let request = route.libnlRoute()
        defer { rtnl_route_put(request) }
        var message: OpaquePointer?
        try perform("build route delete request", "\(route) in \(netnsPath)") {
            rtnl_route_build_del_request(request, 0, &message)
        }
        guard let message else { return }
        // libnl fills in protocol `static` and, for a nil scope, a guessed scope; the kernel would then only
        // delete a route with exactly those. Protocol 0 and scope "nowhere" mean "any" to the kernel.
        let header = nlmsg_data(nlmsg_hdr(message)).assumingMemoryBound(to: rtmsg.self)
        header.pointee.rtm_protocol = UInt8(RTPROT_UNSPEC)
        if route.scope == nil { header.pointee.rtm_scope = UInt8(RT_SCOPE_NOWHERE.rawValue) }
        // nl_send_sync sends, waits for the kernel's acknowledgement and frees the message.
        try perform("delete route", "\(route) in \(netnsPath)") { nl_send_sync(sock, message) }
    }
}
