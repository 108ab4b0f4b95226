import Testing
@testable import CNIKit

/// A plugin whose behaviour the tests steer through CNI_ARGS `FAIL=`.
enum FakePlugin: CNIPlugin {
    struct Plain: Error, CustomStringConvertible { var description: String { "plain failure" } }
    struct Convertible: CNIErrorConvertible { var cniError: CNIError { CNIError(.tryAgainLater, "busy") } }

    static func add(_ call: Call) throws -> Result {
        try fail(call)
        return Result(interfaces: [.init(name: call.environment.ifname)], ips: [.init(address: "10.1.0.5/16")])
    }
    static func del(_ call: Call) throws { try fail(call) }
    static func check(_ call: Call) throws { try fail(call) }

    static func fail(_ call: Call) throws {
        switch call.environment.args["FAIL"] {
        case "cni": throw CNIError(.invalidConfig, "bad", details: "more")
        case "plain": throw Plain()
        case "convertible": throw Convertible()
        default: break
        }
    }
}

enum OldPlugin: CNIPlugin {
    static let supportedVersions = ["0.3.1", "0.4.0"]
    static func add(_ call: Call) throws -> Result { Result() }
    static func del(_ call: Call) throws {}
    static func check(_ call: Call) throws {}
}

/// Runs `P` and returns the exit code and what it printed.
func invoke(_ env: [String: String], _ stdin: String) -> (Int32, String) {
    invoke(FakePlugin.self, env, stdin)
}

func invoke<P: CNIPlugin>(_ plugin: P.Type, _ env: [String: String], _ stdin: String) -> (Int32, String) {
    var output = ""
    let code = PluginMain.run(plugin, environment: env, stdin: Array(stdin.utf8)) { output += $0 }
    return (code, output)
}

@Suite struct PluginMainTests {
    @Test(arguments: CNIVersion.all)
    func addPrintsTheResultInTheConfigVersion(version: String) throws {
        let (code, output) = invoke(environment("ADD"), config(version))
        #expect(code == 0)
        let result = try Result.decode(Array(output.utf8), version: version)
        #expect(result.ips == [.init(address: "10.1.0.5/16")])
        #expect(try parse(output)["cniVersion"] == .string(version))
    }

    @Test(arguments: ["DEL", "CHECK", "STATUS", "GC"])
    func otherCommandsPrintNothing(command: String) {
        let (code, output) = invoke(environment(command), config("1.1.0"))
        #expect(code == 0 && output.isEmpty)
    }

    @Test(arguments: ["", #"{"cniVersion":"0.4.0"}"#, #"{"cniVersion":"7.0.0"}"#, "garbage"])
    func versionNeedsNoConfig(stdin: String) throws {
        let (code, output) = invoke(["CNI_COMMAND": "VERSION"], stdin)
        #expect(code == 0)
        let json = try parse(output)
        #expect(json["cniVersion"] == .string(stdin.contains("0.4.0") ? "0.4.0" : "1.1.0"))
        #expect(json["supportedVersions"] == .array(CNIVersion.all.map(JSONValue.string)))
    }

    @Test func versionOfAnOlderPluginSaysItsNewest() throws {
        let json = try parse(invoke(OldPlugin.self, ["CNI_COMMAND": "VERSION"], "").1)
        #expect(json["cniVersion"] == .string("0.4.0"))
        #expect(json["supportedVersions"] == .array([.string("0.3.1"), .string("0.4.0")]))
    }

    /// (environment change, stdin, expected code, text the message contains)
    static let errorCases: [([String: String?], String, Int, String)] = [
        (["CNI_COMMAND": nil], config("1.0.0"), 4, "CNI_COMMAND"),
        (["CNI_COMMAND": "BOGUS"], config("1.0.0"), 4, "CNI_COMMAND"),
        (["CNI_NETNS": nil], config("1.0.0"), 4, "CNI_NETNS"),
        (["CNI_ARGS": "novalue"], config("1.0.0"), 4, "CNI_ARGS"),
        ([:], "{not json", 6, "not valid JSON"),
        ([:], #"{"cniVersion":"1.0.0","type":"t"}"#, 7, "name is required"),
        ([:], #"{"cniVersion":"1.0.0","name":"n"}"#, 7, "type is required"),
        ([:], config("0.9.9"), 1, "incompatible CNI version"),
        (["CNI_COMMAND": "CHECK"], config("0.3.1"), 1, "does not allow CHECK"),
        (["CNI_COMMAND": "STATUS"], config("1.0.0"), 1, "does not allow STATUS"),
        (["CNI_COMMAND": "GC"], config("1.0.0"), 1, "does not allow GC"),
        (["CNI_ARGS": "FAIL=cni"], config("1.0.0"), 7, "bad"),
        (["CNI_ARGS": "FAIL=plain"], config("1.0.0"), 5, "plain failure"),
        (["CNI_ARGS": "FAIL=convertible"], config("1.0.0"), 11, "busy"),
        (["CNI_COMMAND": "DEL", "CNI_ARGS": "FAIL=plain"], config("1.0.0"), 5, "plain failure"),
    ]

    @Test(arguments: errorCases)
    func errorsArePrintedAsJSONWithExitCode1(change: [String: String?], stdin: String, code: Int, text: String) throws {
        var env = environment("ADD")
        for (key, value) in change { env[key] = value }
        let (exit, output) = invoke(env, stdin)
        #expect(exit == 1)
        let json = try parse(output)
        #expect(json["code"] == .number(Double(code)))
        #expect(json["msg"]?.stringValue?.contains(text) == true)
        #expect(json["cniVersion"]?.stringValue.map(CNIVersion.all.contains) == true)
    }

    @Test func errorJSONCarriesDetailsOnlyWhenPresent() throws {
        var env = environment("ADD")
        env["CNI_ARGS"] = "FAIL=cni"
        let json = try parse(invoke(env, config("0.4.0")).1)
        #expect(json == .object(["cniVersion": .string("0.4.0"), "code": .number(7), "msg": .string("bad"),
                                 "details": .string("more")]))
        env["CNI_ARGS"] = "FAIL=convertible"
        #expect(try parse(invoke(env, config("0.4.0")).1)["details"] == nil)
    }

    @Test func pluginVersionListIsEnforced() throws {
        let (code, output) = invoke(OldPlugin.self, environment("ADD"), config("1.0.0"))
        #expect(code == 1)
        #expect(try parse(output)["code"] == .number(1))
        #expect(invoke(OldPlugin.self, environment("ADD"), config("0.4.0")).0 == 0)
    }

    @Test func delWithoutNetnsRuns() {
        var env = environment("DEL")
        env["CNI_NETNS"] = nil
        #expect(invoke(env, config("1.0.0")) == (0, ""))
    }
}
