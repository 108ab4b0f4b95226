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

            // Unsolicited NAs, crafted in the pod, seen (or not) on the bridge: its own addresses (the
            // link-local one made from its MAC) pass; the gateway's, global or link-local, do not.
            let ownLinkLocal = try #require(try IPv6Address.linkLocal(in: pod, dev: ifname))
            let bridgeLinkLocal = try #require(try IPv6Address.linkLocal(in: node, dev: setup.bridge))
            // The bridge's own NAs (a slow guest finishes its link-local's DAD late) are not the pod's: only
            // frames from the pod's MAC count, once the bridge's address has settled.
            #expect(try IPv6Address.settle(in: node, bridgeLinkLocal, dev: setup.bridge) == [], "the bridge's link-local after DAD")
            let frames = [["na", own6, own6, mac], ["na", own6, gateway6, mac], ["na", ownLinkLocal, ownLinkLocal, mac],
                          ["na", ownLinkLocal, bridgeLinkLocal, mac]]
            let seen = try IPv6Address.frames(from: pod, dev: ifname, seenOn: setup.bridge, in: node, frames)
                .filter { $0["smac"] as? String == mac }
            func na(_ target: String) -> Bool { seen.contains { $0["type"] as? Int == 136 && $0["target"] as? String == target } }
            #expect(na(own6), "an NA for its own address: \(seen)")
            #expect(na(ownLinkLocal), "an NA for its MAC-derived link-local address: \(seen)")
            #expect(!na(gateway6), "an NA claiming the gateway's address passed: \(seen)")
            #expect(!na(bridgeLinkLocal), "an NA claiming the bridge's link-local address passed: \(seen)")

            // The pod's DAD NS (from ::) for an address the bridge has never reaches it: a pod cannot fail the
            // gateway's DAD (without the rules the pod's address would be found duplicate).
            try Shell.must(["ip", "-n", pod, "addr", "add", "\(gateway6)/128", "dev", ifname])
            #expect(try IPv6Address.settle(in: pod, gateway6, dev: ifname) == [], "the pod's DAD for the gateway's address reached the node")

            #expect(try setup.del(pod, ifname, identity).succeeded)
            #expect(try Nft.tables(in: node) == [])
        }

        /// Ours-only: the node's addresses on the bridge are kept in a set every ADD and DEL refreshes (under
        /// the bridge's lock): an address the bridge gets after a pod's ADD is protected from the next ADD on,
        /// and one it loses is free again after the next DEL. With `ipspoofchkLinkLocal: any` the pod may
        /// claim a stable-privacy link-local address, never another pod's MAC-derived one.
        @Test(.enabled(if: Implementation.enabled.contains(.ours), "ipspoofchk is ours only"))
        func theNodeAddressesFollowTheBridgeThroughADDAndDEL() throws {
            let setup = try BridgeSetup(.ours, "br-spoof-check.conflist") {
                $0["ipspoofchk"] = true
                $0["ipspoofchkLinkLocal"] = "any"
                $0["ipam"] = ["type": "host-local", "ranges": [[["subnet": "10.250.11.0/24"]], [["subnet": "fd00:250:11::/64"]]]]
            }
            let node = setup.sandbox.node
            let pod1 = try setup.sandbox.pod("pod1"), pod2 = try setup.sandbox.pod("pod2")
            let id1 = PodIdentity.random(), id2 = PodIdentity.random()
            let add1 = try setup.add(pod1, IfName.multus, id1)
            try #require(add1.succeeded, "\(add1)")
            let mac = try #require(BridgeResult(add1).podMAC)
            let configured = "fe80::5f:1", stable = "fe80::1234:5678:9abc:def0"
            func arrives(_ targets: [String]) throws -> [String: Bool] {
                let seen = try IPv6Address.frames(from: pod1, dev: IfName.multus, seenOn: setup.bridge, in: node,
                                                  targets.map { ["na", $0, $0, mac] })
                return Dictionary(uniqueKeysWithValues: targets.map { target in
                    (target, seen.contains { $0["type"] as? Int == 136 && $0["target"] as? String == target })
                })
            }
            try Shell.must(["ip", "-n", node, "addr", "add", "\(configured)/64", "dev", setup.bridge, "nodad"])
            #expect(try arrives([configured]) == [configured: true], "added after the ADD: not yet in the set (the control)")

            let add2 = try setup.add(pod2, IfName.multus, id2)
            try #require(add2.succeeded, "\(add2)")
            let peer = try #require(try IPv6Address.linkLocal(in: pod2, dev: IfName.multus))
            #expect(try arrives([configured, peer, stable]) == [configured: false, peer: false, stable: true],
                    "after pod2's ADD")

            try Shell.must(["ip", "-n", node, "addr", "del", "\(configured)/64", "dev", setup.bridge])
            #expect(try setup.del(pod2, IfName.multus, id2).succeeded)
            #expect(try arrives([configured]) == [configured: true], "no longer the node's after pod2's DEL")
            #expect(try setup.del(pod1, IfName.multus, id1).succeeded)
            #expect(try Nft.tables(in: node) == [])
        }

        /// Ours-only: with `ipspoofchk`, frames under two VLAN tags (802.1ad outside 802.1Q) are dropped
        /// whatever they carry; with `macspoofchk` alone (the control) the same frames from the pod's MAC pass.
        @Test(.enabled(if: Implementation.enabled.contains(.ours), "ipspoofchk is ours only"), arguments: [true, false])
        func stackedVLANTagsDoNotCarryPastTheIPCheck(_ ipSpoofCheck: Bool) throws {
            let setup = try BridgeSetup(.ours, "br-spoof-check.conflist") {
                $0["ipspoofchk"] = ipSpoofCheck
                $0["ipam"] = ["type": "host-local", "ranges": [[["subnet": "10.250.11.0/24"]], [["subnet": "fd00:250:11::/64"]]]]
            }
            let node = setup.sandbox.node, pod = try setup.sandbox.pod()
            let identity = PodIdentity.random()
            let add = try setup.add(pod, IfName.multus, identity)
            try #require(add.succeeded, "\(add)")
            let result = BridgeResult(add)
            let mac = try #require(result.podMAC)
            let own6 = try #require(result.ips.compactMap { ($0["address"] as? String)?.split(separator: "/").first.map(String.init) }
                .first { $0.contains(":") })
            let tags = "tags=88a8.5,8100.6"
            let frames = [["udp4", "10.250.11.200", Self.gateway, "-", "0", tags, "mark=qinq-ipv4"],
                          ["arp", "10.250.11.200", Self.gateway, "-", "0", tags, "mark=qinq-arp"],
                          ["na", own6, "fd00:250:11::1", mac, "0", tags]]
            let seen = try IPv6Address.frames(from: pod, dev: IfName.multus, seenOn: setup.bridge, in: node, frames)
            let marks = Set(seen.compactMap { $0["mark"] as? String })
            let na = seen.contains { $0["type"] as? Int == 136 && $0["target"] as? String == "fd00:250:11::1" }
            if ipSpoofCheck {
                #expect(marks.isEmpty && !na, "frames under two tags passed the IP check: \(seen)")
            } else {
                #expect(marks == ["qinq-ipv4", "qinq-arp"] && na, "macspoofchk alone lets the pod's MAC through: \(seen)")
            }
            #expect(try setup.del(pod, IfName.multus, identity).succeeded)
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

    /// The link-local address the kernel gave `dev` (waiting up to ~3 s: a bridge gets it with carrier).
    static func linkLocal(in netns: String, dev: String) throws -> String? {
        for _ in 0..<30 {
            let text = try Shell.must(["ip", "-n", netns, "-j", "-6", "addr", "show", "dev", dev, "scope", "link"]).stdout
            let infos = ((JSON.parse(text) as? [[String: Any]]) ?? []).flatMap { ($0["addr_info"] as? [[String: Any]]) ?? [] }
            if let address = infos.compactMap({ $0["local"] as? String }).first { return address }
            usleep(100_000)
        }
        return nil
    }

    /// Sends the frames (arguments of `ip6frames.py send`) from `dev` in `client` and returns what was seen
    /// on `listenDev` in `server` meanwhile, as `ip6frames.py listen` describes it (NS/NA/RA, marked frames).
    static func frames(from client: String, dev: String, seenOn listenDev: String, in server: String,
                       _ frames: [[String]]) throws -> [[String: Any]] {
        // The listener runs until told to stop, once every frame is sent: a slow guest (the VM lane) takes
        // seconds to start python, so no fixed listening time fits.
        let listener = Process()
        listener.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        listener.arguments = ["ip", "netns", "exec", server, Environment.python3, tool, "listen", listenDev, "120"]
        listener.environment = ["PATH": Shell.path]
        let out = Pipe()
        listener.standardOutput = out
        listener.standardError = FileHandle.nullDevice
        try listener.run()
        defer { if listener.isRunning { listener.terminate() } }
        var data = Data()
        while !data.starts(with: Data("ready\n".utf8)) {
            let chunk = out.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            data.append(chunk)
        }
        try Shell.must(["ip", "netns", "exec", client, Environment.python3, tool, "send-lines", dev],
                       stdin: frames.map { $0.joined(separator: " ") }.joined(separator: "\n"))
        usleep(300_000)
        listener.terminate()
        data.append(out.fileHandleForReading.readDataToEndOfFile())
        listener.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { JSON.object(String($0)) }
    }
}
