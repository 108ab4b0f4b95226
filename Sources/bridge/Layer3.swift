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

    /// The gateways as addresses of the bridge (under the bridge lock), and forwarding on the node.
    func configureGateways(_ result: Result, node: borrowing RouteSocket) throws {
        let gateways = result.ips.compactMap { ip -> IPNetwork? in
            guard let address = IPNetwork(ip.address), let gateway = ip.gateway.flatMap(IPAddress.init) else { return nil }
            return IPNetwork(address: gateway, prefixLength: address.prefixLength)
        }
        guard plan.isGateway, !gateways.isEmpty else { return }
        try NodeBridge.withLock(plan.bridge) {
            for gateway in gateways { try ensureAddress(gateway, node: node) }
        }
        for family in Set(gateways.map(\.family)) {
            let key = family == .v4 ? "net.ipv4.ip_forward" : "net.ipv6.conf.all.forwarding"
            try Sysctl.write(try SysctlKey(key, ifname: plan.bridge), "1")
        }
    }

    /// The reference's ensureAddr: keep an equal address; another IPv4 address (or an overlapping IPv6
    /// one) is replaced with `forceAddress`, and an error otherwise.
    private func ensureAddress(_ gateway: IPNetwork, node: borrowing RouteSocket) throws {
        let existing = try node.addresses(of: plan.bridge, ipv6: !gateway.address.isIPv4)
        if existing.contains(gateway) { return }
        for other in existing where gateway.address.isIPv4 || other.contains(gateway.address) || gateway.contains(other.address) {
            guard plan.forceAddress else {
                throw CNIError(.invalidConfig, "bridge \(plan.bridge) already has \(other), not the gateway \(gateway): set forceAddress to replace it, or use another bridge")
            }
            try node.deleteAddress(other, from: plan.bridge)
        }
        try node.addAddress(gateway, to: plan.bridge)
        // Pin the bridge's MAC, or it follows the lowest port MAC as pods come and go.
        if let mac = try node.existingLink(named: plan.bridge).mac {
            try node.setLink(plan.bridge, LinkChange(mac: mac))
        }
    }
}
