import Foundation
@testable import Netlink
import Testing
import TestSupport

/// Whether this kernel has bridge VLAN filtering (the stock-kernel VM does, our host kernel does not):
/// tried once on a bridge in a throwaway namespace.
let kernelHasBridgeVLANFiltering: Bool = {
    guard getuid() == 0, let node = try? ThrowawayNamespace("vlanprobe") else { return false }
    return (try? node.ip("link", "add", "b0", "type", "bridge", "vlan_filtering", "1")) != nil
}()

@Suite struct BridgeVLANParsingTests {
    /// IFLA_BRIDGE_VLAN_INFO entries as the kernel sends them with RTEXT_FILTER_BRVLAN_COMPRESSED.
    @Test func rangesAreExpandedWithTheBeginEntrysFlags() {
        func entry(_ flags: UInt16, _ vid: UInt16) -> [UInt8] {
            [8, 0, 2, 0, UInt8(flags & 0xff), UInt8(flags >> 8), UInt8(vid & 0xff), UInt8(vid >> 8)]
        }
        let flagsPVIDUntagged: UInt16 = 0b110, begin: UInt16 = 1 << 3, end: UInt16 = 1 << 4
        let spec = [6, 0, 0, 0, 2, 0, 0, 0]  // IFLA_BRIDGE_FLAGS (u16) first, ignored
            + entry(flagsPVIDUntagged, 1) + entry(begin, 100) + entry(end, 102) + entry(0b100, 4094)
        #expect(RouteSocket.vlans(inAFSpec: spec) == [
            BridgeVLAN(id: 1, pvid: true, untagged: true), BridgeVLAN(id: 100), BridgeVLAN(id: 101), BridgeVLAN(id: 102),
            BridgeVLAN(id: 4094, untagged: true),
        ])
        #expect(NetlinkAttributes.ordered(entry(0, 5) + entry(0, 6)).map(\.payload[2]) == [5, 6], "duplicates kept in order")
        #expect(BridgeVLAN(id: 10, pvid: true, untagged: true).description == "10 pvid untagged")
        #expect(BridgeVLAN(id: 10).description == "10 tagged")
    }
}

@Suite(.enabled(if: kernelHasBridgeVLANFiltering, "this kernel has no bridge VLAN filtering: the stock-kernel VM lane runs these"))
struct BridgeVLANKernelTests {
    /// vlan_filtering, port VLANs (access, ranges, delete) and the bridge's own VLANs, read back by us
    /// and by `bridge -j vlan show`.
    @Test func portAndSelfVLANsSetAndReadBackAsBridgeShowsThem() throws {
        try requireRoot()
        let node = try ThrowawayNamespace("vlan")
        let socket = try RouteSocket(in: try NetNS(path: node.path))
        try socket.addBridge(name: "br0", mtu: 1400, vlanFiltering: true)
        #expect(try socket.bridgeAttributes(of: "br0").vlanFiltering == true)
        #expect(try socket.existingLink(named: "br0").mtu == 1400)
        #expect(try socket.bridgeDefaultPVID(of: "br0") == 1)
        let bridge = try socket.existingLink(named: "br0")
        try socket.addVeth(name: "p1", peer: "p1p")
        try socket.setLink("p1", LinkChange(masterIndex: bridge.index))
        #expect(try socket.bridgeVLANs(of: "p1") == [BridgeVLAN(id: 1, pvid: true, untagged: true)], "the default PVID on join")

        try socket.addBridgeVLANs([BridgeVLANRange(10...10, pvid: true, untagged: true), BridgeVLANRange(100...200)], to: "p1")
        let expected = [BridgeVLAN(id: 1, untagged: true), BridgeVLAN(id: 10, pvid: true, untagged: true)]
            + (100...200).map { BridgeVLAN(id: $0) }
        #expect(try socket.bridgeVLANs(of: "p1") == expected, "PVID moved to 10; 100-200 tagged")
        #expect(try shown(node, "p1") == expected)

        try socket.deleteBridgeVLANs([1...1, 150...200], from: "p1")
        #expect(try socket.bridgeVLANs(of: "p1") == [BridgeVLAN(id: 10, pvid: true, untagged: true)] + (100...149).map { BridgeVLAN(id: $0) })

        // The bridge's own VLANs (`self`): 1 pvid untagged from creation, plus 10 tagged.
        try socket.addBridgeVLANs([BridgeVLANRange(10...10)], to: "br0", bridgeItself: true)
        #expect(try socket.bridgeVLANs(of: "br0") == [BridgeVLAN(id: 1, pvid: true, untagged: true), BridgeVLAN(id: 10)])
        #expect(try shown(node, "br0") == [BridgeVLAN(id: 1, pvid: true, untagged: true), BridgeVLAN(id: 10)])
        let all = try socket.allBridgeVLANs()
        let portIndex = try socket.existingLink(named: "p1").index
        #expect(all[bridge.index]?.count == 2 && all[portIndex]?.count == 51)

        try socket.setBridgeVLANFiltering("br0", false)
        #expect(try socket.bridgeAttributes(of: "br0").vlanFiltering == false)
        try socket.setBridgeVLANFiltering("br0", true)
        #expect(try socket.bridgeAttributes(of: "br0").vlanFiltering == true)
        // A link that is no bridge port has no VLANs; a missing one is an error naming it.
        try socket.addVeth(name: "lone", peer: "lonep")
        #expect(try socket.bridgeVLANs(of: "lone") == [])
        #expect(throws: NetlinkError.self) { try socket.addBridgeVLANs([BridgeVLANRange(5...5)], to: "missing0") }
    }

    /// The whole ID space in one call: more entries than one message holds are sent in batches.
    @Test func everyOtherVLANInBatches() throws {
        try requireRoot()
        let node = try ThrowawayNamespace("vlan")
        let socket = try RouteSocket(in: try NetNS(path: node.path))
        try socket.addBridge(name: "br0", mtu: nil, vlanFiltering: true)
        try socket.addVeth(name: "p1", peer: "p1p")
        try socket.setLink("p1", LinkChange(masterIndex: try socket.existingLink(named: "br0").index))
        let odd = stride(from: UInt16(3), through: 4093, by: 2).map { BridgeVLANRange($0...$0) }
        try socket.addBridgeVLANs(odd, to: "p1")
        let vlans = try socket.bridgeVLANs(of: "p1")
        #expect(vlans.count == odd.count + 1 && vlans.last == BridgeVLAN(id: 4093))
    }

    /// An 802.1Q device on the bridge: its ID read back; a veth has none.
    @Test func vlanDeviceOnTheBridge() throws {
        try requireRoot()
        let node = try ThrowawayNamespace("vlan")
        let socket = try RouteSocket(in: try NetNS(path: node.path))
        try socket.addBridge(name: "br0", mtu: nil, vlanFiltering: true)
        try socket.addVLANLink(name: "br0.42", on: "br0", id: 42)
        let link = try socket.existingLink(named: "br0.42")
        let bridgeIndex = try socket.existingLink(named: "br0").index
        #expect(link.kind == "vlan" && link.linkIndex == bridgeIndex)
        #expect(try socket.vlanID(of: "br0.42") == 42)
        #expect(try node.ip("-d", "link", "show", "br0.42").contains("vlan protocol 802.1Q id 42"))
        try socket.addVeth(name: "v0", peer: "v0p")
        #expect(try socket.vlanID(of: "v0") == nil)
        do {
            try socket.addVLANLink(name: "br0.42", on: "br0", id: 42)
            Issue.record("created br0.42 twice")
        } catch {
            #expect(error.isExists, "\(error)")
        }
    }

    private func shown(_ node: ThrowawayNamespace, _ dev: String) throws -> [BridgeVLAN] {
        let output = try run("/usr/sbin/bridge", "-n", node.name, "-j", "vlan", "show", "dev", dev)
        let list = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]])
        let entries = (list.first { $0["ifname"] as? String == dev }?["vlans"] as? [[String: Any]]) ?? []
        return entries.flatMap { entry -> [BridgeVLAN] in
            let flags = entry["flags"] as? [String] ?? []
            let first = UInt16(entry["vlan"] as? Int ?? 0), last = UInt16(entry["vlanEnd"] as? Int ?? Int(first))
            return (first...last).map { BridgeVLAN(id: $0, pvid: flags.contains("PVID"), untagged: flags.contains("Egress Untagged")) }
        }
    }
}

@Suite struct BridgeVLANWithoutKernelSupportTests {
    /// Where the kernel lacks VLAN filtering (our host kernel), asking for it is EOPNOTSUPP naming the bridge.
    @Test(.enabled(if: !kernelHasBridgeVLANFiltering, "this kernel has bridge VLAN filtering"))
    func refusedWithEOPNOTSUPP() throws {
        try requireRoot()
        let node = try ThrowawayNamespace("vlan")
        let socket = try RouteSocket(in: try NetNS(path: node.path))
        do {
            try socket.addBridge(name: "br0", mtu: nil, vlanFiltering: true)
            Issue.record("made a VLAN-filtering bridge on a kernel without it")
        } catch {
            #expect(error.errno == EOPNOTSUPP && error.description.contains("br0"), "\(error)")
        }
        #expect(try socket.link(named: "br0") == nil, "the kernel removes the half-made bridge")
    }
}
