import Foundation
import Attach
import Netlink
import Testing
import TestSupport

/// The spoof check proven by traffic: a node namespace with a Linux bridge, two pod namespaces on veths.
@Suite struct NftSpoofCheckTests {
    @Test func spoofedFramesFromAPodPortAreDroppedUntilItsChainIsRemoved() throws {
        try requireRoot()
        let node = try ThrowawayNamespace("node"), podA = try ThrowawayNamespace("pa"), podB = try ThrowawayNamespace("pb")
        try node.ip("link", "add", "br0", "type", "bridge")
        try node.ip("link", "set", "br0", "up")
        for (pod, port, address) in [(podA, "veth-a", "10.99.0.1/24"), (podB, "veth-b", "10.99.0.2/24")] {
            try node.ip("link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", pod.name)
            try node.ip("link", "set", port, "master", "br0", "up")
            try pod.ip("addr", "add", address, "dev", "eth0")
            try pod.ip("link", "set", "eth0", "up")
        }
        let podASocket = try RouteSocket(in: try NetNS(path: podA.path))
        let macA = try #require(try podASocket.existingLink(named: "eth0").mac)
        let spoofed = try #require(MACAddress("02:de:ad:be:ef:01"))

        func setMAC(_ mac: MACAddress) throws {
            try podASocket.setLink("eth0", LinkChange(mac: mac))
            // Forget the old address on both sides so the next ping resolves afresh from the new MAC.
            try podA.ip("neigh", "flush", "all")
            try podB.ip("neigh", "flush", "all")
        }
        func ping() -> Bool {
            (try? run("/usr/sbin/ip", "netns", "exec", podA.name, "/usr/bin/ping", "-c", "1", "-W", "1", "10.99.0.2")) != nil
        }
        func dropped() throws -> Int {
            let rules = try ListedRuleset(node).rules(in: SpoofCheck.chainName("veth-a"))
            let counters = rules.flatMap { ($0["expr"] as? [[String: Any]]) ?? [] }.compactMap { $0["counter"] as? [String: Any] }
            return counters.compactMap { $0["packets"] as? Int }.reduce(0, +)
        }

        #expect(ping(), "the plain bridge must carry A -> B")

        let socket = try NftSocket(in: try NetNS(path: node.path))
        var install = NftBatch()
        SpoofCheck.ensureBase(&install)
        SpoofCheck.addPort(&install, .init(hostVeth: "veth-a", mac: macA, bridge: "br0", owner: "c1/net1"), counter: true)
        try socket.commit(install)

        #expect(ping(), "A's own MAC passes the check\n\(nftText(node))")
        #expect(try dropped() == 0)

        try setMAC(spoofed)
        #expect(!ping(), "frames from a spoofed MAC must be dropped\n\(nftText(node))")
        #expect(try dropped() > 0, "the drop rule counted them")

        try setMAC(macA)
        #expect(ping(), "A's own MAC passes again")

        var remove = NftBatch()
        SpoofCheck.removePort(&remove, hostVeth: "veth-a")
        try socket.commit(remove)
        #expect(try !socket.chainExists(SpoofCheck.chainName("veth-a"), in: spoofTable))
        #expect(try socket.elements(ofSet: SpoofCheck.portsMap, in: spoofTable).isEmpty)

        try setMAC(spoofed)
        #expect(ping(), "without A's chain the spoofed MAC passes\n\(nftText(node))")
    }
}
