import Attach
import CNIKit
import Netlink

/// CHECK: what ADD made is still there and still as configured, for L2-only and IPAM configs alike.
/// Every drift is listed in one error naming the interface, the attribute, the wanted and found value.
struct BridgeCheck {
    let call: Call
    let plan: BridgePlan

    func run() throws {
        try BridgedPod.check(call, hasIPAM: plan.hasIPAM, attachment: "attachment", drift: drift)
    }

    private func drift(_ previous: Result, node: borrowing RouteSocket, pod: borrowing NetNS) throws -> [String] {
        let environment = call.environment
        guard let bridge = try node.link(named: plan.bridge), bridge.kind == "bridge" else {
            throw CNIError(.invalidConfig, "CHECK: bridge \(plan.bridge) is missing from the node (or is not a bridge)")
        }
        var drift: [String] = []
        if bridge.isPromiscuous != plan.promiscuous {
            drift.append("bridge \(plan.bridge) promisc is \(bridge.isPromiscuous), configured \(plan.promiscuous)")
        }
        let port = BridgedPod.Port(bridge: bridge, mtu: plan.mtu, mac: plan.mac, podUp: !plan.disableContainerInterface,
                                   hairpin: plan.hairpin, isolated: plan.portIsolation)
        drift += try BridgedPod.drift(previous, call, port: port, spoofCheck: plan.macSpoofCheck || plan.ipSpoofCheck,
                                      node: node, pod: pod)
        if !plan.vlans.isEmpty {
            let hostVeth = HostVethName.derive(containerID: environment.containerID, ifname: environment.ifname)
            drift += try BridgePortVLANs(vlans: plan.vlans, bridge: plan.bridge).drift(hostVeth: hostVeth, node: node)
        }
        if plan.isGateway {
            let gateways = previous.ips.compactMap { $0.gateway.flatMap(IPAddress.init) }
            var device = "bridge \(plan.bridge)"
            if let name = plan.vlanGateway, let vlan = plan.vlans.access, !gateways.isEmpty {
                drift += try VLANGateway(name: name, vlan: vlan, bridge: plan.bridge, owner: plan.owner).drift(node: node)
                device = "VLAN gateway \(name)"
            }
            let addresses = try node.link(named: plan.gatewayDevice) == nil ? [] : Set(try node.addresses(of: plan.gatewayDevice).map(\.address))
            for gateway in gateways where !addresses.contains(gateway) {
                drift.append("\(device) lost the gateway address \(gateway)")
            }
        }
        if plan.ipMasq, plan.hasIPAM, try !BridgeMasquerade(call: call).isInstalled(previous) {
            drift.append("the masquerade rules of \(environment.ifname) are missing")
        }
        return drift
    }
}
