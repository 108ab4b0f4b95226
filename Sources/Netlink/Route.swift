internal import CNetlink

/// A unicast route: what `ip route add DEST [via GW] [dev IF] [metric M] [mtu N] [advmss N] [table T] [scope S]` says.
/// nil leaves a field to the kernel (or, for `scope`, to the usual guess: universe with a gateway, link without).
public struct Route: Equatable, Sendable, CustomStringConvertible {
    /// 0.0.0.0/0 or ::/0 is the default route.
    public var destination: IPNetwork
    public var gateway: IPAddress?
    public var interfaceIndex: Int32?
    /// RTA_PRIORITY. The kernel makes an IPv6 route without one 1024.
    public var metric: UInt32?
    /// RTAX_MTU.
    public var mtu: UInt32?
    /// RTAX_ADVMSS.
    public var advmss: UInt32?
    /// The routing table; nil is the main table (254) when adding.
    public var table: UInt32?
    /// RT_SCOPE_*: 0 universe, 200 site, 253 link, 254 host. See `Route.Scope`.
    public var scope: UInt8?

    /// The RT_SCOPE_* values.
    public enum Scope {
        public static let universe: UInt8 = 0
        public static let site: UInt8 = 200
        public static let link: UInt8 = 253
        public static let host: UInt8 = 254
    }

    public init(destination: IPNetwork, gateway: IPAddress? = nil, interfaceIndex: Int32? = nil, metric: UInt32? = nil,
                mtu: UInt32? = nil, advmss: UInt32? = nil, table: UInt32? = nil, scope: UInt8? = nil) {
        self.destination = destination
        self.gateway = gateway
        self.interfaceIndex = interfaceIndex
        self.metric = metric
        self.mtu = mtu
        self.advmss = advmss
        self.table = table
        self.scope = scope
    }

    /// In `ip route` words, for messages: "default via 10.1.1.1 dev #3 metric 100" (`RouteSocket`'s
    /// errors name the device instead: "dev eth1").
    public var description: String { description(device: nil) }

    /// The same, with `device` as the name of the interface (`dev eth1`); nil prints its index.
    public func description(device: String?) -> String {
        var parts = [destination.isDefault ? "default" : destination.network.description]
        if let gateway { parts.append("via \(gateway)") }
        if let interfaceIndex { parts.append("dev \(device ?? "#\(interfaceIndex)")") }
        if let metric { parts.append("metric \(metric)") }
        if let mtu { parts.append("mtu \(mtu)") }
        if let advmss { parts.append("advmss \(advmss)") }
        if let table, table != 254 { parts.append("table \(table)") }
        if let scope { parts.append("scope \(scope)") }
        return parts.joined(separator: " ")
    }

    /// Reads a libnl route: one `Route` per nexthop, so a multipath route (IPv6 joins routes to one
    /// destination via several gateways into one) is read as the routes it was made of; none for
    /// non-unicast types.
    static func all(in route: OpaquePointer) -> [Route] {
        let ipv6 = rtnl_route_get_family(route) == AF_INET6
        guard rtnl_route_get_type(route) == UInt8(RTN_UNICAST), let dst = rtnl_route_get_dst(route),
              let address = IPAddress(nlAddress: dst, ipv6: ipv6),
              let destination = IPNetwork(address: address, prefixLength: Int(nl_addr_get_prefixlen(dst))) else { return [] }
        var base = Route(destination: destination)
        base.metric = rtnl_route_get_priority(route)
        base.mtu = Route.metric(route, RTAX_MTU)
        base.advmss = Route.metric(route, RTAX_ADVMSS)
        base.table = rtnl_route_get_table(route)
        base.scope = rtnl_route_get_scope(route)
        let hops = Int(rtnl_route_get_nnexthops(route))
        guard hops > 0 else { return [base] }
        return (0..<hops).compactMap { index in
            guard let hop = rtnl_route_nexthop_n(route, Int32(index)) else { return nil }
            var one = base
            one.gateway = rtnl_route_nh_get_gateway(hop).flatMap { IPAddress(nlAddress: $0, ipv6: ipv6) }
            let interface = rtnl_route_nh_get_ifindex(hop)
            one.interfaceIndex = interface > 0 ? interface : nil
            return one
        }
    }

    private static func metric(_ route: OpaquePointer, _ which: Int) -> UInt32? {
        var value: UInt32 = 0
        return rtnl_route_get_metric(route, Int32(which), &value) == 0 ? value : nil
    }

    /// A new libnl route for an add or delete request; the caller puts it.
    func libnlRoute() -> OpaquePointer {
        let route = rtnl_route_alloc()!
        let dst = destination.network.address.nlAddress(prefixLength: destination.prefixLength)
        defer { nl_addr_put(dst) }
        _ = rtnl_route_set_family(route, UInt8(destination.address.addressFamily))
        _ = rtnl_route_set_dst(route, dst)
        rtnl_route_set_table(route, table ?? UInt32(RT_TABLE_MAIN.rawValue))
        if let scope { rtnl_route_set_scope(route, scope) }
        if let metric { rtnl_route_set_priority(route, metric) }
        if let mtu { _ = rtnl_route_set_metric(route, Int32(RTAX_MTU), mtu) }
        if let advmss { _ = rtnl_route_set_metric(route, Int32(RTAX_ADVMSS), advmss) }
        if gateway != nil || interfaceIndex != nil {
            // The route owns the nexthop from here on (freed with the route).
            let hop = rtnl_route_nh_alloc()!
            if let interfaceIndex { rtnl_route_nh_set_ifindex(hop, interfaceIndex) }
            if let gateway {
                let gw = gateway.nlAddress()
                rtnl_route_nh_set_gateway(hop, gw)
                nl_addr_put(gw)
            }
            rtnl_route_add_nexthop(route, hop)
        }
        return route
    }
}
