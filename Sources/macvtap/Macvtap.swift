import CNIKit

/// `macvtap`: a macvtap device on a node NIC, moved into the pod for a KubeVirt VM's tap; a drop-in for
/// kubevirt/macvtap-cni (device-plugin flow, `deviceID`) that also works alone (`master`, `mode`).
enum Macvtap: CNIPlugin {
    static func add(_ call: Call) throws -> Result {
        let plan = try plan(call)
        // The 0.1.0/0.2.0 result is one ip4/ip6 section and nothing else: an L2-only attachment has no way
        // to say itself in it (libcni refuses to convert such a result, too). Refused before anything is made.
        guard CNIVersion.isAtLeast(call.conf.cniVersion, "0.3.0") else {
            throw CNIError(.incompatibleVersion, "cniVersion \(call.conf.cniVersion): a macvtap attachment has no IP address, and results before 0.3.0 hold nothing else",
                           details: "use cniVersion 0.3.0 or later (DEL works in every version)")
        }
        return try MacvtapAdd(call: call, plan: plan).run()
    }

    static func del(_ call: Call) throws {
        try MacvtapDel(call: call, config: try call.decode(MacvtapConfig.self)).run()
    }

    static func check(_ call: Call) throws {
        try MacvtapCheck(call: call, plan: try plan(call)).run()
    }

    static func status(_ call: Call) throws {
        try MacvtapStatus(call: call, config: try call.decode(MacvtapConfig.self)).run()
    }

    static func gc(_ call: Call) throws {
        try MacvtapGC(call: call, config: try call.decode(MacvtapConfig.self)).run()
    }

    private static func plan(_ call: Call) throws -> MacvtapPlan {
        try MacvtapPlan(try call.decode(MacvtapConfig.self), network: call.conf.name, environment: call.environment, policy: call.policy)
    }
}
