import Foundation
import Attach
import Netlink
import Testing
import TestSupport

@Suite struct NftBatchTests {
    let mac = MACAddress("02:aa:bb:cc:dd:01")!

    @Test func bridgeTableChainsMapAndRulesReadBackThroughNft() throws {
        try requireRoot()
        let node = try ThrowawayNamespace("nft")
        let socket = try NftSocket(in: try NetNS(path: node.path))
        #expect(try !socket.tableExists(spoofTable))

        var batch = NftBatch()
        SpoofCheck.ensureBase(&batch)
        SpoofCheck.addPort(&batch, .init(hostVeth: "veth-a1", mac: mac, bridge: "br0", owner: "c1/net1"))
        let extra = "cni-spoof-extra"
        batch.addChain(extra, in: spoofTable)
        batch.addChain("cni-spoof-target", in: spoofTable)
        batch.addRule(NftRule([.arpSenderHardware(mac, .notEqual)], counter: true, verdict: .drop), toChain: extra, in: spoofTable)
        batch.addRule(NftRule([.arpSenderIPv4([10, 99, 0, 1])], verdict: .return), toChain: extra, in: spoofTable)
        batch.addRule(NftRule([.ipv4Source([10, 99, 0, 1])], verdict: .accept), toChain: extra, in: spoofTable)
        batch.addRule(NftRule([.ipv6Source([0xfe, 0x80] + [UInt8](repeating: 0, count: 13) + [1])], verdict: .goto("cni-spoof-target")),
                      toChain: extra, in: spoofTable)
        batch.addRule(NftRule([.metaProtocol(0x86dd), .iifname("veth*")], verdict: .continue), toChain: extra, in: spoofTable)
        batch.addRule(NftRule([.etherType(0x0806), .oifname("eth0", .notEqual)], verdict: .accept), toChain: extra, in: spoofTable)
        try socket.commit(batch)

        let listed = try ListedRuleset(node)
        let text = nftText(node)
        let table = try #require(listed.all("table").first, "\(text)")
        #expect(table["family"] as? String == "bridge" && table["name"] as? String == "swiftcni")

        let base = try #require(listed.chain("prerouting"), "\(text)")
        #expect(base["hook"] as? String == "prerouting")
        #expect(base["prio"] as? Int == -300)
        #expect(base["type"] as? String == "filter")
        #expect(base["policy"] as? String == "accept")
        #expect(text.contains("comment \"MAC spoof check of pod ports\""), "chain comments: \(text)")
        #expect(text.contains("comment \"swift-cni\""), "table comment: \(text)")
        #expect(try ListedRuleset.json(listed.rules(in: "prerouting").map { $0["expr"]! })
                == #"[[{"vmap":{"data":"@ports","key":{"meta":{"key":"iifname"}}}}]]"#)

        let map = try #require(listed.all("map").first, "\(text)")
        #expect(map["name"] as? String == "ports" && map["type"] as? String == "ifname" && map["map"] as? String == "verdict")
        #expect(map["comment"] as? String == "pod port -> its chain")
        #expect(try ListedRuleset.json(map["elem"]!)
                == #"[[{"elem":{"comment":"c1\/net1","val":"veth-a1"}},{"jump":{"target":"cni-spoof-veth-a1"}}]]"#)

        let pod = listed.rules(in: "cni-spoof-veth-a1")
        #expect(pod.map { $0["comment"] as? String } == ["pod MAC", "spoofed"])
        #expect(try ListedRuleset.json(pod.map { $0["expr"]! }) == """
            [[{"match":{"left":{"payload":{"field":"saddr","protocol":"ether"}},"op":"==","right":"02:aa:bb:cc:dd:01"}},{"return":null}],\
            [{"drop":null}]]
            """)
        #expect(text.contains("comment \"pod c1/net1\""))

        // Each typed building block prints as the nft expression it stands for (dependencies hidden by nft).
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        for expected in ["arp saddr ether != 02:aa:bb:cc:dd:01 counter packets 0 bytes 0 drop",
                         "arp saddr ip 10.99.0.1 return",
                         "ip saddr 10.99.0.1 accept",
                         "ip6 saddr fe80::1 goto cni-spoof-target",
                         "meta protocol ip6 iifname \"veth*\" continue",
                         "ether type arp oifname != \"eth0\" accept"] {
            #expect(lines.contains(expected), "missing `\(expected)` in\n\(text)")
        }

        // And our own listing agrees.
        #expect(try socket.tableExists(spoofTable))
        #expect(try socket.chainExists("cni-spoof-veth-a1", in: spoofTable))
        #expect(try !socket.chainExists("cni-spoof-nope", in: spoofTable))
        let chains = try socket.chains(in: spoofTable)
        #expect(Set(chains.map(\.name)) == ["prerouting", "cni-spoof-veth-a1", extra, "cni-spoof-target"])
        let baseInfo = try #require(chains.first { $0.name == "prerouting" })
        #expect(baseInfo.base == NftBaseChain(hook: .prerouting, priority: -300))
        #expect(baseInfo.comment == "MAC spoof check of pod ports")
        #expect(chains.first { $0.name == extra }?.base == nil)
        #expect(try socket.elements(ofSet: "ports", in: spoofTable)
                == [NftElement(.ifname("veth-a1"), verdict: .jump("cni-spoof-veth-a1"), comment: "c1/net1")])

        // Ensuring again changes nothing (no duplicate rules); removing the last port leaves an empty map.
        var again = NftBatch()
        SpoofCheck.ensureBase(&again)
        SpoofCheck.addPort(&again, .init(hostVeth: "veth-a1", mac: mac, bridge: "br0", owner: "c1/net1"))
        try socket.commit(again)
        #expect(try ListedRuleset(node).rules(in: "prerouting").count == 1)
        #expect(try ListedRuleset(node).rules(in: "cni-spoof-veth-a1").count == 2)

        var remove = NftBatch()
        SpoofCheck.removePort(&remove, hostVeth: "veth-a1")
        try socket.commit(remove)
        #expect(try socket.elements(ofSet: "ports", in: spoofTable).isEmpty, "the last pod is gone")
        #expect(try !socket.chainExists("cni-spoof-veth-a1", in: spoofTable))
        try socket.commit(remove)  // destroy: already gone is fine

        var drop = NftBatch()
        drop.deleteTable(spoofTable)
        try socket.commit(drop)
        #expect(try !socket.tableExists(spoofTable))
        #expect(try socket.chains(in: spoofTable).isEmpty)
        #expect(try ListedRuleset(node).all("table").isEmpty)
    }

    @Test func aFailingLastOperationLeavesNothingAndIsNamed() throws {
        try requireRoot()
        let node = try ThrowawayNamespace("nft")
        let socket = try NftSocket(in: try NetNS(path: node.path))

        var batch = NftBatch()
        SpoofCheck.ensureBase(&batch)
        SpoofCheck.addPort(&batch, .init(hostVeth: "veth-b1", mac: mac, bridge: "br0", owner: "c1/net1"))
        batch.addElements([NftElement(.ifname("veth-b2"), verdict: .jump("cni-spoof-missing"))], toSet: "ports", in: spoofTable)
        do {
            try socket.commit(batch)
            Issue.record("a jump to a missing chain was accepted")
        } catch {
            #expect(error.errno == ENOENT, "\(error)")
            #expect(error.operation == "add element")
            #expect(error.object == "{ \"veth-b2\" : jump cni-spoof-missing } in set ports in table bridge swiftcni", "\(error)")
        }
        #expect(try !socket.tableExists(spoofTable), "nothing of the batch may remain")
        #expect(try ListedRuleset(node).all("table").isEmpty, "\(nftText(node))")

        // A kernel refusal in the middle names that operation too.
        var middle = NftBatch()
        middle.addTable(spoofTable)
        middle.addChain("c", in: spoofTable, base: NftBaseChain(hook: .prerouting, priority: -300))
        middle.deleteChain("not-there", in: spoofTable)
        middle.addChain("d", in: spoofTable)
        do {
            try socket.commit(middle)
            Issue.record("deleted a missing chain")
        } catch {
            #expect(error.isNotFound)
            #expect(error.description.hasPrefix("delete chain not-there in table bridge swiftcni: "), "\(error)")
        }
        #expect(try !socket.tableExists(spoofTable))

        // Exclusive adds report the existing object.
        var first = NftBatch()
        first.addTable(spoofTable)
        try socket.commit(first)
        var exclusive = NftBatch()
        exclusive.addTable(spoofTable, exclusive: true)
        #expect { try socket.commit(exclusive) } throws: { ($0 as? NetlinkError)?.isExists == true }
        var cleanup = NftBatch()
        cleanup.deleteTable(spoofTable, ifExists: true)
        try socket.commit(cleanup)
        try socket.commit(cleanup)
        #expect(try !socket.tableExists(spoofTable))
    }

    @Test func aJumpLoopIsRefused() throws {
        try requireRoot()
        let node = try ThrowawayNamespace("nft")
        let socket = try NftSocket(in: try NetNS(path: node.path))
        var batch = NftBatch()
        batch.addTable(spoofTable)
        batch.addChain("base", in: spoofTable, base: NftBaseChain(hook: .prerouting, priority: -300))
        batch.addChain("a", in: spoofTable)
        batch.addChain("b", in: spoofTable)
        batch.addRule(NftRule(verdict: .jump("a")), toChain: "base", in: spoofTable)
        batch.addRule(NftRule(verdict: .jump("b")), toChain: "a", in: spoofTable)
        batch.addRule(NftRule(verdict: .jump("a")), toChain: "b", in: spoofTable)
        do {
            try socket.commit(batch)
            Issue.record("a jump loop was accepted:\n\(nftText(node))")
        } catch {
            // Linux reports a loop as EMLINK, naming the rule that closes it.
            #expect(error.errno == EMLINK || error.errno == ELOOP, "\(error)")
            #expect(error.description.hasPrefix("add rule `jump a` to chain b in table bridge swiftcni: "), "\(error)")
        }
        #expect(try !socket.tableExists(spoofTable))
    }

    @Test func invalidValuesFailBeforeAnythingIsSent() throws {
        try requireRoot()
        let node = try ThrowawayNamespace("nft")
        let socket = try NftSocket(in: try NetNS(path: node.path))
        var batch = NftBatch()
        batch.addTable(spoofTable)
        batch.addChain("c", in: spoofTable)
        batch.addRule(NftRule([.iifname("a-name-longer-than-15")], verdict: .drop), toChain: "c", in: spoofTable)
        do {
            try socket.commit(batch)
            Issue.record("accepted a 21-byte interface name")
        } catch {
            #expect(error.errno == EINVAL)
            #expect(error.operation == "add rule" && error.reason.contains("1-15 bytes"), "\(error)")
        }
        var comment = NftBatch()
        comment.addTable(spoofTable, comment: String(repeating: "x", count: 200))
        #expect(throws: NetlinkError.self) { try socket.commit(comment) }
        #expect(try !socket.tableExists(spoofTable))
    }
}
