import Attach
import CNIKit
import Netlink

/// CHECK: what ADD made is still there and still as configured, for L2-only and IPAM configs alike.
/// Every drift is listed in one error naming the interface, the attribute, the wanted and found value.
struct BridgeCheck {
    let call: Call
    let plan: BridgePlan

    func run() throws {
        let environment = call.environment
        guard let previous = call.conf.prevResult else {
            throw CNIError(.invalidConfig, "prevResult: CHECK needs the result of ADD; the runtime passes it (is the cached result missing?)")
        }
        if plan.hasIPAM { try IPAM.check(call) }
        let pod = try PodNamespace.open(environment)
        let node = try RouteSocket()
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
                drift += try VLANGateway(name: name, vlan: vlan, bridge: plan.bridge).drift(node: node)
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
        guard drift.isEmpty else {
            throw CNIError(.invalidConfig, "CHECK: the attachment of \(environment.ifname) drifted: " + drift.joined(separator: "; "))
        }
    }
}
