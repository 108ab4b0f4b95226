import Foundation
import Testing

/// A pod on two networks whose IPAM both route the default, as podman writes every network it creates
/// (`"routes": [{"dst": "0.0.0.0/0"}]`, here `::/0` too) and as Multus users get with two secondary
/// networks: the second ADD adds its default routes beside the first's, as the reference does; CHECK
/// expects each network's own; DEL of either leaves the other's. Side by side with the reference: the
/// same routes in the same order.
extension BlackBox {
    @Suite struct BridgeTwoDefaultRoutes {
        /// `default via <gateway> dev <device>` for each default route of the pod, IPv4 then IPv6, in the
        /// kernel's order (a multipath IPv6 route gives one line per nexthop).
        static func defaults(in pod: String) throws -> [String] {
            try ["-4", "-6"].flatMap { family -> [String] in
                let out = try Shell.must(["ip", "-n", pod, "-j", family, "route", "show", "default"])
                return (JSON.parse(out.stdout) as? [[String: Any]] ?? []).flatMap { route -> [String] in
                    let hops = route["nexthops"] as? [[String: Any]] ?? [route]
                    return hops.map { "default via \($0["gateway"] as? String ?? "-") dev \($0["dev"] as? String ?? "-")" }
                }
            }
        }

        /// Networks `podman0` (br-pm0, 10.89.0.0/24, fd89:0::/64) and `podman1` (br-pm1, 10.89.1.0/24,
        /// fd89:1::/64), as `podman network create` writes them.
        static func install(_ sandbox: Sandbox) throws {
            for index in 0...1 {
                let ipam: [String: Any] = [
                    "type": "host-local",
                    "routes": [["dst": "0.0.0.0/0"], ["dst": "::/0"]],
                    "ranges": [[["subnet": "10.89.\(index).0/24", "gateway": "10.89.\(index).1"]],
                               [["subnet": "fd89:\(index)::/64", "gateway": "fd89:\(index)::1"]]],
                ]
                let plugin: [String: Any] = ["type": "bridge", "bridge": "br-pm\(index)", "isGateway": true,
                                             "hairpinMode": true, "ipam": ipam]
                try Fixtures.write(["cniVersion": "1.0.0", "name": "podman\(index)", "plugins": [plugin]],
                                   as: "podman\(index).conflist", in: sandbox)
            }
        }

        @Test(arguments: Implementation.enabled)
        func bothNetworksRouteTheDefault(_ impl: Implementation) throws {
            let routes = try run(impl)
            #expect(routes.bothAdded == ["default via 10.89.1.1 dev eth1", "default via 10.89.0.1 dev eth0",
                                         "default via fd89::1 dev eth0", "default via fd89:1::1 dev eth1"],
                    "the newer IPv4 default first (the kernel's order when a route is added beside another); IPv6 as one multipath route")
            #expect(routes.afterDelEth1 == ["default via 10.89.0.1 dev eth0", "default via fd89::1 dev eth0"])
            #expect(routes.afterDelEth0 == ["default via 10.89.1.1 dev eth1", "default via fd89:1::1 dev eth1"])
        }

        /// The same pod through both implementations: the same default routes, in the same order, at every step.
        @Test(.enabled(if: Set(Implementation.enabled) == Set(Implementation.allCases), "needs the reference and ours"))
        func sameRoutesAsTheReference() throws {
            #expect(try run(.ours) == run(.reference))
        }

        struct Steps: Equatable {
            var bothAdded: [String] = []
            var afterDelEth1: [String] = []
            var afterDelEth0: [String] = []
        }

        /// eth0 on podman0, eth1 on podman1; CHECK of both; DEL eth1 (eth0 checked again), ADD eth1
        /// again, DEL eth0 (eth1 checked again), DEL eth1. The pod starts with IPv6 disabled on `lo` and new
        /// interfaces, as a runtime may leave it: both turn it on for the interfaces they give IPv6 to.
        private func run(_ impl: Implementation) throws -> Steps {
            let sandbox = try Sandbox()
            let cni = try CNI(sandbox, impl)
            try Self.install(sandbox)
            let pod = try sandbox.pod()
            let state = NetState(netns: pod)
            for key in ["net.ipv6.conf.default.disable_ipv6", "net.ipv6.conf.lo.disable_ipv6"] { try state.setSysctl(key, "1") }
            let identity = PodIdentity.random()
            func step(_ command: String, _ network: Int) throws {
                let ifname = "eth\(network)"
                let output = try command == "add" ? cni.add(network: "podman\(network)", netns: pod, ifname: ifname, pod: identity)
                    : command == "check" ? cni.check(network: "podman\(network)", netns: pod, ifname: ifname, pod: identity)
                    : cni.del(network: "podman\(network)", netns: pod, ifname: ifname, pod: identity)
                try #require(output.succeeded, "\(impl): \(command) \(ifname): \(output)")
            }
            var steps = Steps()
            try step("add", 0)
            try step("add", 1)
            steps.bothAdded = try Self.defaults(in: pod)
            #expect(try state.sysctl("net.ipv6.conf.eth0.disable_ipv6") == "0" && state.sysctl("net.ipv6.conf.lo.disable_ipv6") == "0")
            // The reference sets keep_addr_on_down since v1.7.0; Debian's 1.1.1 does not.
            #expect(try state.sysctl("net.ipv6.conf.eth1.keep_addr_on_down") == (impl == .ours ? "1" : "0"), "\(impl)")
            try step("check", 0)
            try step("check", 1)
            try step("del", 1)
            steps.afterDelEth1 = try Self.defaults(in: pod)
            try step("check", 0)
            try step("add", 1)
            try step("del", 0)
            steps.afterDelEth0 = try Self.defaults(in: pod)
            try step("check", 1)
            try step("del", 1)
            #expect(try Self.defaults(in: pod) == [], "\(impl)")
            return steps
        }

        /// A route that cannot be added names the pod's interface, not its index: a default route of the
        /// result via a gateway outside every subnet of the pod.
        @Test(.enabled(if: Implementation.enabled.contains(.ours), "ours only"))
        func aRouteErrorNamesTheDevice() throws {
            let sandbox = try Sandbox()
            let cni = try CNI(sandbox, .ours)
            try Self.install(sandbox)
            let plugin: [String: Any] = ["type": "bridge", "bridge": "br-pm2",
                                         "ipam": ["type": "host-local", "subnet": "10.89.2.0/24",
                                                  "routes": [["dst": "0.0.0.0/0", "gw": "192.0.2.1"]]]]
            try Fixtures.write(["cniVersion": "1.0.0", "name": "podman2", "plugins": [plugin]], as: "podman2.conflist", in: sandbox)
            let pod = try sandbox.pod()
            let add = try cni.add(network: "podman2", netns: pod, ifname: "eth2", pod: PodIdentity.random())
            #expect(add.errorCode == 5 && add.errorMessage?.contains("add route default via 192.0.2.1 dev eth2 in ") == true, "\(add)")
            #expect(add.errorMessage?.contains("#") == false, "\(add)")
            #expect(try NetState(netns: pod).link("eth2") == nil, "the failed ADD took its veth back")
        }
    }
}
