import Foundation
import Attach
import Netlink
import Testing
import TestSupport

/// `ipspoofchk` for IPv6 and Neighbor Discovery, proven by traffic: a node namespace with a bridge, pod A
/// (the one checked) and pod B (the observer) on veths. Each check runs once without A's rules, so the
/// test shows that the frame does arrive when nothing drops it, then with them.
@Suite(.serialized) struct NftIPv6SpoofCheckTests {
    static let ownIPv6 = "fd00:99::a", peerIPv6 = "fd00:99::b"

    /// The two pods and the bridge; A gets the rules of `port` on demand.
    final class Lab {
        let node: ThrowawayNamespace, podA: ThrowawayNamespace, podB: ThrowawayNamespace
        let macA: MACAddress, macB: MACAddress
        let socket: NftSocket

        init() throws {
            node = try ThrowawayNamespace("node")
            podA = try ThrowawayNamespace("pa")
            podB = try ThrowawayNamespace("pb")
            try node.ip("link", "add", "br0", "type", "bridge")
            try node.ip("link", "set", "br0", "up")
            for (pod, port, v4, v6) in [(podA, "veth-a", "10.99.0.1/24", ownIPv6), (podB, "veth-b", "10.99.0.2/24", peerIPv6)] {
                try node.ip("link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", pod.name)
                try node.ip("link", "set", port, "master", "br0", "up")
                try pod.ip("addr", "add", v4, "dev", "eth0")
                try pod.ip("addr", "add", "\(v6)/64", "dev", "eth0", "nodad")
                try pod.ip("link", "set", "eth0", "up")
            }
            macA = try #require(try RouteSocket(in: try NetNS(path: podA.path)).existingLink(named: "eth0").mac)
            macB = try #require(try RouteSocket(in: try NetNS(path: podB.path)).existingLink(named: "eth0").mac)
            socket = try NftSocket(in: try NetNS(path: node.path))
            try RouteSocket(in: try NetNS(path: node.path)).waitForForwarding("veth-a", timeoutMilliseconds: 5000)
            try RouteSocket(in: try NetNS(path: node.path)).waitForForwarding("veth-b", timeoutMilliseconds: 5000)
        }

        func protect(ipv4: [String] = [], ipv6: [String]) throws {
            var batch = NftBatch()
            SpoofCheck.ensureBase(&batch)
            SpoofCheck.addPort(&batch, .init(hostVeth: "veth-a", mac: macA, ipv4: try ipv4.map { try #require(IPAddress($0)).bytes },
                                             ipv6: try ipv6.map { try #require(IPAddress($0)).bytes }, owner: "c1/net1"),
                               counter: true)
            try socket.commit(batch)
        }

        func unprotect() throws {
            var batch = NftBatch()
            SpoofCheck.removePort(&batch, hostVeth: "veth-a")
            try socket.commit(batch)
        }

        /// Whether UDP from `source` in A reaches `destination` in B. Static neighbors on both sides,
        /// so what is proven is the datagram itself, not address resolution.
        func udpReaches(from source: String, to destination: String) throws -> Bool {
            let unscoped = { (address: String) in String(address.split(separator: "%")[0]) }
            try podA.ip("neigh", "replace", unscoped(destination), "lladdr", macB.description, "dev", "eth0", "nud", "permanent")
            try podB.ip("neigh", "replace", unscoped(source), "lladdr", macA.description, "dev", "eth0", "nud", "permanent")
            let listener = try Background(podB, ["udp-listen", destination, "7011", "4"])
            usleep(300_000)
            try podA.exec(python, tool, "udp-send", source, destination, "7011")
            try podA.ip("neigh", "del", unscoped(destination), "dev", "eth0")
            try podB.ip("neigh", "del", unscoped(source), "dev", "eth0")
            return listener.wait().status == 0
        }

        /// The NS/NA/RA frames B saw while A sent each of `frames` (arguments of `ip6frames.py send`).
        func seenByB(_ frames: [[String]]) throws -> [[String: Any]] {
            let listener = try Background(podB, ["listen", "eth0", "\(Double(frames.count) * 0.5 + 2)"])
            usleep(400_000)
            for frame in frames { try run("/usr/sbin/ip", ["netns", "exec", podA.name, python, tool, "send", "eth0"] + frame) }
            return listener.wait().output.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }

        /// Whether B learnt A's IPv4 address from an ARP request A sent for B's (B's neighbor table).
        func arpFromAReachesB() throws -> Bool {
            try podA.ip("neigh", "flush", "dev", "eth0")
            try podB.ip("neigh", "flush", "dev", "eth0")
            _ = try? podA.exec("/usr/bin/ping", "-c", "1", "-W", "1", "10.99.0.2")
            return try !podB.ip("neigh", "show", "10.99.0.1", "dev", "eth0").isEmpty
        }

        /// `["dadfailed"]`, `["tentative"]` or `[]` for `address` on `pod`'s eth0 (`["absent"]` if not there).
        func addressFlags(_ pod: ThrowawayNamespace, _ address: String) throws -> [String] {
            let text = try pod.ip("-j", "-6", "addr", "show", "dev", "eth0")
            let links = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
            let infos = links.flatMap { ($0["addr_info"] as? [[String: Any]]) ?? [] }
            guard let info = infos.first(where: { $0["local"] as? String == address }) else { return ["absent"] }
            // A failed address stays `tentative` too: `dadfailed` says it all.
            if info["dadfailed"] as? Bool == true { return ["dadfailed"] }
            return info["tentative"] as? Bool == true ? ["tentative"] : []
        }

        /// Adds `address` to `pod` with DAD and returns its flags once DAD is over (at most ~4 s).
        func addWithDAD(_ pod: ThrowawayNamespace, _ address: String) throws -> [String] {
            try pod.ip("addr", "add", "\(address)/64", "dev", "eth0")
            for _ in 0..<40 {
                usleep(100_000)
                if try !addressFlags(pod, address).contains("tentative") { break }
            }
            usleep(300_000)
            return try addressFlags(pod, address)
        }
    }

    @Test func ipv6SourcesAreThePodsOwnLinkLocalOrUnspecified() throws {
        try requireRoot()
        let lab = try Lab()
        try lab.podA.ip("addr", "add", "fd00:99::99/128", "dev", "eth0", "nodad")
        try lab.podA.ip("addr", "add", "fe80::a:1/64", "dev", "eth0", "nodad")
        try lab.podB.ip("addr", "add", "fe80::b:1/64", "dev", "eth0", "nodad")
        #expect(try lab.udpReaches(from: "fd00:99::99", to: Self.peerIPv6), "without rules a foreign source passes")
        #expect(try lab.udpReaches(from: "fe80::a:1%eth0", to: "fe80::b:1%eth0"), "without rules link-local passes")
        #expect(try lab.udpReaches(from: "10.99.0.1", to: "10.99.0.2"), "without rules IPv4 passes")
        #expect(try lab.arpFromAReachesB(), "without rules ARP passes")

        try lab.protect(ipv6: [Self.ownIPv6])
        #expect(try lab.udpReaches(from: Self.ownIPv6, to: Self.peerIPv6), "the pod's own IPv6 source\n\(nftText(lab.node))")
        #expect(try !lab.udpReaches(from: "fd00:99::99", to: Self.peerIPv6), "a foreign IPv6 source")
        #expect(try lab.udpReaches(from: "fe80::a:1%eth0", to: "fe80::b:1%eth0"), "any link-local source (stable-privacy guests)")
        // An IPv6-only pod: IPv4 and ARP are dropped whole.
        #expect(try !lab.udpReaches(from: "10.99.0.1", to: "10.99.0.2"), "IPv4 of a pod without IPv4 in its result")
        #expect(try !lab.arpFromAReachesB(), "ARP of a pod without IPv4 in its result")

        // An IPv4-only pod: all IPv6 is dropped, link-local included.
        try lab.protect(ipv4: ["10.99.0.1"], ipv6: [])
        #expect(try lab.udpReaches(from: "10.99.0.1", to: "10.99.0.2"), "the pod's own IPv4")
        #expect(try !lab.udpReaches(from: Self.ownIPv6, to: Self.peerIPv6), "IPv6 of a pod without IPv6 in its result")
        #expect(try !lab.udpReaches(from: "fe80::a:1%eth0", to: "fe80::b:1%eth0"), "link-local of a pod without IPv6")
    }

    @Test func neighborDiscoveryFromThePodIsLimitedToItsOwnAddresses() throws {
        try requireRoot()
        let lab = try Lab()
        let mac = lab.macA.description, spoofed = "02:de:ad:be:ef:01"
        // (frame, expected with the rules, what it is)
        let cases: [([String], Bool, String)] = [
            (["na", Self.ownIPv6, Self.ownIPv6, mac], true, "NA for its own address"),
            (["na", "fe80::a:2", "fe80::a:2", mac], true, "NA for a link-local address"),
            (["na", Self.ownIPv6, Self.peerIPv6, mac], false, "NA for the peer's address"),
            (["na", "fd00:99::99", Self.ownIPv6, mac], false, "NA from a foreign source"),
            (["na", Self.ownIPv6, Self.ownIPv6, spoofed], false, "NA with a foreign target link-layer address"),
            (["na", Self.ownIPv6, Self.ownIPv6, mac, "1"], false, "NA with a second option"),
            (["ns", Self.ownIPv6, Self.peerIPv6, mac], true, "NS for a neighbor"),
            (["ns", Self.ownIPv6, "fd00:99::b:1", spoofed], false, "NS with a foreign source link-layer address"),
            (["ns", "::", "fd00:99::a", "-", "1"], true, "DAD NS (with a nonce) for its own address"),
            (["ns", "::", "fd00:99::b", "-"], false, "DAD NS for the peer's address"),
            (["ra", "fe80::a:2", "::", mac], false, "router advertisement"),
        ]
        func arrived(_ seen: [[String: Any]], _ frame: [String]) -> Bool {
            let type = ["ra": 134, "ns": 135, "na": 136][frame[0]]!
            return seen.contains { packet in
                guard packet["type"] as? Int == type, packet["src"] as? String == frame[1] else { return false }
                if type == 134 { return true }
                let lladdr = frame.count > 3 && frame[3] != "-" ? frame[3] : nil
                return packet["target"] as? String == frame[2] && packet["lladdr"] as? String == lladdr
                    && (packet["length"] as? Int ?? 0) == 24 + (lladdr == nil ? 0 : 8) + 8 * Int(frame.count > 4 ? frame[4] : "0")!
            }
        }

        let open = try lab.seenByB(cases.map(\.0))
        for (frame, _, what) in cases {
            #expect(arrived(open, frame), "without rules B must see: \(what)\n\(open)")
        }
        try lab.protect(ipv4: ["10.99.0.1"], ipv6: [Self.ownIPv6])
        let checked = try lab.seenByB(cases.map(\.0))
        for (frame, expected, what) in cases {
            #expect(arrived(checked, frame) == expected, "\(what): \(expected ? "dropped" : "passed")\n\(nftText(lab.node))")
        }
        try lab.unprotect()
        #expect(arrived(try lab.seenByB([cases[2].0]), cases[2].0), "without A's chain the foreign NA passes again")
    }

    @Test func duplicateAddressDetectionWorksForThePodsOwnAddressesOnly() throws {
        try requireRoot()
        let lab = try Lab()
        #expect(try lab.addWithDAD(lab.podA, Self.peerIPv6) == ["dadfailed"],
                "without rules A's DAD for B's address finds B")
        try lab.podA.ip("addr", "del", "\(Self.peerIPv6)/64", "dev", "eth0")

        try lab.protect(ipv6: [Self.ownIPv6])
        // A's DAD NS for a link-local target passes: B, which has that address, answers.
        try lab.podB.ip("addr", "add", "fe80::b:9/64", "dev", "eth0", "nodad")
        #expect(try lab.addWithDAD(lab.podA, "fe80::b:9") == ["dadfailed"], "A's DAD NS (from ::) must reach B\n\(nftText(lab.node))")
        // A defends its own address: B's DAD NS reaches A and A's NA for its own address reaches B.
        #expect(try lab.addWithDAD(lab.podB, "fd00:99::a") == ["dadfailed"], "A's NA for its own address must reach B")
        try lab.podB.ip("addr", "del", "fd00:99::a/64", "dev", "eth0")
        // DAD against B's address is dropped: A does not see the duplicate.
        #expect(try lab.addWithDAD(lab.podA, Self.peerIPv6) == [], "A's DAD NS for B's address must be dropped")
        // An address of A's own goes from tentative to valid.
        try lab.podA.ip("addr", "del", "\(Self.ownIPv6)/64", "dev", "eth0")
        #expect(try lab.addWithDAD(lab.podA, Self.ownIPv6) == [])
    }
}

private let python = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"
private let tool = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("tools/ip6frames.py").path

/// `ip6frames.py` running in a namespace in the background; `wait` collects its stdout and status.
private final class Background {
    let process = Process()
    let out = Pipe()

    init(_ namespace: ThrowawayNamespace, _ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = ["netns", "exec", namespace.name, python, tool] + arguments
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    func wait() -> (status: Int32, output: String) {
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    deinit { if process.isRunning { process.terminate() } }
}
