import Attach
import CNIKit
import Netlink

/// CHECK: every value tuning set must still be what the plan says; any drift is an error naming the
/// interface, the attribute, the wanted and the found value.
struct TuningCheck {
    let call: Call
    let plan: TuningPlan

    func run() throws {
        let ifname = call.environment.ifname
        let netns = try PodNamespace.open(call.environment)
        let link = try RouteSocket(in: netns).chainedInterface(ifname)
        var drift: [String] = []
        func compare<T: Equatable>(_ what: String, wanted: T?, found: T) {
            if let wanted, wanted != found { drift.append("\(what) is \(found), configured \(wanted)") }
        }
        compare("MAC", wanted: plan.mac?.description, found: link.mac?.description ?? "none")
        compare("MTU", wanted: plan.mtu, found: link.mtu)
        compare("promisc", wanted: plan.promiscuous ? true : nil, found: link.isPromiscuous)
        compare("allmulticast", wanted: plan.allMulticast, found: link.isAllMulticast)
        compare("txqueuelen", wanted: plan.txQueueLength, found: link.txQueueLength)
        try netns.run {
            for (key, value) in plan.sysctls {
                compare("sysctl \(key)", wanted: value, found: try Sysctl.read(key))
            }
        }
        guard drift.isEmpty else {
            throw CNIError(.invalidConfig, "CHECK: \(ifname) in \(netns.path) drifted from the tuning config: " + drift.joined(separator: "; "))
        }
    }
}
