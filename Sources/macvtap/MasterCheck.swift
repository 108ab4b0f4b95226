import Attach
import CNIKit
import Netlink

/// Which node NIC a standalone macvtap NAD may name as `master`. A NAD is a namespace user's: without the
/// admin's list (`macvtap.masters` in the node policy) a NIC qualifies only when the node does not use it
/// itself — no address but IPv6 link-local, no route through it, no master (bridge, bond, VRF), not a
/// bridge or tunnel, nothing swift-cni made — so no mode (passthru included) can take the node's uplink
/// or put a pod on its management or storage network. The device-plugin flow (`deviceID`) is the
/// admin's device plugin's choice and is not checked here.
struct MasterCheck {
    let policy: NodePolicy

    /// Kinds that are the node's own plumbing, never a NIC to give a pod.
    static let refusedKinds: Set<String> = ["bridge", "openvswitch", "geneve", "vxlan", "macvtap", "macvlan", "ipvlan", "vrf",
                                            "wireguard", "ipip", "gre", "gretap", "sit", "ip6tnl"]

    func verify(_ master: Link, node: borrowing RouteSocket) throws {
        if let allowed = policy.macvtapMasters {
            guard allowed.contains(where: { $0.matches(master.name) }) else {
                throw CNIError(.invalidConfig, "master: \"\(master.name)\" is not one of the NICs the node policy allows for macvtap "
                    + "(macvtap.masters: \(allowed.map(\.description).joined(separator: ", ")))")
            }
            return
        }
        if let reason = try inUse(master, node: node) {
            throw CNIError(.invalidConfig, "master: \(master.name) \(reason): a NAD may not put pods on a NIC the node itself uses; "
                + "use a NIC dedicated to VMs, or let the node admin list it in the node policy (macvtap.masters)")
        }
    }

    /// Why the node uses `master`; nil when it does not.
    private func inUse(_ master: Link, node: borrowing RouteSocket) throws -> String? {
        if let kind = master.kind, MasterCheck.refusedKinds.contains(kind) { return "is a \(kind), not a NIC" }
        if master.masterIndex != 0 { return "is enslaved to another device (ifindex \(master.masterIndex))" }
        if let mark = OwnerMark.of(master) { return "was made by swift-cni for network \(mark.network)" }
        if let address = try node.addresses(of: master.name).first(where: { !$0.address.isIPv6LinkLocal }) {
            return "carries the node's address \(address)"
        }
        for ipv6 in [false, true] {
            if let route = try node.routes(ipv6: ipv6, table: nil).first(where: { route in
                route.interfaceIndex == master.index && route.table != 255 && !route.destination.address.isIPv6LinkLocal
                    && !route.destination.address.isMulticast
            }) {
                return "is the device of the node's route to \(route.destination.isDefault ? "default" : route.destination.network.description)"
            }
        }
        return nil
    }
}
