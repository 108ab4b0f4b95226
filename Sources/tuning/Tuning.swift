import Attach
import CNIKit
import Netlink

/// `tuning`: a chained plugin that changes the pod interface's MAC, MTU, promisc, allmulti and
/// txqueuelen and the pod namespace's network sysctls, and puts all of them back on DEL.
enum Tuning: CNIPlugin {
    static func add(_ call: Call) throws -> Result {
        let plan = try planned(call)
        guard var result = call.conf.prevResult else { throw missingPrevResult }
        try TuningAdd(call: call, plan: plan).run()
        if let mac = plan.mac {
            for index in result.interfaces.indices where result.interfaces[index].name == call.environment.ifname {
                result.interfaces[index].mac = mac.description
            }
        }
        return result
    }

    static func del(_ call: Call) throws {
        let config = try call.decode(TuningConfig.self)
        try TuningDel(call: call, dataDir: try config.backupDirectory(policy: call.policy)).run()
    }

    static func check(_ call: Call) throws {
        let plan = try planned(call)
        guard call.conf.prevResult != nil else { throw missingPrevResult }
        try TuningCheck(call: call, plan: plan).run()
    }

    static func gc(_ call: Call) throws {
        let config = try call.decode(TuningConfig.self)
        try TuningGC(dataDir: try config.backupDirectory(policy: call.policy), network: call.conf.name, valid: call.conf.validAttachments ?? []).run()
    }

    /// ADD and CHECK refuse a config with a repeated `sysctl` key, as the reference does since v1.2.0.
    private static func planned(_ call: Call) throws -> TuningPlan {
        if let key = try JSONValue.duplicateKeys(in: call.stdin, ofMember: "sysctl").first {
            throw CNIError(.invalidConfig, "sysctl: the key \"\(key)\" is given more than once; give each sysctl once")
        }
        return try TuningPlan(try call.decode(TuningConfig.self), environment: call.environment, policy: call.policy,
                       allowlist: try SysctlAllowlist.load())
    }

    private static var missingPrevResult: CNIError {
        CNIError(.invalidConfig, "prevResult: tuning changes an interface another plugin created; put it after that plugin in a conflist (plugins: [..., {\"type\": \"tuning\"}])")
    }
}

extension RouteSocket {
    /// The pod interface an earlier plugin of the chain made; its absence is a config error.
    func chainedInterface(_ ifname: String) throws -> Link {
        guard let link = try link(named: ifname) else {
            throw CNIError(.invalidConfig, "interface \(ifname) not found in \(netnsPath): the plugin before tuning in the chain must create it (check CNI_IFNAME)")
        }
        return link
    }
}
