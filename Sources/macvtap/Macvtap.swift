import CNIKit

/// `macvtap`: a macvtap device on a node NIC, moved into the pod for a KubeVirt VM's tap; a drop-in for
/// kubevirt/macvtap-cni (device-plugin flow, `deviceID`) that also works alone (`master`, `mode`).
enum Macvtap: CNIPlugin {
    static func add(_ call: Call) throws -> Result {
        try MacvtapAdd(call: call, plan: try plan(call)).run()
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
        try MacvtapPlan(try call.decode(MacvtapConfig.self), environment: call.environment)
    }
}
