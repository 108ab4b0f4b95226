import CNIKit

/// `layer2-overlay`: one L2 segment across nodes — a bridge per network on each node, a Geneve
/// tunnel to every peer node as an isolated bridge port, pods attached by veth.
enum Overlay: CNIPlugin {
    static func add(_ call: Call) throws -> Result { try OverlayAdd(call: call, plan: try plan(call)).run() }

    static func del(_ call: Call) throws { try OverlayDel(call: call, config: try call.decode(OverlayConfig.self)).run() }

    static func check(_ call: Call) throws { try OverlayCheck(call: call, plan: try plan(call)).run() }

    static func status(_ call: Call) throws { try OverlayStatus(call: call, plan: try plan(call)).run() }

    static func gc(_ call: Call) throws { try OverlayGC(call: call, plan: try plan(call)).run() }

    private static func plan(_ call: Call) throws -> OverlayPlan {
        try OverlayPlan(try call.decode(OverlayConfig.self), conf: call.conf, environment: call.environment, policy: call.policy)
    }
}
