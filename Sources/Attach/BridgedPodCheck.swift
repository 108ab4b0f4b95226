import CNIKit
import Netlink

extension BridgedPod {
    /// CHECK as the bridge and the overlay run it: the ADD result (prevResult, required), IPAM's own
    /// CHECK, then `drift` with a node socket and the pod's namespace; every drift it returns is listed
    /// in one error naming the interface.
    public static func check(_ call: Call, hasIPAM: Bool, attachment: String,
                             drift: (Result, borrowing RouteSocket, borrowing NetNS) throws -> [String]) throws {
        guard let previous = call.conf.prevResult else {
            throw CNIError(.invalidConfig, "prevResult: CHECK needs the result of ADD; the runtime passes it (is the cached result missing?)")
        }
        if hasIPAM { try IPAM.check(call) }
        let pod = try PodNamespace.open(call.environment)
        let node = try RouteSocket()
        let found = try drift(previous, node, pod)
        guard found.isEmpty else {
            throw CNIError(.invalidConfig, "CHECK: the \(attachment) of \(call.environment.ifname) drifted: " + found.joined(separator: "; "))
        }
    }

    /// CHECK of a pod's port: the veth pair (peers of each other, the node end a port of `port.bridge`,
    /// both up as configured), the pod end's MAC (as ADD reported it) and MTU, the port flags, the
    /// addresses and routes of the result, and the spoof-check rules. Returns every drift found; a
    /// missing veth end is an error of its own (nothing else can be checked then).
    public static func drift(_ previous: Result, _ call: Call, port: Port, spoofCheck: Bool,
                             node: borrowing RouteSocket, pod: borrowing NetNS) throws -> [String] {
        let ifname = call.environment.ifname
        let hostName = HostVethName.derive(containerID: call.environment.containerID, ifname: ifname)
        guard let host = try node.link(named: hostName) else {
            throw CNIError(.invalidConfig, "CHECK: host veth \(hostName) of \(ifname) is missing from the node")
        }
        let podSocket = try RouteSocket(in: pod)
        guard let podLink = try podSocket.link(named: ifname), podLink.kind == "veth" else {
            throw CNIError(.invalidConfig, "CHECK: veth \(ifname) is missing from \(pod.path)")
        }
        var drift: [String] = []
        if host.masterIndex != port.bridge.index { drift.append("host veth \(hostName) is not a port of \(port.bridge.name)") }
        if !host.isUp { drift.append("host veth \(hostName) is down") }
        if podLink.linkIndex != host.index || host.linkIndex != podLink.index {
            drift.append("\(ifname) in the pod is not the peer of host veth \(hostName)")
        }
        let reported = previous.interfaces.first { $0.name == ifname && $0.sandbox != nil }?.mac
        if let reported, !reported.isEmpty, MACAddress(reported) != podLink.mac {
            drift.append("\(ifname) MAC is \(podLink.mac?.description ?? "none"), ADD gave \(reported)")
        }
        if let mtu = port.mtu, podLink.mtu != mtu { drift.append("\(ifname) MTU is \(podLink.mtu), configured \(mtu)") }
        if podLink.isUp != port.podUp {
            drift.append("\(ifname) is \(podLink.isUp ? "up" : "down"), configured \(port.podUp ? "up" : "down")")
        }
        let flags = try node.bridgePort(hostName)
        if flags.hairpin != port.hairpin { drift.append("host veth \(hostName) hairpin is \(flags.hairpin), configured \(port.hairpin)") }
        if flags.isolated != port.isolated { drift.append("host veth \(hostName) isolation is \(flags.isolated), configured \(port.isolated)") }
        drift += try addressDrift(previous, ifname: ifname, index: podLink.index, pod: podSocket)
        if spoofCheck, try !SpoofCheck.isInstalled(hostVeth: hostName, on: try NftSocket()) {
            drift.append("the spoof-check rules of host veth \(hostName) are missing")
        }
        return drift
    }

    /// The pod still has every address of the result, and every route of it through its interface (another
    /// network's interface may route the same destination: a default route each).
    private static func addressDrift(_ previous: Result, ifname: String, index: Int32, pod: borrowing RouteSocket) throws -> [String] {
        let addresses = Set(try pod.addresses(of: ifname))
        var drift = previous.ips.compactMap { IPNetwork($0.address) }.filter { !addresses.contains($0) }
            .map { "\(ifname) lost the address \($0)" }
        for ipv6 in [false, true] {
            let routes = try pod.routes(ipv6: ipv6)
            for route in previous.routes {
                guard let destination = IPNetwork(route.dst), destination.address.isIPv4 != ipv6 else { continue }
                let gateway = route.gw.flatMap(IPAddress.init)
                if !routes.contains(where: { $0.destination == destination.network && $0.interfaceIndex == index
                    && (gateway == nil || $0.gateway == gateway) }) {
                    drift.append("the route to \(route.dst)\(route.gw.map { " via \($0)" } ?? "") dev \(ifname) is missing in the pod")
                }
            }
        }
        return drift
    }
}
