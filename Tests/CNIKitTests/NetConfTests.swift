import Testing
@testable import CNIKit

@Suite struct NetConfTests {
    @Test func decodesCommonKeysAndToleratesUnknownOnes() throws {
        let text = #"""
        {"cniVersion":"1.1.0","name":"net1","type":"bridge","bridge":"br0","capabilities":{"mac":true},
         "ipam":{"type":"host-local","subnet":"10.1.0.0/16"},"dns":{"nameservers":["10.1.0.1"]},
         "runtimeConfig":{"mac":"0a:58:0a:00:00:05"},"args":{"cni":{"mtu":1400}},
         "logFile":"/tmp/x.log","logLevel":"debug",
         "prevResult":{"cniVersion":"1.1.0","interfaces":[{"name":"eth0"}]},
         "cni.dev/valid-attachments":[{"containerID":"a","ifname":"eth0"}],
         "cni.dev/attachments":[{"containerID":"a","ifname":"eth0"},{"containerID":"b","ifname":"net1"}]}
        """#
        let conf = try NetConf.parse(Array(text.utf8))
        #expect(conf.cniVersion == "1.1.0" && conf.name == "net1" && conf.type == "bridge")
        #expect(conf.capabilities == ["mac": true])
        #expect(conf.ipam?.type == "host-local")
        #expect(conf.ipam?.raw["subnet"] == .string("10.1.0.0/16"))
        #expect(conf.dns?.nameservers == ["10.1.0.1"])
        #expect(conf.runtimeConfig?["mac"] == .string("0a:58:0a:00:00:05"))
        #expect(conf.args?["cni"]?["mtu"]?.intValue == 1400)
        #expect(conf.logFile == "/tmp/x.log" && conf.logLevel == "debug")
        #expect(conf.prevResult == Result(cniVersion: "1.1.0", interfaces: [.init(name: "eth0")]))
        #expect(conf.validAttachments == [.init(containerID: "a", ifname: "eth0"), .init(containerID: "b", ifname: "net1")])
    }

    @Test func emptyIPAMMeansNone() throws {
        #expect(try NetConf.parse(Array(config("1.0.0", extra: #","ipam":{}"#).utf8)).ipam == nil)
    }

    @Test func missingCNIVersionMeansZeroOneZero() throws {
        #expect(try NetConf.parse(Array(#"{"name":"n","type":"t"}"#.utf8)).cniVersion == "0.1.0")
    }

    @Test(arguments: CNIVersion.all)
    func prevResultIsDecodedInTheConfigVersion(version: String) throws {
        let prev = try richResult.json(as: version).serialized()
        let conf = try NetConf.parse(Array(config(version, extra: ",\"prevResult\":\(prev)").utf8))
        #expect(conf.prevResult == projected(richResult, to: version))
    }

    @Test(arguments: [
        (#"{"cniVersion":"1.0.0","type":"t"}"#, "name is required"),
        (#"{"cniVersion":"1.0.0","name":"n"}"#, "type is required"),
        (#"{"cniVersion":1,"name":"n","type":"t"}"#, "cniVersion must be a string"),
        (#"{"cniVersion":"1.0.0","name":"n","type":"t","capabilities":{"mac":"yes"}}"#, "capabilities.mac must be a boolean"),
        (#"{"cniVersion":"1.0.0","name":"n","type":"t","ipam":{"type":5}}"#, "ipam.type must be a string"),
        (#"{"cniVersion":"1.0.0","name":"bad name","type":"t"}"#, "name \"bad name\" has invalid characters"),
        (#"{"cniVersion":"1.0.0","name":"n","type":"t","prevResult":{"ips":[{"address":"x"}]}}"#, "prevResult.ips[0].address"),
        (#"{"cniVersion":"1.0.0","name":"n","type":"t","prevResult":{"cniVersion":"0.2.0","ip4":{"ip":"10.1.2.3/24"}}}"#,
         "prevResult.cniVersion \"0.2.0\" differs"),
        ("[]", "the input must be an object"),
    ])
    func badConfigIsCode7NamingTheKey(text: String, message: String) {
        #expect {
            try NetConf.parse(Array(text.utf8))
        } throws: { error in
            let error = error as! CNIError
            return error.code == .invalidConfig && error.msg.hasPrefix(message)
        }
    }

    @Test func invalidJSONIsCode6() {
        #expect { try NetConf.parse(Array("{\"name\":".utf8)) } throws: { ($0 as! CNIError).code == .decodeFailure }
    }
}

@Suite struct CallDecodeTests {
    struct PluginConf: Decodable {
        struct Args: Decodable { var cni: CNI }
        struct CNI: Decodable { var mtu: Int? }
        var name: String
        var mtu: Int?
        var promisc: Bool?
        var sysctl: [String: String]?
        var args: Args?
        var peers: [String]?
    }

    func call(_ text: String) throws -> Call {
        try Call(environment: Environment.parse(environment("ADD")), stdin: Array(text.utf8))
    }

    @Test func decodesThePluginStruct() throws {
        let conf = try call(config("1.0.0", extra: #","mtu":1400,"args":{"cni":{"mtu":9000}}"#)).decode(PluginConf.self)
        #expect(conf.mtu == 1400 && conf.args?.cni.mtu == 9000)
    }

    @Test(arguments: [
        (#","args":{"cni":{"mtu":"big"}}"#, "args.cni.mtu must be an integer"),
        (#","mtu":1.5"#, "mtu must be an integer"),
        (#","promisc":"yes""#, "promisc must be a boolean"),
        (#","sysctl":{"net.ipv4.x":1}"#, "sysctl.net.ipv4.x must be a string"),
        (#","args":{}"#, "args.cni is required"),
        (#","peers":[1]"#, "peers[0] must be a string"),
        (#","peers":{}"#, "peers must be an array"),
    ])
    func decodeErrorsNameTheKeyPath(extra: String, message: String) throws {
        let call = try call(config("1.0.0", extra: extra))
        #expect {
            try call.decode(PluginConf.self)
        } throws: { error in
            let error = error as! CNIError
            return error.code == .invalidConfig && error.msg == message
        }
    }

    @Test func syntaxErrorIsCode6() throws {
        let call = Call(environment: try Environment.parse(environment("ADD")), stdin: Array("{".utf8),
                        conf: try NetConf.parse(Array(config("1.0.0").utf8)), log: Log())
        #expect { try call.decode(PluginConf.self) } throws: { ($0 as! CNIError).code == .decodeFailure }
    }

    struct Validating: Decodable {
        init(from decoder: any Decoder) throws { throw CNIError(.invalidConfig, "mac is not a MAC") }
    }

    @Test func cniErrorFromTheStructPassesThrough() throws {
        #expect(throws: CNIError(.invalidConfig, "mac is not a MAC")) { try call(config("1.0.0")).decode(Validating.self) }
    }
}
