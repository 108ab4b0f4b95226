import CNIKit

/// `bridge`: pods on a Linux bridge of the node, a drop-in for the reference plugin of that type.
enum Bridge: CNIPlugin {
    static func add(_ call: Call) throws -> Result {
        try BridgeAdd(call: call, plan: try plan(call)).run()
    }

    static func del(_ call: Call) throws {
        try BridgeDel(call: call, config: try call.decode(BridgeConfig.self)).run()
    }

    static func check(_ call: Call) throws {
        try BridgeCheck(call: call, plan: try plan(call)).run()
    }

    static func status(_ call: Call) throws {
        try BridgeStatus(call: call).run()
    }

    static func gc(_ call: Call) throws {
        try BridgeGC(call: call, config: try call.decode(BridgeConfig.self)).run()
    }

    private static func plan(_ call: Call) throws -> BridgePlan {
        try BridgePlan(try call.decode(BridgeConfig.self), conf: call.conf, environment: call.environment, policy: call.policy)
    }
}
