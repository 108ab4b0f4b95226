import Foundation
import Testing

/// (4) `macspoofchk` (conf/br-spoof-check.conflist) proven by traffic, and its nftables rules read
/// with `nft -j list ruleset` in the node netns.
extension BlackBox {
    @Suite struct BridgeSpoofCheck {
        static let gateway = "10.250.11.1"
        static let spoofed = "c2:00:00:00:5f:01"

        @Test(arguments: Implementation.enabled, BridgeSetup.ifnames)
        func changedMACIsDroppedAndRestoredMACPasses(_ impl: Implementation, _ ifname: String) throws {
            let setup = try BridgeSetup(impl, "br-spoof-check.conflist")
            let node = setup.sandbox.node
            let pod1 = try setup.sandbox.pod("pod1"), pod2 = try setup.sandbox.pod("pod2")
            let id1 = PodIdentity.random(), id2 = PodIdentity.random()
            let ifname2 = IfName.kubevirt()

            let add1 = try setup.add(pod1, ifname, id1)
            try #require(add1.succeeded, "\(add1)")
            let add2 = try setup.add(pod2, ifname2, id2)
            try #require(add2.succeeded, "\(add2)")
            let pod1Result = BridgeResult(add1), pod2Result = BridgeResult(add2)
            let mac1 = try #require(pod1Result.podMAC), mac2 = try #require(pod2Result.podMAC)
            let address2 = try #require(pod2Result.address)
            let pod1Needles = [mac1, pod1Result.hostVeth ?? ""]
            let rules = try Nft.rules(in: node)
            #expect(try !setup.rules(mentioning: pod1Needles).isEmpty, "no rule for pod1: \(rules)")
            #expect(try !setup.rules(mentioning: [mac2]).isEmpty, "no rule for pod2")

            #expect(try Traffic.udpEcho(from: pod1, to: Self.gateway, in: node), "pod -> gateway with its own MAC")
            #expect(try Traffic.udpEcho(from: pod1, to: address2, in: pod2), "pod -> pod with its own MAC")

            // One-way datagrams (see Traffic.udpReaches; the control test below shows they pass
            // with a changed MAC when there is no spoof check).
            let pod1State = NetState(netns: pod1)
            try pod1State.setLink(ifname, "address", Self.spoofed)
            #expect(try !Traffic.udpReaches(from: pod1, to: Self.gateway, in: node), "spoofed MAC reached the gateway")
            #expect(try !Traffic.udpReaches(from: pod1, to: address2, in: pod2), "spoofed MAC reached the other pod")

            try pod1State.setLink(ifname, "address", mac1)
            #expect(try Traffic.udpReaches(from: pod1, to: Self.gateway, in: node), "restored MAC is blocked")
            #expect(try Traffic.udpEcho(from: pod1, to: address2, in: pod2), "restored MAC is blocked (pod -> pod)")

            let del1 = try setup.del(pod1, ifname, id1)
            #expect(del1.succeeded, "\(del1)")
            #expect(try setup.rules(mentioning: pod1Needles).isEmpty, "pod1's rules outlive its DEL")
            #expect(try !setup.rules(mentioning: [mac2]).isEmpty, "DEL of pod1 removed pod2's rules")
            #expect(try Traffic.udpEcho(from: pod2, to: Self.gateway, in: node), "pod2 still reaches the gateway")

            let del2 = try setup.del(pod2, ifname2, id2)
            #expect(del2.succeeded, "\(del2)")
            #expect(try Nft.rules(in: node) == [], "rules left after the last DEL")
            switch impl {
            case .ours:
                let chains = try Nft.chains(in: node)
                #expect(try Nft.tables(in: node) == [], "table left after the last pod: \(chains)")
            case .reference:
                // 1.1.1 leaves the table and its (now empty) base chain behind.
                #expect(try Nft.tables(in: node) == ["bridge nat"])
                #expect(try Nft.chains(in: node) == ["bridge nat PREROUTING"])
            }
        }

        /// Control: without `macspoofchk` the same MAC change still reaches the gateway one way, so
        /// the drop above is the spoof check's doing.
        @Test(arguments: Implementation.enabled)
        func withoutSpoofCheckAChangedMACPasses(_ impl: Implementation) throws {
            let setup = try BridgeSetup(impl, "br-spoof-check.conflist") { $0["macspoofchk"] = false }
            let pod = try setup.sandbox.pod()
            let identity = PodIdentity.random()
            let add = try setup.add(pod, IfName.multus, identity)
            try #require(add.succeeded, "\(add)")
            #expect(try Traffic.udpEcho(from: pod, to: Self.gateway, in: setup.sandbox.node))
            try NetState(netns: pod).setLink(IfName.multus, "address", Self.spoofed)
            #expect(try Traffic.udpReaches(from: pod, to: Self.gateway, in: setup.sandbox.node))
            #expect(try Nft.rules(in: setup.sandbox.node) == [])
            #expect(try setup.del(pod, IfName.multus, identity).succeeded)
        }

        /// Ours-only: `ipspoofchk: true` also drops packets whose source IP is not the pod's own.
        @Test(.enabled(if: Implementation.enabled.contains(.ours), "ipspoofchk is ours only"),
              arguments: BridgeSetup.ifnames)
        func ipSpoofCheck(_ ifname: String) throws {
            let setup = try BridgeSetup(.ours, "br-spoof-check.conflist") { $0["ipspoofchk"] = true }
            let pod = try setup.sandbox.pod()
            let identity = PodIdentity.random()
            let add = try setup.add(pod, ifname, identity)
            try #require(add.succeeded, "\(add)")
            let own = try #require(BridgeResult(add).address)

            #expect(try Traffic.udpEcho(from: pod, to: Self.gateway, in: setup.sandbox.node, source: own))
            try Shell.must(["ip", "-n", pod, "addr", "add", "10.250.11.200/32", "dev", ifname])
            #expect(try !Traffic.udpReaches(from: pod, to: Self.gateway, in: setup.sandbox.node, source: "10.250.11.200"),
                    "a foreign source address reached the gateway")
            #expect(try Traffic.udpEcho(from: pod, to: Self.gateway, in: setup.sandbox.node, source: own))

            #expect(try setup.del(pod, ifname, identity).succeeded)
            #expect(try Nft.tables(in: setup.sandbox.node) == [])
        }

        /// Ours-only: `ipspoofchk: true` with a dual-stack host-local result also limits IPv6 and ND: a
        /// foreign IPv6 source and an NA for someone else's address (the gateway's) are dropped, the pod's
        /// own source and NA pass, DAD (from `::`) still reaches the other hosts.
        @Test(.enabled(if: Implementation.enabled.contains(.ours), "ipspoofchk is ours only"),
              arguments: BridgeSetup.ifnames)
        func ipv6SpoofCheck(_ ifname: String) throws {
            let setup = try BridgeSetup(.ours, "br-spoof-check.conflist") {
                $0["ipspoofchk"] = true
                $0["enabledad"] = true
                $0["ipam"] = ["type": "host-local", "ranges": [[["subnet": "10.250.11.0/24"]], [["subnet": "fd00:250:11::/64"]]]]
            }
            let node = setup.sandbox.node, pod = try setup.sandbox.pod()
            let identity = PodIdentity.random()
            let add = try setup.add(pod, ifname, identity)
            try #require(add.succeeded, "\(add)")
            let result = BridgeResult(add)
            let addresses = result.ips.compactMap { ($0["address"] as? String)?.split(separator: "/").first.map(String.init) }
            let own4 = try #require(addresses.first { !$0.contains(":") }), own6 = try #require(addresses.first { $0.contains(":") })
            let mac = try #require(result.podMAC)
            let gateway6 = "fd00:250:11::1"

            // DAD with the default accept_dad: the pod's address and the gateway go from tentative to valid.
            #expect(try IPv6Address.settle(in: pod, own6, dev: ifname) == [], "the pod's address after DAD")
            #expect(try IPv6Address.settle(in: node, gateway6, dev: setup.bridge) == [], "the gateway after DAD")

            #expect(try Traffic.udpEcho(from: pod, to: gateway6, in: node, source: own6), "own IPv6 source")
            #expect(try Traffic.udpEcho(from: pod, to: Self.gateway, in: node, source: own4), "own IPv4 source (dual-stack)")
            try Shell.must(["ip", "-n", pod, "addr", "add", "fd00:250:11::200/128", "dev", ifname, "nodad"])
            #expect(try !Traffic.udpReaches(from: pod, to: gateway6, in: node, source: "fd00:250:11::200"),
                    "a foreign IPv6 source reached the gateway")
            #expect(try Traffic.udpEcho(from: pod, to: gateway6, in: node, source: own6), "own IPv6 source after the foreign one")

            // Unsolicited NAs, crafted in the pod, seen (or not) on the bridge.
            let frames = [["na", own6, own6, mac], ["na", own6, gateway6, mac]]
            let seen = try IPv6Address.frames(from: pod, dev: ifname, seenOn: setup.bridge, in: node, frames)
            #expect(seen.contains { $0["type"] as? Int == 136 && $0["target"] as? String == own6 }, "an NA for its own address: \(seen)")
            #expect(!seen.contains { $0["type"] as? Int == 136 && $0["target"] as? String == gateway6 },
                    "an NA claiming the gateway's address passed: \(seen)")

            // The pod's DAD NS (from ::) reaches the node: a link-local the bridge has is found duplicate.
            try Shell.must(["ip", "-n", node, "addr", "add", "fe80::5f:1/64", "dev", setup.bridge, "nodad"])
            try Shell.must(["ip", "-n", pod, "addr", "add", "fe80::5f:1/64", "dev", ifname])
            #expect(try IPv6Address.settle(in: pod, "fe80::5f:1", dev: ifname) == ["dadfailed"], "the pod's DAD did not reach the node")

            #expect(try setup.del(pod, ifname, identity).succeeded)
            #expect(try Nft.tables(in: node) == [])
        }
    }
}

/// IPv6 address state and crafted ND frames (Tests/tools/ip6frames.py) in the sandbox's namespaces.
enum IPv6Address {
    static let tool = Environment.packageRoot.appendingPathComponent("Tests/tools/ip6frames.py").path

    /// Waits (at most ~5 s) until DAD of `address` is over: `[]` valid, `["dadfailed"]`, `["tentative"]`
    /// (still), `["absent"]`.
    static func settle(in netns: String, _ address: String, dev: String) throws -> [String] {
        var flags = ["absent"]
        for _ in 0..<50 {
            let text = try Shell.must(["ip", "-n", netns, "-j", "-6", "addr", "show", "dev", dev]).stdout
            let infos = ((JSON.parse(text) as? [[String: Any]]) ?? []).flatMap { ($0["addr_info"] as? [[String: Any]]) ?? [] }
            guard let info = infos.first(where: { $0["local"] as? String == address }) else { flags = ["absent"]; break }
            if info["dadfailed"] as? Bool == true { return ["dadfailed"] }  // a failed address stays tentative too
            flags = info["tentative"] as? Bool == true ? ["tentative"] : []
            if flags.isEmpty { break }
            usleep(100_000)
        }
        return flags
    }

    /// Sends each frame (arguments of `ip6frames.py send`) from `dev` in `client` and returns the NS/NA/RA
    /// frames seen on `listenDev` in `server` meanwhile.
    static func frames(from client: String, dev: String, seenOn listenDev: String, in server: String,
                       _ frames: [[String]]) throws -> [[String: Any]] {
        let listener = Process()
        listener.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        listener.arguments = ["ip", "netns", "exec", server, Environment.python3, tool, "listen", listenDev,
                              "\(Double(frames.count) * 0.5 + 2)"]
        listener.environment = ["PATH": Shell.path]
        let out = Pipe()
        listener.standardOutput = out
        listener.standardError = FileHandle.nullDevice
        try listener.run()
        defer { if listener.isRunning { listener.terminate() } }
        usleep(400_000)
        for frame in frames {
            try Shell.must(["ip", "netns", "exec", client, Environment.python3, tool, "send", dev] + frame)
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        listener.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { JSON.object(String($0)) }
    }
}
