import CNIKit
import Foundation
import Netlink
import Testing
@testable import macvtap

@Suite struct MacvtapPlanTests {
    private func plan(_ json: String, cniArgs: String = "") throws(CNIError) -> MacvtapPlan {
        let environment = try Environment.parse([
            "CNI_COMMAND": "ADD", "CNI_CONTAINERID": "c1", "CNI_NETNS": "/var/run/netns/x",
            "CNI_IFNAME": "net1", "CNI_PATH": "/opt/cni/bin", "CNI_ARGS": cniArgs,
        ])
        let full = #"{"cniVersion":"0.3.1","name":"n","type":"macvtap""# + (json == "{}" ? "}" : "," + json.dropFirst())
        let call = Call(environment: environment, stdin: Array(full.utf8), conf: try NetConf.parse(Array(full.utf8)), log: Log())
        return try MacvtapPlan(try call.decode(MacvtapConfig.self), network: call.conf.name, environment: environment, policy: NodePolicy())
    }

    /// Vectors of the xxHash spec (seed 0), the last one checked against libxxhash 0.8.1's XXH64 (32 bytes:
    /// the four-lane path).
    @Test func xxhash64MatchesTheSpec() {
        #expect(XXHash64.hash("") == 0xEF46_DB37_51D8_E999)
        #expect(XXHash64.hash("a") == 0xD24E_C4F1_A98C_6E5B)
        #expect(XXHash64.hash("abc") == 0x44BC_2CF5_AD77_0999)
        #expect(XXHash64.hash("Nobody inspects the spammish repetition") == 0xFBCE_A83C_8A37_8BF1)
        #expect(XXHash64.hash("12345678901234567890123456789012") == 0x40FD_1AA5_2D98_274C)
    }

    /// macvtap-cni's device plugin names a device's macvtap `mvt%012x` of the hash's low 48 bits.
    @Test func devicePluginNamesAreMacvtapCNIs() {
        #expect(NodeName.devicePlugin("dataplaneMvp0") == "mvtcc7b47d9091b")
        #expect(NodeName.devicePlugin("a-very-long-device-id-that-would-overflow-ifname") == "mvt8ac8386c48ba")
        #expect(NodeName.devicePlugin("") == "mvtdb3751d8e999")
        #expect(NodeName.devicePluginCandidates("dataplaneMvp0") == ["mvtcc7b47d9091b", "dataplaneMvp0"])
        #expect(NodeName.devicePluginCandidates("a-very-long-device-id") == [NodeName.devicePlugin("a-very-long-device-id")],
                "a device id that is no interface name is looked up by its hash only")
        let temporary = NodeName.standalone(containerID: "c1", ifname: "pod0123456789a")
        #expect(temporary.hasPrefix("mvs") && temporary.utf8.count == 15)
        #expect(temporary != NodeName.standalone(containerID: "c2", ifname: "pod0123456789a"))
    }

    @Test func flowsAndDefaults() throws {
        let standalone = try plan(#"{"master":"eth1"}"#)
        #expect(standalone.source == .standalone(master: "eth1") && standalone.mode == .bridge)
        #expect(standalone.owner == 107 && standalone.group == 107 && standalone.mtu == nil && !standalone.promiscuous)
        #expect(standalone.records.directory == "/var/lib/cni/swift-cni/macvtap/n", "records per network under the default dataDir")
        let device = try plan(#"{"deviceID":"dataplaneMvp0","master":"eth1","mtu":1500}"#)
        #expect(device.source == .devicePlugin(deviceID: "dataplaneMvp0") && device.mode == nil && device.mtu == 1500,
                "deviceID wins over master; the device plugin chose the mode")
        #expect(try plan(#"{"runtimeConfig":{"deviceID":"d1"}}"#).source == .devicePlugin(deviceID: "d1"))
        #expect(try plan(#"{"master":"eth1","mode":"passthru","owner":0,"group":36}"#).mode == .passthru)
        #expect(try plan(#"{"master":"eth1","owner":0,"group":36}"#).owner == 0)
    }

    @Test func badInputNamesTheField() {
        for (json, field) in [(#"{}"#, "master"), (#"{"master":""}"#, "master"), (#"{"master":"a/b"}"#, "master"),
                              (#"{"master":"eth1","mode":"bogus"}"#, "mode"), (#"{"master":"eth1","mode":"source"}"#, "mode"),
                              (#"{"master":"eth1","mtu":20}"#, "mtu"), (#"{"master":"eth1","owner":-1}"#, "owner"),
                              (#"{"master":"eth1","mac":"01:00:00:00:00:01"}"#, "mac"), (#"{"master":"eth1","mtu":"x"}"#, "mtu")] {
            #expect { try plan(json) } throws: { error in
                guard let error = error as? CNIError else { return false }
                return error.code == .invalidConfig && error.msg.contains(field)
            }
        }
    }

    @Test func macPrecedenceIsConfigThenCNIArgsThenArgsThenRuntimeConfig() throws {
        #expect(try plan(#"{"master":"e","mac":"02:00:00:00:00:00"}"#).mac?.description == "02:00:00:00:00:00")
        #expect(try plan(#"{"master":"e","mac":"02:00:00:00:00:00"}"#, cniArgs: "MAC=02:00:00:00:00:01").mac?.description == "02:00:00:00:00:01")
        #expect(try plan(#"{"master":"e","args":{"cni":{"mac":"02:00:00:00:00:02"}}}"#, cniArgs: "MAC=02:00:00:00:00:01").mac?.description == "02:00:00:00:00:02")
        #expect(try plan(#"{"master":"e","args":{"cni":{"mac":"02:00:00:00:00:02"}},"runtimeConfig":{"mac":"02:00:00:00:00:03"}}"#,
                         cniArgs: "MAC=02:00:00:00:00:01").mac?.description == "02:00:00:00:00:03")
    }
}
