import CNIKit
import Netlink
import Testing
@testable import bridge

/// `vlan`, `vlanTrunk`, `preserveDefaultVlan`: what the port gets, and every refusal (code 7, naming the key).
@Suite struct BridgeVLANPlanTests {
    private func plan(_ json: String) throws -> BridgePlan { try BridgePlanTests().plan(json) }

    @Test func noVLANKeysMeanNoVLANs() throws {
        #expect(try plan("{}").vlans == .none)
        #expect(try plan(#"{"vlan":0,"vlanTrunk":[]}"#).vlans.isEmpty, "0 and an empty trunk are none, as in the reference")
        #expect(try !plan("{}").vlans.preserveDefault, "preserveDefaultVlan defaults to false, as in the reference since v1.8.0")
        #expect(try plan(#"{"vlan":10,"preserveDefaultVlan":true}"#).vlans.preserveDefault)
    }

    @Test func accessVLANIsPVIDUntagged() throws {
        let vlans = try plan(#"{"vlan":10,"preserveDefaultVlan":false}"#).vlans
        #expect(vlans.access == 10 && vlans.trunk.isEmpty && !vlans.preserveDefault)
        #expect(vlans.additions == [BridgeVLANRange(10...10, pvid: true, untagged: true)])
        #expect(vlans.configured == [10: BridgeVLAN(id: 10, pvid: true, untagged: true)])
    }

    @Test func trunkEntriesAreSortedMergedAndTagged() throws {
        let vlans = try plan(#"{"vlanTrunk":[{"id":30},{"minID":10,"maxID":20},{"minID":15,"maxID":21},{"id":22},{"id":4094}]}"#).vlans
        #expect(vlans.access == nil)
        #expect(vlans.trunk == [10...22, 30...30, 4094...4094])
        #expect(vlans.additions == [BridgeVLANRange(10...22), BridgeVLANRange(30...30), BridgeVLANRange(4094...4094),
                                    BridgeVLANRange(1...1, pvid: true, untagged: true)], "VLAN 1 is the native VLAN, as in the reference")
        #expect(vlans.configured.count == 16 && vlans.configured[4094] == BridgeVLAN(id: 4094))
        #expect(vlans.configured[1] == BridgeVLAN(id: 1, pvid: true, untagged: true))
        #expect(PortVLANs.describe([3, 1, 2, 7, 9, 8, 20]) == "1-3, 7-9, 20")
    }

    /// Since reference v1.8.0 `vlan` with `vlanTrunk` is the trunk's native VLAN: untagged, the PVID.
    @Test func vlanWithATrunkIsItsNativeVLAN() throws {
        let vlans = try plan(#"{"vlan":20,"vlanTrunk":[{"minID":10,"maxID":19},{"id":1}]}"#).vlans
        #expect(vlans.access == 20 && vlans.trunk == [1...1, 10...19] && !vlans.preserveDefault)
        #expect(vlans.additions == [BridgeVLANRange(20...20, pvid: true, untagged: true), BridgeVLANRange(1...1), BridgeVLANRange(10...19)])
        #expect(vlans.configured[20] == BridgeVLAN(id: 20, pvid: true, untagged: true) && vlans.configured[1] == BridgeVLAN(id: 1))
        #expect(vlans.configured.count == 12)
    }

    @Test func aGatewayOnAnAccessVLANLivesOnBridgeDotVLAN() throws {
        let ipam = #""ipam":{"type":"host-local","subnet":"10.1.0.0/24"}"#
        #expect(try plan(#"{"bridge":"br1","isGateway":true,"vlan":100,"# + ipam + "}").vlanGateway == "br1.100")
        #expect(try plan(#"{"bridge":"br1","isGateway":true,"vlan":100,"# + ipam + "}").gatewayDevice == "br1.100")
        #expect(try plan(#"{"bridge":"br1","isGateway":true,"vlanTrunk":[{"id":5}],"# + ipam + "}").gatewayDevice == "br1")
        #expect(try plan(#"{"bridge":"br1","isGateway":true,"vlan":100}"#).vlanGateway == nil, "L2 only: no gateway")
    }

    @Test(arguments: [
        (#"{"vlan":4095}"#, "vlan: 4095"),
        (#"{"vlan":-1}"#, "vlan: -1"),
        (#"{"vlan":10,"vlanTrunk":[{"id":5},{"minID":8,"maxID":12}]}"#, "vlan and vlanTrunk: VLAN 10 cannot be both the trunk's native"),
        (#"{"vlanTrunk":[{"id":0}]}"#, "vlanTrunk[0].id: 0"),
        (#"{"vlanTrunk":[{"id":5},{"id":4095}]}"#, "vlanTrunk[1].id: 4095"),
        (#"{"vlanTrunk":[{"minID":0,"maxID":5}]}"#, "vlanTrunk[0].minID: 0"),
        (#"{"vlanTrunk":[{"minID":1,"maxID":5000}]}"#, "vlanTrunk[0].maxID: 5000"),
        (#"{"vlanTrunk":[{"minID":20,"maxID":10}]}"#, "vlanTrunk[0]: minID 20 is greater than maxID 10"),
        (#"{"vlanTrunk":[{"minID":20}]}"#, "vlanTrunk[0]: minID 20 needs a maxID"),
        (#"{"vlanTrunk":[{"maxID":20}]}"#, "vlanTrunk[0]: maxID 20 needs a minID"),
        (#"{"vlanTrunk":[{"id":5,"minID":1,"maxID":9}]}"#, "vlanTrunk[0]: give either"),
        (#"{"vlanTrunk":[{}]}"#, "vlanTrunk[0]: give either"),
        (#"{"bridge":"bridge-name-15b","isGateway":true,"vlan":100,"ipam":{"type":"host-local"}}"#, "bridge-name-15b.100"),
    ])
    func refusals(json: String, message: String) {
        #expect {
            try plan(json)
        } throws: { error in
            let error = error as? CNIError
            return error?.code == .invalidConfig && error?.msg.contains(message) == true
        }
    }
}
