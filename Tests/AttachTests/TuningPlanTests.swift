import CNIKit
import Foundation
import Testing
@testable import tuning

@Suite struct TuningPlanTests {
    private func plan(_ json: String, cniArgs: String = "", ifname: String = "net1",
                      allowlist: SysctlAllowlist? = nil) throws -> TuningPlan {
        let environment = try Environment.parse([
            "CNI_COMMAND": "ADD", "CNI_CONTAINERID": "c1", "CNI_NETNS": "/var/run/netns/x",
            "CNI_IFNAME": ifname, "CNI_PATH": "/opt/cni/bin", "CNI_ARGS": cniArgs,
        ])
        let config = try JSONDecoder().decode(TuningConfig.self, from: Data(json.utf8))
        return try TuningPlan(config, environment: environment, policy: NodePolicy(), allowlist: allowlist)
    }

    @Test func macPrecedenceIsConfigThenCNIArgsThenRuntimeConfigThenArgs() throws {
        let config = #"{"mac":"02:00:00:00:00:01"}"#
        #expect(try plan(config).mac?.description == "02:00:00:00:00:01")
        #expect(try plan(config, cniArgs: "IgnoreUnknown=true;MAC=02:00:00:00:00:02").mac?.description == "02:00:00:00:00:02")
        let runtime = #"{"mac":"02:00:00:00:00:01","runtimeConfig":{"mac":"02:00:00:00:00:03"}}"#
        #expect(try plan(runtime, cniArgs: "MAC=02:00:00:00:00:02").mac?.description == "02:00:00:00:00:03")
        let args = #"{"mac":"02:00:00:00:00:01","runtimeConfig":{"mac":"02:00:00:00:00:03"},"args":{"cni":{"mac":"02:00:00:00:00:04"}}}"#
        #expect(try plan(args, cniArgs: "MAC=02:00:00:00:00:02").mac?.description == "02:00:00:00:00:04")
    }

    @Test func argsOverrideEveryKnob() throws {
        let p = try plan(#"{"mtu":1400,"promisc":false,"allmulti":false,"txQLen":10,"sysctl":{"net.core.somaxconn":"100"},"#
            + #""args":{"cni":{"mtu":1300,"promisc":true,"allmulti":true,"txQLen":20,"sysctl":{"net.core.somaxconn":"200"}}}}"#)
        #expect(p.mtu == 1300 && p.promiscuous && p.allMulticast == true && p.txQueueLength == 20)
        #expect(p.sysctls.map(\.value) == ["200"])
        #expect(p.dataDir.path == "/run/cni/tuning")
    }

    @Test func ifnameGoesIntoSysctlKeys() throws {
        let p = try plan(#"{"sysctl":{"net.ipv4.conf.IFNAME.arp_filter":"1"}}"#, ifname: "pod1a2b3c4d5e6")
        #expect(p.sysctls.first?.key.path == "net/ipv4/conf/pod1a2b3c4d5e6/arp_filter")
    }

    @Test(arguments: [
        (#"{"mtu":67}"#, "mtu"), (#"{"mtu":70000}"#, "mtu"), (#"{"args":{"cni":{"mtu":-1}}}"#, "args.cni.mtu"),
        (#"{"txQLen":-5}"#, "txQLen"), (#"{"sysctl":{"kernel.hostname":"x"}}"#, "kernel.hostname"),
        (#"{"sysctl":{"net.ipv4.conf.IFNAME.x/../../../kernel":"x"}}"#, "sysctl"),
        (#"{"mac":"01:00:5e:00:00:01"}"#, "mac"),
    ])
    func badValuesAreCode7NamingTheKey(json: String, named: String) throws {
        #expect {
            try plan(json)
        } throws: { error in
            let error = error as? CNIError
            return error?.code == .invalidConfig && error?.msg.contains(named) == true
        }
    }

    @Test func allowlistPatternsAreAnchored() throws {
        let list = try SysctlAllowlist(path: "/test/allowlist.conf", contents: "# comment\n^net\\.core\\.somaxconn$\nnet\\.ipv4\\.conf\\.IFNAME\\..*\n")
        #expect(list.allows("net.core.somaxconn"))
        #expect(list.allows("net.ipv4.conf.IFNAME.arp_filter"))
        #expect(!list.allows("net.core.somaxconn2"))
        #expect(!list.allows("xnet.ipv4.conf.IFNAME.arp_filter"))
        #expect(throws: CNIError.self) { try plan(#"{"sysctl":{"net.ipv4.ip_forward":"1"}}"#, allowlist: list) }
        #expect(throws: CNIError.self) { try SysctlAllowlist(path: "/x", contents: "net.core.(unclosed") }
    }
}
