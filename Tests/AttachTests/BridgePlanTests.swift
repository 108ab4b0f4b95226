import Attach
import CNIKit
import Foundation
import Testing
@testable import bridge

@Suite struct BridgePlanTests {
    func plan(_ json: String, cniArgs: String = "") throws -> BridgePlan {
        let environment = try Environment.parse([
            "CNI_COMMAND": "ADD", "CNI_CONTAINERID": "c1", "CNI_NETNS": "/var/run/netns/x",
            "CNI_IFNAME": "net1", "CNI_PATH": "/opt/cni/bin", "CNI_ARGS": cniArgs,
        ])
        let full = #"{"cniVersion":"1.0.0","name":"n","type":"bridge""# + (json == "{}" ? "}" : "," + json.dropFirst())
        let conf = try NetConf.parse(Array(full.utf8))
        return try BridgePlan(try JSONDecoder().decode(BridgeConfig.self, from: Data(full.utf8)), conf: conf, environment: environment, policy: NodePolicy())
    }

    @Test func defaultsAreTheReferences() throws {
        let p = try plan("{}")
        #expect(p.bridge == "cni0" && !p.isGateway && !p.hasIPAM && p.mtu == nil && p.mac == nil)
        #expect(try plan(#"{"ipam":{}}"#).hasIPAM == false, "ipam {} means L2 only")
        #expect(try plan(#"{"isDefaultGateway":true,"ipam":{"type":"host-local"}}"#).isGateway, "isDefaultGateway implies isGateway")
    }

    @Test func ipSpoofCheckAllowsTheMACDerivedLinkLocalUnlessToldAny() throws {
        #expect(try plan(#"{"ipspoofchk":true}"#).linkLocal == .macDerived)
        #expect(try plan(#"{"ipspoofchk":true,"ipspoofchkLinkLocal":"eui64"}"#).linkLocal == .macDerived)
        #expect(try plan(#"{"ipspoofchk":true,"ipspoofchkLinkLocal":"any"}"#).linkLocal == .any)
    }

    @Test func macPrecedenceIsCNIArgsThenArgsThenRuntimeConfig() throws {
        #expect(try plan("{}", cniArgs: "IgnoreUnknown=true;MAC=02:00:00:00:00:01").mac?.description == "02:00:00:00:00:01")
        #expect(try plan(#"{"args":{"cni":{"mac":"02:00:00:00:00:02"}}}"#, cniArgs: "MAC=02:00:00:00:00:01").mac?.description == "02:00:00:00:00:02")
        #expect(try plan(#"{"args":{"cni":{"mac":"02:00:00:00:00:02"}},"runtimeConfig":{"mac":"02:00:00:00:00:03"}}"#,
                         cniArgs: "MAC=02:00:00:00:00:01").mac?.description == "02:00:00:00:00:03")
    }

    @Test(arguments: [
        (#"{"hairpinMode":true,"promiscMode":true}"#, CNIError.Code.invalidConfig, "hairpinMode"),
        (#"{"disableContainerInterface":true,"ipam":{"type":"host-local"}}"#, .invalidConfig, "disableContainerInterface"),
        (#"{"mtu":67}"#, .invalidConfig, "mtu"),
        (#"{"bridge":"a-name-that-is-too-long"}"#, .invalidConfig, "bridge"),
        (#"{"vlan":4095}"#, .invalidConfig, "vlan"),
        (#"{"runtimeConfig":{"mac":"ff:ff:ff:ff:ff:ff"}}"#, .invalidConfig, "runtimeConfig.mac"),
        (#"{"ipspoofchk":true,"ipspoofchkLinkLocal":"stable-privacy"}"#, .invalidConfig, "ipspoofchkLinkLocal"),
    ])
    func refusals(json: String, code: CNIError.Code, named: String) {
        #expect {
            try plan(json)
        } throws: { error in
            let error = error as? CNIError
            return error?.code == code && error?.msg.contains(named) == true
        }
    }
}

@Suite struct HostVethNameTests {
    @Test func deterministicFifteenBytesAndDistinct() {
        let a = HostVethName.derive(containerID: "abc", ifname: "net1")
        #expect(a == HostVethName.derive(containerID: "abc", ifname: "net1"))
        #expect(a.utf8.count == 15 && a.hasPrefix("veth"))
        #expect(a != HostVethName.derive(containerID: "abc", ifname: "net2"))
        #expect(a != HostVethName.derive(containerID: "abd", ifname: "net1"))
    }
}
