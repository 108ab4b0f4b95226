import Foundation
import Netlink
import Testing
import TestSupport

@Suite struct AddressTests {
    @Test func addListDeleteBothFamilies() throws {
        try requireRoot()
        let node = try ThrowawayNamespace()
        let socket = try RouteSocket(in: try NetNS(path: node.path))
        try socket.addVeth(name: "a0", peer: "a0p")
        try socket.setLink("a0p", LinkChange(up: true))
        try socket.setLink("a0", LinkChange(up: true))

        let v4 = try #require(IPNetwork("10.1.1.2/24"))
        try socket.addAddress(v4, to: "a0")
        #expect(try socket.addresses(of: "a0", ipv6: false) == [v4])
        let shown = try #require(try addressInfo(node, "a0").first { $0["local"] as? String == "10.1.1.2" })
        #expect(shown["prefixlen"] as? Int == 24)
        #expect(shown["broadcast"] as? String == "10.1.1.255", "the broadcast address is set as by `brd +`")

        let v6 = try #require(IPNetwork("fd00:1::2/64"))
        try socket.addAddress(v6, to: "a0", noDAD: true)
        #expect(try socket.addresses(of: "a0", ipv6: true).contains(v6))
        #expect(try socket.addresses(of: "a0").contains(v4), "nil family lists both")
        let shown6 = try #require(try addressInfo(node, "a0").first { $0["local"] as? String == "fd00:1::2" })
        #expect(shown6["nodad"] as? Bool == true)
        #expect(shown6["tentative"] == nil, "a nodad address is usable at once")

        for (address, noDAD) in [(v4, false), (v6, true)] {
            do {
                try socket.addAddress(address, to: "a0", noDAD: noDAD)
                Issue.record("added \(address) twice")
            } catch {
                #expect(error.isExists, "\(error)")
                #expect(error.description.contains("\(address)") && error.description.contains("a0 in \(node.path)"))
            }
        }

        try socket.deleteAddress(v4, from: "a0")
        try socket.deleteAddress(v6, from: "a0")
        #expect(try socket.addresses(of: "a0", ipv6: false).isEmpty)
        #expect(try !socket.addresses(of: "a0", ipv6: true).contains(v6))
        #expect(try addressInfo(node, "a0").allSatisfy { ($0["family"] as? String) == "inet6" && ($0["scope"] as? String) == "link" })
        do {
            try socket.deleteAddress(v4, from: "a0")
            Issue.record("deleted a missing address")
        } catch {
            #expect(error.errno == EADDRNOTAVAIL, "\(error)")
        }
        do {
            _ = try socket.addresses(of: "missing0")
            Issue.record("listed addresses of a missing link")
        } catch {
            #expect(error.isNotFound && error.description.contains("missing0"), "\(error)")
        }
    }

    /// `ip -j addr show dev IF` as addr_info entries.
    private func addressInfo(_ ns: ThrowawayNamespace, _ ifname: String) throws -> [[String: Any]] {
        try ipJSON(ns, "addr", "show", "dev", ifname).flatMap { $0["addr_info"] as? [[String: Any]] ?? [] }
    }
}

/// `ip -j -n NS ...` parsed into its top-level array of objects.
func ipJSON(_ ns: ThrowawayNamespace, _ arguments: String...) throws -> [[String: Any]] {
    let text = try run("/usr/sbin/ip", ["-j", "-n", ns.name] + arguments)
    let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8))
    return try #require(parsed as? [[String: Any]], "ip -j printed \(text)")
}
