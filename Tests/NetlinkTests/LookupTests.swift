import Foundation
import Netlink
import Testing
import TestSupport

@Suite struct LookupTests {
    @Test func longestPrefixThenLowestMetricAndEveryAddress() throws {
        try requireRoot()
        let node = try ThrowawayNamespace("look")
        let socket = try RouteSocket(in: try NetNS(path: node.path))
        try socket.addVeth(name: "up0", peer: "up0p")
        try socket.addVeth(name: "up1", peer: "up1p")
        for name in ["up0", "up1", "up0p", "up1p"] { try socket.setLink(name, LinkChange(up: true)) }
        try socket.addAddress(try #require(IPNetwork("192.0.2.1/24")), to: "up0")
        try socket.addAddress(try #require(IPNetwork("198.51.100.1/24")), to: "up1")
        let up0 = try socket.existingLink(named: "up0").index, up1 = try socket.existingLink(named: "up1").index
        try socket.addRoute(Route(destination: try #require(IPNetwork("0.0.0.0/0")), gateway: IPAddress("192.0.2.254"), interfaceIndex: up0))
        try socket.addRoute(Route(destination: try #require(IPNetwork("203.0.113.0/24")), gateway: IPAddress("198.51.100.254"),
                                  interfaceIndex: up1, metric: 20))
        try socket.addRoute(Route(destination: try #require(IPNetwork("203.0.113.0/24")), gateway: IPAddress("192.0.2.254"),
                                  interfaceIndex: up0, metric: 10))

        #expect(try socket.route(to: try #require(IPAddress("203.0.113.7")))?.interfaceIndex == up0, "same prefix: lowest metric")
        #expect(try socket.route(to: try #require(IPAddress("198.51.100.9")))?.interfaceIndex == up1, "connected /24 beats default")
        #expect(try socket.route(to: try #require(IPAddress("8.8.8.8")))?.destination.isDefault == true)
        #expect(try socket.route(to: try #require(IPAddress("2001:db8::1"))) == nil, "no IPv6 route at all")

        let all = Set(try socket.allAddresses(ipv6: false).map(\.address.description))
        #expect(all == ["127.0.0.1", "192.0.2.1", "198.51.100.1"], "lo is up in a throwaway namespace")
    }
}
