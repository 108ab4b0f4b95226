import Attach
import CNIKit
import Netlink

/// ADD: bridge, pod port, addresses and gateway, spoof check, record — each step undone if a later one fails.
struct BridgeAdd {
    let call: Call
    let plan: BridgePlan

    func run() throws -> Result {
        let pod = try PodNamespace.open(call.environment)
        let node = try RouteSocket()
        return try Rollback.run { rollback in
            let bridge = try NodeBridge.withLock(plan.bridge) {
                try NodeBridge.ensure(.init(name: plan.bridge, mtu: plan.mtu, promiscuous: plan.promiscuous), on: node,
                                     rollback: rollback)
            }
            let port = BridgedPod.Port(bridge: bridge, mtu: plan.mtu, mac: plan.mac, podUp: !plan.disableContainerInterface,
                                       hairpin: plan.hairpin, isolated: plan.portIsolation)
            var result = try BridgedPod.connect(port, call, node: node, pod: pod, records: plan.records, rollback: rollback)
            if plan.hasIPAM {
                let layer3 = BridgeLayer3(call: call, plan: plan)
                let leased = layer3.withGateways(try BridgedPod.lease(call, rollback: rollback))
                (result.ips, result.routes, result.dns) = (leased.ips, leased.routes, leased.dns)
                try PodAddressing.configure(result, pod: pod, ifname: call.environment.ifname, enableDAD: plan.enableDAD)
                try layer3.configureGateways(result, node: node)
                if plan.ipMasq { try BridgeMasquerade(call: call).install(result, rollback: rollback) }
            }
            if plan.macSpoofCheck || plan.ipSpoofCheck {
                try BridgedPod.protect(result, call, ipSpoofCheck: plan.ipSpoofCheck, rollback: rollback)
            }
            try BridgedPod.finish(&result, call, podUp: !plan.disableContainerInterface, records: plan.records, node: node)
            return result
        }
    }
}
