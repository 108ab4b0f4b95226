import CNIKit
import Netlink
internal import Glibc

/// The VLANs of a pod's port, as the reference plugin sets them since v1.8.0: with `preserveDefaultVlan`
/// false (the default) the port first loses the VLANs it joined with (the bridge's default PVID), then
/// gets the access or native VLAN (`pvid untagged`) and the trunk's VLANs (tagged).
struct BridgePortVLANs {
    let vlans: PortVLANs
    let bridge: String

    /// Under the bridge lock, after `NodeBridge.ensure`: a bridge this ADD created has `vlan_filtering` on;
    /// an existing bridge keeps its setting (the reference never changes it: it decides for every other
    /// port, e.g. tagged traffic of an uplink). Off, the VLANs are set but not enforced: say so.
    func checkFiltering(node: borrowing RouteSocket, log: Log) throws {
        switch try node.bridgeAttributes(of: bridge).vlanFiltering {
        case true?:
            return
        case false?:
            log.warning("bridge \(bridge) has vlan_filtering off, so the VLANs of this pod (\(summary)) are set on its port but not enforced: turn it on with `ip link set \(bridge) type bridge vlan_filtering 1` (and allow the VLANs on the uplink port)")
        case nil:
            throw BridgePortVLANs.unsupported(bridge, "the bridge reports no vlan_filtering")
        }
    }

    /// Sets the port's VLANs. The port must not forward yet (the pod end still down), so no frame of the
    /// pod ever travels in the default VLAN. The VLANs go with the veth: nothing to undo on its own.
    func configure(hostVeth: String, node: borrowing RouteSocket) throws {
        let result = Swift.Result { () throws(NetlinkError) in
            if !vlans.preserveDefault {
                let joined = try node.bridgeVLANs(of: hostVeth).map { $0.id...$0.id }
                if !joined.isEmpty { try node.deleteBridgeVLANs(joined, from: hostVeth) }
            }
            try node.addBridgeVLANs(vlans.additions, to: hostVeth)
        }
        if case .failure(let error) = result, error.errno == EOPNOTSUPP {
            throw BridgePortVLANs.unsupported(bridge, "\(error)")
        }
        try result.get()
    }

    /// CHECK: `vlan_filtering` on, every configured VLAN on the port with its flags, and no other VLAN
    /// but the bridge's default one when `preserveDefaultVlan` keeps it.
    func drift(hostVeth: String, node: borrowing RouteSocket) throws -> [String] {
        var drift: [String] = []
        if try node.bridgeAttributes(of: bridge).vlanFiltering != true {
            drift.append("bridge \(bridge) has vlan_filtering off: the VLANs of host veth \(hostVeth) (\(summary)) are not enforced")
        }
        let actual = Dictionary(try node.bridgeVLANs(of: hostVeth).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let configured = vlans.configured
        var missing: [UInt16] = []
        for (id, wanted) in configured.sorted(by: { $0.key < $1.key }) {
            guard let found = actual[id] else { missing.append(id); continue }
            if found != wanted { drift.append("host veth \(hostVeth) has VLAN \(found), configured \(wanted)") }
        }
        if !missing.isEmpty { drift.append("host veth \(hostVeth) lost VLAN \(PortVLANs.describe(missing))") }
        let defaultPVID = try node.bridgeDefaultPVID(of: bridge) ?? 0
        let extra = actual.keys.filter { configured[$0] == nil && !(vlans.preserveDefault && $0 == defaultPVID) }.sorted()
        if !extra.isEmpty {
            let note = extra.contains(defaultPVID) ? " (preserveDefaultVlan is false: the default VLAN \(defaultPVID) comes off the port)" : ""
            drift.append("host veth \(hostVeth) has VLAN \(PortVLANs.describe(extra)), which the config does not give it\(note)")
        }
        if vlans.preserveDefault, defaultPVID != 0, configured[defaultPVID] == nil, actual[defaultPVID] == nil {
            drift.append("host veth \(hostVeth) lost the bridge's default VLAN \(defaultPVID) (preserveDefaultVlan is true)")
        }
        return drift
    }

    private var summary: String {
        if let access = vlans.access { return "access VLAN \(access)" }
        return "trunk VLANs " + vlans.trunk.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            .joined(separator: ", ")
    }

    static func unsupported(_ bridge: String, _ detail: String) -> CNIError {
        CNIError(.ioFailure, "vlan/vlanTrunk: the kernel of this node has no bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING), so bridge \(bridge) cannot carry VLANs; use a kernel that has it or remove the VLAN keys (\(detail))")
    }
}
