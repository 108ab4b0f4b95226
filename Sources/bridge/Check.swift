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
        let hostName = HostVethName.derive(containerID: environment.containerID, ifname: environment.ifname)
        var drift: [String] = []

        guard let bridge = try node.link(named: plan.bridge), bridge.kind == "bridge" else {
            throw CNIError(.invalidConfig, "CHECK: bridge \(plan.bridge) is missing from the node (or is not a bridge)")
        }
        if bridge.isPromiscuous != plan.promiscuous { drift.append("bridge \(plan.bridge) promisc is \(bridge.isPromiscuous), configured \(plan.promiscuous)") }

        guard let host = try node.link(named: hostName) else {
            throw CNIError(.invalidConfig, "CHECK: host veth \(hostName) of \(environment.ifname) is missing from the node")
        }
        if host.masterIndex != bridge.index { drift.append("host veth \(hostName) is not a port of \(plan.bridge)") }
        if !host.isUp { drift.append("host veth \(hostName) is down") }

        guard let podLink = try RouteSocket(in: pod).link(named: environment.ifname), podLink.kind == "veth" else {
            throw CNIError(.invalidConfig, "CHECK: veth \(environment.ifname) is missing from \(pod.path)")
        }
        if podLink.linkIndex != host.index || host.linkIndex != podLink.index {
            drift.append("\(environment.ifname) in the pod is not the peer of host veth \(hostName)")
        }
        let expectedMAC = previous.interfaces.first { $0.name == environment.ifname && $0.sandbox != nil }?.mac
        if let expectedMAC, !expectedMAC.isEmpty, MACAddress(expectedMAC) != podLink.mac {
            drift.append("\(environment.ifname) MAC is \(podLink.mac?.description ?? "none"), ADD gave \(expectedMAC)")
        }
        if let mtu = plan.mtu, podLink.mtu != mtu { drift.append("\(environment.ifname) MTU is \(podLink.mtu), configured \(mtu)") }
        if podLink.isUp == plan.disableContainerInterface {
            drift.append("\(environment.ifname) is \(podLink.isUp ? "up" : "down"), configured \(plan.disableContainerInterface ? "down" : "up")")
        }
        let port = try node.bridgePort(hostName)
        if port.hairpin != plan.hairpin { drift.append("host veth \(hostName) hairpin is \(port.hairpin), configured \(plan.hairpin)") }
        if port.isolated != plan.portIsolation { drift.append("host veth \(hostName) isolation is \(port.isolated), configured \(plan.portIsolation)") }
        drift += try layer3Drift(previous, pod: pod, node: node)
        if plan.ipMasq, plan.hasIPAM, try !BridgeMasquerade(call: call).isInstalled(previous) {
            drift.append("the masquerade rules of \(environment.ifname) are missing")
        }
        if plan.macSpoofCheck || plan.ipSpoofCheck, try !SpoofCheck.isInstalled(hostVeth: hostName, on: try NftSocket()) {
            drift.append("the spoof-check rules of host veth \(hostName) are missing")
        }
        guard drift.isEmpty else {
            throw CNIError(.invalidConfig, "CHECK: the attachment of \(environment.ifname) drifted: " + drift.joined(separator: "; "))
        }
    }

    /// The pod still has every address and route of the result; the bridge still has its gateways.
    private func layer3Drift(_ previous: Result, pod: borrowing NetNS, node: borrowing RouteSocket) throws -> [String] {
        let ifname = call.environment.ifname
        let podSocket = try RouteSocket(in: pod)
        let addresses = Set(try podSocket.addresses(of: ifname))
        var drift = previous.ips.compactMap { IPNetwork($0.address) }.filter { !addresses.contains($0) }
            .map { "\(ifname) lost the address \($0)" }
        for ipv6 in [false, true] {
            let routes = try podSocket.routes(ipv6: ipv6)
            for route in previous.routes {
                guard let destination = IPNetwork(route.dst), destination.address.isIPv4 != ipv6 else { continue }
                let gateway = route.gw.flatMap(IPAddress.init)
                if !routes.contains(where: { $0.destination == destination.network && (gateway == nil || $0.gateway == gateway) }) {
                    drift.append("the route to \(route.dst)\(route.gw.map { " via \($0)" } ?? "") is missing in the pod")
                }
            }
        }
        if plan.isGateway {
            let bridgeAddresses = Set(try node.addresses(of: plan.bridge).map(\.address))
            for gateway in previous.ips.compactMap({ $0.gateway.flatMap(IPAddress.init) }) where !bridgeAddresses.contains(gateway) {
                drift.append("bridge \(plan.bridge) lost the gateway address \(gateway)")
            }
        }
        return drift
    }
}
