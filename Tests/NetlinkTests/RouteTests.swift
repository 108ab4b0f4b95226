import Foundation
import Netlink
import Testing
import TestSupport

@Suite struct RouteTests {
    /// A namespace with veth r0 (up, with 10.9.0.2/24 and fd09::2/64) whose peer is up too.
    /// Returns r0's ifindex.
    private func prepare(_ socket: borrowing RouteSocket) throws -> Int32 {
        try socket.addVeth(name: "r0", peer: "r0p")
        try socket.setLink("r0p", LinkChange(up: true))
        try socket.setLink("r0", LinkChange(up: true))
        try socket.addAddress(IPNetwork("10.9.0.2/24")!, to: "r0")
        try socket.addAddress(IPNetwork("fd09::2/64")!, to: "r0", noDAD: true)
        return try socket.existingLink(named: "r0").index
    }

    @Test func defaultRouteViaAGatewayBothFamilies() throws {
        try requireRoot()
        let node = try ThrowawayNamespace()
        let socket = try RouteSocket(in: try NetNS(path: node.path))
        let r0 = try prepare(socket)
        let v4 = Route(destination: IPNetwork("0.0.0.0/0")!, gateway: IPAddress("10.9.0.1")!)
        try socket.addRoute(v4)
        let found = try #require(try socket.routes(ipv6: false).first { $0.destination.isDefault })
        #expect(found.gateway == IPAddress("10.9.0.1") && found.interfaceIndex == r0)
        #expect(found.table == 254 && found.scope == Route.Scope.universe && found.metric == 0)
        let shown = try #require(try ipJSON(node, "-d", "route", "show", "default").first)
        #expect(shown["gateway"] as? String == "10.9.0.1" && shown["dev"] as? String == "r0")
        #expect(shown["protocol"] as? String == "boot")
        do {
            try socket.addRoute(v4)
            Issue.record("added the default route twice")
        } catch {
            #expect(error.isExists, "\(error)")
            #expect(error.description.contains("default via 10.9.0.1"), "\(error)")
        }

        let v6 = Route(destination: IPNetwork("::/0")!, gateway: IPAddress("fd09::1")!, interfaceIndex: r0)
        try socket.addRoute(v6)
        let found6 = try #require(try socket.routes(ipv6: true).first { $0.destination.isDefault })
        #expect(found6.gateway == IPAddress("fd09::1") && found6.interfaceIndex == r0 && found6.metric == 1024)
        let shown6 = try #require(try ipJSON(node, "-6", "route", "show", "default").first)
        #expect(shown6["gateway"] as? String == "fd09::1" && shown6["metric"] as? Int == 1024)

        try socket.deleteRoute(v4)
        try socket.deleteRoute(v6)
        #expect(try !socket.routes(ipv6: false).contains { $0.destination.isDefault })
        #expect(try !socket.routes(ipv6: true).contains { $0.destination.isDefault })
        #expect(try ipJSON(node, "route", "show", "default").isEmpty)
        do {
            try socket.deleteRoute(v4)
            Issue.record("deleted a missing route")
        } catch {
            #expect(error.isNotFound, "\(error)")
        }
    }

    @Test func hostRouteWithScopeLink() throws {
        try requireRoot()
        let node = try ThrowawayNamespace()
        let socket = try RouteSocket(in: try NetNS(path: node.path))
        let r0 = try prepare(socket)
        let host = Route(destination: IPNetwork("10.50.0.7/32")!, interfaceIndex: r0, scope: Route.Scope.link)
        try socket.addRoute(host)
        let found = try #require(try socket.routes(ipv6: false).first { $0.destination == IPNetwork("10.50.0.7/32") })
        #expect(found.scope == Route.Scope.link && found.gateway == nil && found.interfaceIndex == r0)
        let shown = try #require(try ipJSON(node, "route", "show", "10.50.0.7/32").first)
        #expect(shown["dst"] as? String == "10.50.0.7" && shown["scope"] as? String == "link")

        // A gateway behind the host route (what the bridge plugin does for a gateway outside the subnet).
        let via = Route(destination: IPNetwork("10.70.0.0/16")!, gateway: IPAddress("10.50.0.7")!)
        try socket.addRoute(via)
        #expect(try ipJSON(node, "route", "show", "10.70.0.0/16").first?["gateway"] as? String == "10.50.0.7")
        // Deleting by destination alone (nil = any gateway, scope, metric), as `ip route del` does.
        try socket.deleteRoute(Route(destination: IPNetwork("10.70.0.0/16")!))
        try socket.deleteRoute(Route(destination: IPNetwork("10.50.0.7/32")!))
        #expect(try ipJSON(node, "route", "show", "10.50.0.7/32").isEmpty)
    }

    @Test func metricMTUAndAdvmssReadBack() throws {
        try requireRoot()
        let node = try ThrowawayNamespace()
        let socket = try RouteSocket(in: try NetNS(path: node.path))
        let r0 = try prepare(socket)
        let route = Route(destination: IPNetwork("10.60.0.0/16")!, gateway: IPAddress("10.9.0.1")!,
                          interfaceIndex: r0, metric: 50, mtu: 1400, advmss: 1360)
        try socket.addRoute(route)
        let found = try #require(try socket.routes(ipv6: false).first { $0.destination == IPNetwork("10.60.0.0/16") })
        #expect(found.metric == 50 && found.mtu == 1400 && found.advmss == 1360)
        #expect(found == Route(destination: route.destination, gateway: route.gateway, interfaceIndex: r0, metric: 50,
                               mtu: 1400, advmss: 1360, table: 254, scope: Route.Scope.universe))

        let shown = try #require(try ipJSON(node, "route", "show", "10.60.0.0/16").first)
        #expect(shown["metric"] as? Int == 50)
        let metrics = (shown["metrics"] as? [[String: Any]])?.first
        #expect(metrics?["mtu"] as? Int == 1400 && metrics?["advmss"] as? Int == 1360, "\(shown)")

        let v6 = Route(destination: IPNetwork("fd60::/48")!, gateway: IPAddress("fd09::1")!, interfaceIndex: r0,
                       metric: 70, mtu: 1380)
        try socket.addRoute(v6)
        let found6 = try #require(try socket.routes(ipv6: true).first { $0.destination == IPNetwork("fd60::/48") })
        #expect(found6.metric == 70 && found6.mtu == 1380 && found6.advmss == nil)

        try socket.deleteRoute(found)
        try socket.deleteRoute(found6)
        #expect(try socket.routes(ipv6: false).allSatisfy { $0.destination != route.destination })
        #expect(try socket.routes(ipv6: true).allSatisfy { $0.destination != v6.destination })
    }

    /// Two default routes via two devices (a pod on two networks): the second is added beside the first,
    /// both read back (IPv6 keeps them as one multipath route: one `Route` per nexthop), an identical one
    /// is refused, and deleting one leaves the other. A failure names the device, not its index.
    @Test func twoDefaultRoutesViaTwoDevices() throws {
        try requireRoot()
        let node = try ThrowawayNamespace()
        let socket = try RouteSocket(in: try NetNS(path: node.path))
        let r0 = try prepare(socket)
        try socket.addVeth(name: "r1", peer: "r1p")
        try socket.setLink("r1p", LinkChange(up: true))
        try socket.setLink("r1", LinkChange(up: true))
        try socket.addAddress(IPNetwork("10.8.0.2/24")!, to: "r1")
        try socket.addAddress(IPNetwork("fd08::2/64")!, to: "r1", noDAD: true)
        let r1 = try socket.existingLink(named: "r1").index
        let routes = [Route(destination: IPNetwork("0.0.0.0/0")!, gateway: IPAddress("10.9.0.1")!, interfaceIndex: r0),
                      Route(destination: IPNetwork("0.0.0.0/0")!, gateway: IPAddress("10.8.0.1")!, interfaceIndex: r1),
                      Route(destination: IPNetwork("::/0")!, gateway: IPAddress("fd09::1")!, interfaceIndex: r0),
                      Route(destination: IPNetwork("::/0")!, gateway: IPAddress("fd08::1")!, interfaceIndex: r1)]
        for route in routes { try socket.addRoute(route) }
        for ipv6 in [false, true] {
            let found = try socket.routes(ipv6: ipv6).filter(\.destination.isDefault).map { "\($0.gateway!) #\($0.interfaceIndex!)" }
            let wanted = routes.filter { $0.destination.address.isIPv4 != ipv6 }.map { "\($0.gateway!) #\($0.interfaceIndex!)" }
            #expect(Set(found) == Set(wanted) && found.count == 2, "\(found)")
        }
        #expect(try ipJSON(node, "-6", "route", "show", "default").first?["nexthops"] != nil, "IPv6: one multipath route")
        do {
            try socket.addRoute(routes[1])
            Issue.record("added the same route twice")
        } catch {
            #expect(error.isExists && error.description.contains("default via 10.8.0.1 dev r1 in "), "\(error)")
        }
        try socket.deleteLink("r1")
        #expect(try socket.routes(ipv6: false).filter(\.destination.isDefault).map(\.interfaceIndex) == [r0])
        #expect(try socket.routes(ipv6: true).filter(\.destination.isDefault).map(\.interfaceIndex) == [r0])
    }
}
