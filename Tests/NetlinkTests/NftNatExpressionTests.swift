import Foundation
import Attach
@testable import Netlink
import Testing
import TestSupport

/// Destination fields, prefix matches, `meta nfproto` dependencies in inet tables, address-keyed verdict
/// maps and the masquerade statement: encoded as `nft` encodes them, read back as `nft` prints them.
@Suite struct NftNatExpressionTests {
    let nh = UInt32(1)  // NFT_PAYLOAD_NETWORK_HEADER
    let nfproto = UInt32(15)  // NFT_META_NFPROTO

    private func net(_ text: String) -> IPNetwork { IPNetwork(text)! }

    /// The expected expressions are what `nft --debug=netlink` (nftables 1.0.6) prints for the same rules.
    @Test func prefixesAreEncodedTheWayNftEncodesThem() {
        // inet: `ip daddr 10.77.0.0/24` = [ meta load nfproto ] [ cmp eq 0x02 ] [ payload load 3b @ nh + 16 ] [ cmp eq 0x0a4d00 ]
        #expect(NftMatch.destination(in: net("10.77.0.9/24")).expressions(in: .inet) == [
            .meta(key: nfproto), .cmp(op: 0, data: [2]),
            .payload(base: nh, offset: 16, length: 3), .cmp(op: 0, data: [10, 77, 0]),
        ])
        // inet: `ip daddr 224.0.0.0/4` = payload 4b, bitwise & 0xf0000000 ^ 0, cmp eq 0xe0000000
        #expect(NftMatch.destination(in: net("224.0.0.0/4")).expressions(in: .inet) == [
            .meta(key: nfproto), .cmp(op: 0, data: [2]),
            .payload(base: nh, offset: 16, length: 4), .bitwise(mask: [0xf0, 0, 0, 0], xor: [0, 0, 0, 0]),
            .cmp(op: 0, data: [224, 0, 0, 0]),
        ])
        // ip: no dependency; `ip daddr 10.77.0.0/23` = payload 4b, bitwise & 0xfffffe00, cmp eq 0x0a4d0000
        #expect(NftMatch.destination(in: net("10.77.1.2/23")).expressions(in: .ip) == [
            .payload(base: nh, offset: 16, length: 4), .bitwise(mask: [255, 255, 254, 0], xor: [0, 0, 0, 0]),
            .cmp(op: 0, data: [10, 77, 0, 0]),
        ])
        // inet: `ip6 daddr fd00:1::/64` = [ cmp eq 0x0a ] [ payload load 8b @ nh + 24 ] [ cmp eq fd00:0001:0:0 ]
        #expect(NftMatch.destination(in: net("fd00:1::5/64")).expressions(in: .inet) == [
            .meta(key: nfproto), .cmp(op: 0, data: [10]),
            .payload(base: nh, offset: 24, length: 8), .cmp(op: 0, data: [0xfd, 0, 0, 1, 0, 0, 0, 0]),
        ])
        // ip6: `ip6 daddr ff00::/8` = [ payload load 1b @ nh + 24 ] [ cmp eq 0xff ]
        #expect(NftMatch.destination(in: net("ff00::/8")).expressions(in: .ip6) == [
            .payload(base: nh, offset: 24, length: 1), .cmp(op: 0, data: [0xff]),
        ])
        // A full-length prefix is a plain address compare; `!=` keeps the same shape.
        #expect(NftMatch.destination(in: net("10.1.2.3/32"), .notEqual).expressions(in: .ip) == [
            .payload(base: nh, offset: 16, length: 4), .cmp(op: 1, data: [10, 1, 2, 3]),
        ])
        // In the bridge family the IP fields keep their `meta protocol` check (the spoof check's shape).
        #expect(NftMatch.destination(in: net("10.0.0.0/8")).expressions(in: .bridge).first == .meta(key: 1))  // NFT_META_PROTOCOL
        // /0 holds for every address of the family: only the family check remains.
        #expect(NftMatch.destination(in: net("0.0.0.0/0")).expressions(in: .inet) == [.meta(key: nfproto), .cmp(op: 0, data: [2])])
        #expect(NftValue.mask(prefix: 12, length: 4) == [255, 240, 0, 0])
    }

    @Test func vmapOnAddressesAndMasqueradeEncodeLikeNft() {
        // inet: `ip saddr vmap @pods` = [ meta load nfproto ] [ cmp eq 0x02 ] [ payload load 4b @ nh + 12 ] [ lookup set pods dreg 0 ]
        #expect(NftRule.verdictMap(.ipv4Source, map: "pods").expressions(in: .inet) == [
            .meta(key: nfproto), .cmp(op: 0, data: [2]), .payload(base: nh, offset: 12, length: 4), .lookup(set: "pods", verdictMap: true),
        ])
        #expect(NftRule.verdictMap(.ipv6Source, map: "pods6").expressions(in: .ip6) == [
            .payload(base: nh, offset: 8, length: 16), .lookup(set: "pods6", verdictMap: true),
        ])
        #expect(NftRule(statement: .masquerade).expressions(in: .ip) == [.masquerade])
        #expect(NftRule([.destination(in: net("10.0.0.0/8"))], statement: .masquerade, comment: "c").description
                == "ip daddr 10.0.0.0/8 masquerade comment \"c\"")
        #expect(NftRule([.destination(in: net("fd00::1/64"), .notEqual)], verdict: .accept).description == "ip6 daddr != fd00::/64 accept")
    }

    @Test func mismatchedPrefixesAreRefusedBeforeTheKernel() throws {
        try requireRoot()
        #expect(NftRule([NftMatch(.ipv4Destination, .equal, .network(net("fd00::/64")))], verdict: .accept).validate() != nil)
        #expect(NftRule([NftMatch(.iifname, .equal, .network(net("10.0.0.0/8")))], verdict: .accept).validate() != nil)
        #expect(NftRule([.destination(in: net("0.0.0.0/0"), .notEqual)], verdict: .accept).validate() != nil)
        #expect(NftRule([.destination(in: net("10.0.0.0/8"))], verdict: .accept).validate() == nil)

        let node = try ThrowawayNamespace("nfbad")
        let socket = try NftSocket(in: try NetNS(path: node.path))
        var batch = NftBatch()
        let table = NftTable(.ip, "t")
        batch.addTable(table)
        batch.addChain("c", in: table)
        batch.addRule(NftRule([NftMatch(.ipv4Destination, .equal, .network(net("fd00::/64")))], verdict: .accept), toChain: "c", in: table)
        #expect { try socket.commit(batch) } throws: { ($0 as? NetlinkError)?.errno == EINVAL }
        #expect(try !socket.tableExists(table), "nothing of a refused batch is applied")
    }

    /// One table per family (inet, ip, ip6), each with a nat postrouting chain, a verdict map on source
    /// addresses and a chain of prefix accepts ending in masquerade; `nft -j list ruleset` must print them
    /// as it prints the rules it writes itself.
    @Test func natRulesReadBackThroughNft() throws {
        try requireRoot()
        let node = try ThrowawayNamespace("nat")
        let socket = try NftSocket(in: try NetNS(path: node.path))
        let nat = NftBaseChain(hook: .postrouting, priority: 100, type: .nat, policy: .accept)

        var batch = NftBatch()
        for (family, maps) in [(NftFamily.inet, [("pods", NftKeyType.ipv4Address), ("pods6", .ipv6Address)]),
                               (.ip, [("pods", .ipv4Address)]), (.ip6, [("pods6", .ipv6Address)])] {
            let table = NftTable(family, "t\(family)")
            batch.addTable(table)
            batch.addChain("postrouting", in: table, base: nat)
            batch.addChain("masq", in: table)
            for (map, key) in maps {
                batch.addSet(NftSet(name: map, keyType: key, isVerdictMap: true), in: table)
                batch.addRule(.verdictMap(key == .ipv4Address ? .ipv4Source : .ipv6Source, map: map), toChain: "postrouting", in: table)
                let address: NftValue = key == .ipv4Address ? .ipv4([10, 77, 0, 2]) : .ipv6([0xfd, 0, 0, 1] + [UInt8](repeating: 0, count: 11) + [2])
                batch.addElements([NftElement(address, verdict: .jump("masq"), comment: "c1/eth0")], toSet: map, in: table)
            }
            if family != .ip6 {
                for subnet in ["10.0.0.0/8", "10.77.0.9/24", "10.77.1.0/23", "224.0.0.0/4", "10.1.2.3/32"] {
                    batch.addRule(NftRule([.destination(in: net(subnet))], verdict: .accept), toChain: "masq", in: table)
                }
                batch.addRule(NftRule([.destination(in: net("192.168.0.0/16"), .notEqual), .source(in: net("10.77.0.0/16"))],
                                      statement: .masquerade), toChain: "masq", in: table)
            }
            if family != .ip {
                for subnet in ["fd00:1::5/64", "ff00::/8", "2001:db8::/33"] {
                    batch.addRule(NftRule([.destination(in: net(subnet))], verdict: .accept), toChain: "masq", in: table)
                }
            }
            batch.addRule(NftRule(statement: .masquerade, comment: "c1/eth0"), toChain: "masq", in: table)
        }
        try socket.commit(batch)

        let listed = try ListedRuleset(node)
        let text = nftText(node)
        func rules(_ table: String, _ chain: String) -> [[String: Any]] {
            listed.all("rule").filter { $0["table"] as? String == table && $0["chain"] as? String == chain }
        }
        for family in ["inet", "ip", "ip6"] {
            let base = try #require(listed.all("chain").first { $0["table"] as? String == "t\(family)" && $0["name"] as? String == "postrouting" })
            #expect(base["type"] as? String == "nat" && base["hook"] as? String == "postrouting" && base["prio"] as? Int == 100)
        }
        #expect(try ListedRuleset.json(rules("tinet", "postrouting").map { $0["expr"]! }) == """
            [[{"vmap":{"data":"@pods","key":{"payload":{"field":"saddr","protocol":"ip"}}}}],\
            [{"vmap":{"data":"@pods6","key":{"payload":{"field":"saddr","protocol":"ip6"}}}}]]
            """)
        #expect(try ListedRuleset.json(rules("tinet", "masq").prefix(2).map { $0["expr"]! }) == """
            [[{"match":{"left":{"payload":{"field":"daddr","protocol":"ip"}},"op":"==","right":{"prefix":{"addr":"10.0.0.0","len":8}}}},{"accept":null}],\
            [{"match":{"left":{"payload":{"field":"daddr","protocol":"ip"}},"op":"==","right":{"prefix":{"addr":"10.77.0.0","len":24}}}},{"accept":null}]]
            """)
        let last = try #require(rules("tinet", "masq").last)
        #expect(try ListedRuleset.json(last["expr"]!) == #"[{"masquerade":null}]"#)
        #expect(last["comment"] as? String == "c1/eth0")
        let maps = listed.all("map")
        #expect(Set(maps.map { "\($0["family"]!) \($0["name"]!) \($0["type"]!) \($0["map"]!)" })
                == ["inet pods ipv4_addr verdict", "inet pods6 ipv6_addr verdict", "ip pods ipv4_addr verdict", "ip6 pods6 ipv6_addr verdict"])
        let inetPods = try #require(maps.first { $0["family"] as? String == "inet" && $0["name"] as? String == "pods" })
        #expect(try ListedRuleset.json(inetPods["elem"]!) == #"[[{"elem":{"comment":"c1\/eth0","val":"10.77.0.2"}},{"jump":{"target":"masq"}}]]"#)

        // The text form, line by line, in every family (no dependency shows).
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let expected = ["ip saddr vmap @pods", "ip6 saddr vmap @pods6",
                        "ip daddr 10.0.0.0/8 accept", "ip daddr 10.77.0.0/24 accept", "ip daddr 10.77.0.0/23 accept",
                        "ip daddr 224.0.0.0/4 accept", "ip daddr 10.1.2.3 accept",
                        "ip daddr != 192.168.0.0/16 ip saddr 10.77.0.0/16 masquerade",
                        "ip6 daddr fd00:1::/64 accept", "ip6 daddr ff00::/8 accept", "ip6 daddr 2001:db8::/33 accept",
                        "masquerade comment \"c1/eth0\"", "elements = { 10.77.0.2 comment \"c1/eth0\" : jump masq }",
                        "elements = { fd00:1::2 comment \"c1/eth0\" : jump masq }"]
        for line in expected {
            #expect(lines.contains(line), "missing `\(line)` in\n\(text)")
        }
        #expect(lines.filter { $0 == "ip daddr 10.0.0.0/8 accept" }.count == 2, "in inet and in ip")
        #expect(!text.contains("nfproto") && !text.contains("meta protocol"), "no dependency is left visible:\n\(text)")

        // Our own listing reads the address-keyed maps.
        #expect(try socket.elements(ofSet: "pods", in: NftTable(.inet, "tinet"))
                == [NftElement(.ipv4([10, 77, 0, 2]), verdict: .jump("masq"), comment: "c1/eth0")])
        #expect(try socket.elements(ofSet: "pods6", in: NftTable(.ip6, "tip6")).map(\.key.description) == ["fd00:1:0:0:0:0:0:2"])
    }
}
