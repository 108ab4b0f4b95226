import Attach
import CNIKit
import Netlink

/// CHECK: the pod's interface is still the macvtap ADD made, in the configured mode, with the MAC ADD
/// reported, the configured (or reported) MTU, up, on the configured master, its tap device owned as
/// configured. Every drift is listed in one error naming the attribute, the wanted and the found value.
struct MacvtapCheck {
    let call: Call
    let plan: MacvtapPlan

    func run() throws {
        let environment = call.environment
        guard let previous = call.conf.prevResult else {
            throw CNIError(.invalidConfig, "prevResult: CHECK needs the result of ADD; the runtime passes it (is the cached result missing?)")
        }
        let pod = try PodNamespace.open(environment)
        let socket = try RouteSocket(in: pod)
        let ifname = environment.ifname
        guard let link = try socket.link(named: ifname) else {
            throw CNIError(.invalidConfig, "CHECK: macvtap \(ifname) is missing from \(pod.path)")
        }
        guard link.kind == "macvtap" else {
            throw CNIError(.invalidConfig, "CHECK: \(ifname) in \(pod.path) is a \(link.kind ?? "device without a kind"), not a macvtap")
        }
        var drift: [String] = []
        if let mode = plan.mode {
            let found = try socket.macvtapMode(of: ifname)
            if found != mode { drift.append("\(ifname) mode is \(found), configured \(mode)") }
        }
        let reported = previous.interfaces.first { $0.name == ifname && $0.sandbox != nil }
        if let expected = plan.mac?.description ?? reported?.mac, !expected.isEmpty, MACAddress(expected) != link.mac {
            drift.append("\(ifname) MAC is \(link.mac?.description ?? "none"), expected \(expected)")
        }
        if let mtu = plan.mtu.map(Int.init) ?? reported?.mtu, Int(link.mtu) != mtu {
            drift.append("\(ifname) MTU is \(link.mtu), expected \(mtu)")
        }
        if !link.isUp { drift.append("\(ifname) is down") }
        if plan.promiscuous && !link.isPromiscuous { drift.append("\(ifname) promisc is off, configured on") }
        if case .standalone(let master) = plan.source {
            let lower = try RouteSocket().link(named: master)
            if lower == nil || lower?.index != link.linkIndex { drift.append("\(ifname) is not on master \(master)") }
        }
        if let ownership = TapDevice.ownership(ifindex: link.index) {
            if ownership != (plan.owner, plan.group) {
                drift.append("\(TapDevice.path(ifindex: link.index)) is owned by \(ownership.owner):\(ownership.group), configured \(plan.owner):\(plan.group)")
            }
        } else {
            drift.append("tap device \(TapDevice.path(ifindex: link.index)) of \(ifname) is missing")
        }
        guard drift.isEmpty else {
            throw CNIError(.invalidConfig, "CHECK: the macvtap \(ifname) drifted: " + drift.joined(separator: "; "))
        }
    }
}
