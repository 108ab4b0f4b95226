import Attach
import CNIKit
import Netlink

/// What IPAM gives, put in place as the reference plugin does: gateways and default routes in the
/// result, the gateway on the bridge, forwarding on the node (the pod side is `PodAddressing`).
struct BridgeLayer3 {
    let call: Call
    let plan: BridgePlan

    /// The reference's rules: with `isGateway` a missing gateway is the subnet's first host; with `isDefaultGateway` each family gets a default route
    /// via its gateway unless IPAM already gave one.
    func withGateways(_ leased: Result) -> Result {
        var result = leased
        var familiesWithDefault = Set(result.routes.compactMap { route -> IPAddress.Family? in
            guard let destination = IPNetwork(route.dst), destination.isDefault, route.gw != nil else { return nil }
            return destination.family
        })
        for index in result.ips.indices {
            guard let address = IPNetwork(result.ips[index].address) else { continue }
            if result.ips[index].gateway == nil, plan.isGateway {
                result.ips[index].gateway = address.firstHost.description
            }
            if plan.isDefaultGateway, !familiesWithDefault.contains(address.family) {
                result.routes.append(.init(dst: address.address.isIPv4 ? "0.0.0.0/0" : "::/0", gw: result.ips[index].gateway))
                familiesWithDefault.insert(address.family)
            }
        }
        return result
    }

    /// The gateways as addresses of the bridge, or of its VLAN gateway interface for an access VLAN
    /// (under the bridge lock), and forwarding on the node. Returns the VLAN gateway for the result.
    func configureGateways(_ result: Result, hostVeth: String, node: borrowing RouteSocket,
                           rollback: Rollback) throws -> Result.Interface? {
        let gateways = result.ips.compactMap { ip -> IPNetwork? in
            guard let address = IPNetwork(ip.address), let gateway = ip.gateway.flatMap(IPAddress.init) else { return nil }
            return IPNetwork(address: gateway, prefixLength: address.prefixLength)
        }
        guard plan.isGateway, !gateways.isEmpty else { return nil }
        let vlanInterface = try NodeBridge.withLock(plan.bridge) { () throws -> Result.Interface? in
            if let name = plan.vlanGateway, let vlan = plan.vlans.access {
                try VLANGateway(name: name, vlan: vlan, bridge: plan.bridge, owner: plan.owner).ensure(node: node, hostVeth: hostVeth, rollback: rollback)
            }
            for gateway in gateways { try ensureAddress(gateway, node: node) }
            return try plan.vlanGateway.map { Result.Interface(name: $0, mac: try node.existingLink(named: $0).mac?.description ?? "") }
        }
        for family in Set(gateways.map(\.family)) {
            let key = family == .v4 ? "net.ipv4.ip_forward" : "net.ipv6.conf.all.forwarding"
            try Sysctl.write(try SysctlKey(key, ifname: plan.bridge), "1")
        }
        return vlanInterface
    }

    /// The reference's ensureAddr: keep an equal address; another IPv4 address (or an overlapping IPv6
    /// one) is replaced with `forceAddress`, and an error otherwise.
    private func ensureAddress(_ gateway: IPNetwork, node: borrowing RouteSocket) throws {
        let device = plan.gatewayDevice
        let existing = try node.addresses(of: device, ipv6: !gateway.address.isIPv4)
        if existing.contains(gateway) { return }
        for other in existing where gateway.address.isIPv4 || other.contains(gateway.address) || gateway.contains(other.address) {
            guard plan.forceAddress else {
                throw CNIError(.invalidConfig, "\(device == plan.bridge ? "bridge" : "VLAN gateway") \(device) already has \(other), not the gateway \(gateway): set forceAddress to replace it, or use another bridge")
            }
            try node.deleteAddress(other, from: device)
        }
        try node.addAddress(gateway, to: device)
        // Pin the bridge's MAC, or it follows the lowest port MAC as pods come and go (a VLAN gateway
        // interface follows the bridge's).
        if let mac = try node.existingLink(named: plan.bridge).mac {
            try node.setLink(plan.bridge, LinkChange(mac: mac))
        }
    }
}
