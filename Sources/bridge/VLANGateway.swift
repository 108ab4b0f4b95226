import Attach
import CNIKit
import Netlink

/// `isGateway` with an access `vlan`: the gateway addresses live on `<bridge>.<vlan>`, where pods of that
/// VLAN reach them. The reference makes it a veth pair whose other end is a bridge port in the VLAN;
/// here it is an 802.1Q device on the bridge, with the VLAN on the bridge itself (`bridge vlan add vid
/// VLAN dev BRIDGE self`): no extra bridge port, nothing random in its name. A `<bridge>.<vlan>` veth the
/// reference left on the node is used as it is. Shared by every pod of the VLAN, it stays after DEL, as
/// the bridge does. One this plugin makes carries `owner`'s mark.
struct VLANGateway {
    let name: String
    let vlan: UInt16
    let bridge: String
    let owner: OwnerMark

    /// Makes the interface when missing (undone if the ADD fails and no other pod of the VLAN is on the
    /// bridge) and brings it up. Call it under the bridge lock.
    func ensure(node: borrowing RouteSocket, hostVeth: String, rollback: Rollback) throws {
        if let existing = try node.link(named: name) {
            try accept(existing, node: node)
        } else {
            let selfVLANs = try node.bridgeVLANs(of: bridge)
            if let own = selfVLANs.first(where: { $0.id == vlan }), own.untagged {
                throw CNIError(.invalidConfig, "vlan \(vlan): bridge \(bridge) itself carries VLAN \(vlan) untagged (its default VLAN); a gateway on that VLAN would take it from the bridge: use another VLAN, or isGateway false")
            }
            let hadVLAN = selfVLANs.contains { $0.id == vlan }
            try node.addVLANLink(name: name, on: bridge, id: vlan)
            let gateway = self
            rollback.push("remove the VLAN gateway \(name), made by this ADD") {
                try NodeBridge.withLock(gateway.bridge) {
                    try gateway.removeIfUnused(except: hostVeth, removeBridgeVLAN: !hadVLAN, node: try RouteSocket())
                }
            }
            try node.setLink(name, LinkChange(alias: owner.description))
            try node.addBridgeVLANs([BridgeVLANRange(vlan...vlan)], to: bridge, bridgeItself: true)
        }
        try node.setLink(name, LinkChange(up: true))
    }

    /// CHECK: the interface is there and still on the VLAN.
    func drift(node: borrowing RouteSocket) throws -> [String] {
        guard let link = try node.link(named: name) else { return ["the VLAN gateway \(name) is missing from the node"] }
        guard link.kind == "vlan" else { return [] }  // the reference's veth
        var drift: [String] = []
        if try node.vlanID(of: name) != vlan { drift.append("the VLAN gateway \(name) is not on VLAN \(vlan)") }
        if !link.isUp { drift.append("the VLAN gateway \(name) is down") }
        if try !node.bridgeVLANs(of: bridge).contains(BridgeVLAN(id: vlan)) {
            drift.append("bridge \(bridge) itself lost VLAN \(vlan) (tagged), which its gateway \(name) needs")
        }
        return drift
    }

    /// An 802.1Q device of this VLAN on this bridge, or the reference's veth; anything else is refused.
    private func accept(_ existing: Link, node: borrowing RouteSocket) throws {
        if existing.kind == "veth" { return }
        let lower = try node.existingLink(named: bridge).index
        guard existing.kind == "vlan", existing.linkIndex == lower, try node.vlanID(of: name) == vlan else {
            throw CNIError(.invalidConfig, "bridge and vlan: \(name) already exists in \(node.netnsPath) and is not the gateway of VLAN \(vlan) on \(bridge) (a \(existing.kind ?? "device without a kind")); remove it or use another bridge")
        }
        // The bridge's own VLAN may have been lost: adding it again changes nothing otherwise.
        try node.addBridgeVLANs([BridgeVLANRange(vlan...vlan)], to: bridge, bridgeItself: true)
    }

    /// Deletes the interface (and the bridge's own VLAN when the ADD added it) unless a port of the bridge
    /// other than `except` is in the VLAN.
    private func removeIfUnused(except hostVeth: String, removeBridgeVLAN: Bool, node: borrowing RouteSocket) throws {
        guard let bridgeLink = try node.link(named: bridge) else { return }
        let vlans = try node.allBridgeVLANs()
        let users = try node.links().filter { port in
            port.masterIndex == bridgeLink.index && port.name != hostVeth
                && (vlans[port.index] ?? []).contains { $0.id == vlan }
        }
        guard users.isEmpty else { return }
        if try node.link(named: name) != nil { try node.deleteLink(name) }
        if removeBridgeVLAN { try node.deleteBridgeVLANs([vlan...vlan], from: bridge, bridgeItself: true) }
    }
}
