import Testing
@testable import CNIKit

@Suite struct EnvironmentTests {
    static let required: [(Command, [String])] = [
        (.add, ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"]),
        (.check, ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"]),
        (.del, ["CNI_CONTAINERID", "CNI_IFNAME", "CNI_PATH"]),
        (.version, []),
        (.status, ["CNI_PATH"]),
        (.gc, ["CNI_PATH"]),
    ]

    @Test(arguments: required)
    func eachRequiredVariableIsCheckedByName(command: Command, variables: [String]) throws {
        #expect(command.requiredVariables == variables)
        for variable in variables {
            var env = environment(command.rawValue)
            env[variable] = nil
            #expect {
                try Environment.parse(env)
            } throws: { error in
                let error = error as! CNIError
                return error.code == .invalidEnvironment && error.msg.contains(variable)
            }
        }
        let minimal = variables.reduce(into: ["CNI_COMMAND": command.rawValue]) { $0[$1] = "x" }
        _ = try Environment.parse(minimal)
    }

    @Test func delWithoutNetnsIsValid() throws {
        var env = environment("DEL")
        env["CNI_NETNS"] = nil
        let parsed = try Environment.parse(env)
        #expect(parsed.netns == nil)
        #expect(parsed.containerID == "c0ffee")
    }

    @Test(arguments: [nil, "", "add", "DELETE"])
    func badCommandIsCode4NamingCNICOMMAND(value: String?) {
        var env = environment("ADD")
        env["CNI_COMMAND"] = value
        #expect {
            try Environment.parse(env)
        } throws: { error in
            let error = error as! CNIError
            return error.code == .invalidEnvironment && error.msg.contains("CNI_COMMAND")
        }
    }

    @Test func parsesEveryField() throws {
        var env = environment("ADD", path: "/a::/b")
        env["CNI_ARGS"] = "IgnoreUnknown=1;MAC=x"
        let parsed = try Environment.parse(env)
        #expect(parsed.command == .add)
        #expect(parsed.netns == "/var/run/netns/pod")
        #expect(parsed.ifname == "eth0")
        #expect(parsed.path == ["/a", "/b"])
        #expect(parsed.args["MAC"] == "x")
        #expect(parsed.args.ignoreUnknown)
        #expect(parsed.variables == env)
    }

    @Test(arguments: ["", ".", "..", "a/b", "a:b", "a b", "a\tb", "abcdefghijklmnop"])
    func invalidInterfaceNames(name: String) {
        #expect(throws: CNIError.self) { try Environment.validateInterfaceName(name, naming: "CNI_IFNAME") }
    }

    @Test(arguments: ["eth0", "net1", "a", "abcdefghijklmno", "veth-1.2_x"])
    func validInterfaceNames(name: String) throws {
        try Environment.validateInterfaceName(name, naming: "CNI_IFNAME")
    }

    @Test func invalidIfnameInEnvironmentNamesTheVariable() {
        var env = environment("ADD")
        env["CNI_IFNAME"] = "bad/name"
        #expect { try Environment.parse(env) } throws: { ($0 as! CNIError).msg.contains("CNI_IFNAME") }
    }

    @Test(arguments: ["-abc", "a b", "a/b"])
    func invalidContainerIDIsCode4(id: String) {
        var env = environment("ADD")
        env["CNI_CONTAINERID"] = id
        #expect { try Environment.parse(env) } throws: {
            ($0 as! CNIError).code == .invalidEnvironment && ($0 as! CNIError).msg.contains("CNI_CONTAINERID")
        }
    }
}
