#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import CNIKit

/// A fake IPAM plugin: records its command and stdin, then answers as `FAKE_MODE` says.
let fakeIPAM = #"""
#!/bin/sh
cat > "$(dirname "$0")/stdin.$CNI_COMMAND"
echo "$CNI_COMMAND $CNI_CONTAINERID $CNI_IFNAME" >> "$(dirname "$0")/calls"
case "$CNI_ARGS" in
*MODE=error*) echo '{"cniVersion":"1.0.0","code":11,"msg":"pool exhausted","details":"10.1.0.0/30"}'; exit 1 ;;
*MODE=crash*) echo 'panic' ; exit 3 ;;
*MODE=garbage*) echo 'not json'; exit 0 ;;
esac
[ "$CNI_COMMAND" = ADD ] && echo '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.1.0.5/16","gateway":"10.1.0.1"}],"routes":[{"dst":"0.0.0.0/0"}]}'
exit 0
"""#

@Suite struct IPAMTests {
    let root = makeTemporaryDirectory()
    var stdin: String { config("1.0.0", extra: #","ipam":{"type":"fake-ipam","subnet":"10.1.0.0/16"}"#) }

    func call(_ command: String, mode: String = "", ipam: Bool = true) throws -> Call {
        mkdir("\(root)/bin", 0o755)
        writeFile("\(root)/bin/fake-ipam", fakeIPAM, mode: 0o755)
        var env = environment(command, path: "\(root)/empty:\(root)/bin")
        env["CNI_ARGS"] = "MODE=\(mode)"
        return try Call(environment: Environment.parse(env), stdin: Array((ipam ? stdin : config("1.0.0")).utf8))
    }

    func file(_ name: String) -> String {
        let fd = open("\(root)/bin/\(name)", O_RDONLY)
        defer { close(fd) }
        return String(decoding: readAll(fd) ?? [], as: UTF8.self)
    }

    @Test func addRunsTheDelegateAndConvertsItsResult() throws {
        defer { removeTree(root) }
        let result = try IPAM.add(call("ADD"))
        #expect(result == Result(cniVersion: "1.0.0", ips: [.init(address: "10.1.0.5/16", gateway: "10.1.0.1")],
                                 routes: [.init(dst: "0.0.0.0/0")]))
        #expect(file("stdin.ADD") == stdin)
        #expect(file("calls") == "ADD c0ffee eth0\n")
    }

    @Test func delAndCheckSetTheCommand() throws {
        defer { removeTree(root) }
        try IPAM.del(call("DEL"))
        try IPAM.check(call("CHECK"))
        IPAM.undoAdd(try call("ADD"))
        #expect(file("calls") == "DEL c0ffee eth0\nCHECK c0ffee eth0\nDEL c0ffee eth0\n")
    }

    @Test func delegateErrorKeepsCodeAndMessage() throws {
        defer { removeTree(root) }
        #expect(throws: CNIError(.tryAgainLater, "IPAM plugin fake-ipam: pool exhausted", details: "10.1.0.0/30")) {
            try IPAM.add(call("ADD", mode: "error"))
        }
    }

    @Test func crashWithoutErrorJSONIsIOFailure() throws {
        defer { removeTree(root) }
        #expect(throws: CNIError(.ioFailure, "IPAM plugin fake-ipam failed with exit status 3", details: "panic\n")) {
            try IPAM.del(call("DEL", mode: "crash"))
        }
        IPAM.undoAdd(try call("ADD", mode: "crash"))
    }

    @Test func unusableResultIsReported() throws {
        defer { removeTree(root) }
        #expect { try IPAM.add(call("ADD", mode: "garbage")) } throws: {
            ($0 as! CNIError).code == .decodeFailure && ($0 as! CNIError).msg.contains("fake-ipam")
        }
    }

    @Test func missingPluginOrTypeIsCode7() throws {
        defer { removeTree(root) }
        #expect { try IPAM.add(call("ADD", ipam: false)) } throws: { ($0 as! CNIError).msg.contains("ipam.type") }
        var env = environment("ADD", path: "\(root)/empty")
        env["CNI_ARGS"] = nil
        let missing = try Call(environment: Environment.parse(env), stdin: Array(stdin.utf8))
        #expect { try IPAM.add(missing) } throws: {
            ($0 as! CNIError).code == .invalidConfig && ($0 as! CNIError).msg.contains("not found in CNI_PATH")
        }
    }
}

@Suite struct LogTests {
    @Test func appendsToTheLogFileAtOrBelowItsLevel() throws {
        let root = makeTemporaryDirectory()
        defer { removeTree(root) }
        let conf = try NetConf.parse(Array(config("1.0.0", extra: #","logFile":"p.log","logLevel":"warning""#).utf8))
        let log = try Log(conf: conf, policy: NodePolicy(logDirectory: root))
        log.error("first")
        log.warning("second")
        log.info("hidden")
        log.debug("hidden")
        let lines = String(decoding: contents("\(root)/p.log"), as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].hasSuffix("fake[\(getpid())] ERROR: first"))
        #expect(lines[1].hasSuffix("WARNING: second"))
    }

    @Test func badLevelIsCode7() throws {
        let conf = try NetConf.parse(Array(config("1.0.0", extra: #","logLevel":"loud""#).utf8))
        #expect { try Log(conf: conf, policy: NodePolicy()) } throws: { ($0 as! CNIError).code == .invalidConfig }
    }

    /// A NAD names a log file, never a path: `/etc/ld.so.preload` and `../x` are code 7.
    @Test(arguments: ["/etc/ld.so.preload", "../escape.log", "a/b.log", ".hidden", "..", "."])
    func aLogFileThatIsAPathIsCode7(name: String) throws {
        let conf = try NetConf.parse(Array(config("1.0.0", extra: #","logFile":"\#(name)""#).utf8))
        #expect { try Log(conf: conf, policy: NodePolicy(logDirectory: "/tmp")) } throws: {
            let error = $0 as! CNIError
            return error.code == .invalidConfig && error.msg.hasPrefix("logFile")
        }
    }

    /// Without a log directory in the policy the name is ignored: the log goes to stderr.
    @Test func withoutALogDirectoryTheLogIsStderr() throws {
        let conf = try NetConf.parse(Array(config("1.0.0", extra: #","logFile":"p.log""#).utf8))
        #expect(try Log(conf: conf, policy: NodePolicy()).file == nil)
    }

    /// A symlink planted at the name is not followed; a value with a newline stays on its line.
    @Test func aSymlinkIsNotFollowedAndInputIsEscaped() throws {
        let root = makeTemporaryDirectory()
        defer { removeTree(root) }
        writeFile("\(root)/target", "secret")
        symlink("\(root)/target", "\(root)/link.log")
        let policy = NodePolicy(logDirectory: root)
        let linked = try Log(conf: try NetConf.parse(Array(config("1.0.0", extra: #","logFile":"link.log""#).utf8)), policy: policy)
        linked.error("through the link")
        #expect(String(decoding: contents("\(root)/target"), as: UTF8.self) == "secret")
        let log = try Log(conf: try NetConf.parse(Array(config("1.0.0", extra: #","logFile":"p.log""#).utf8)), policy: policy)
        log.error("bridge \"x\n/evil.so\n\u{1b}[2J\"")
        let text = String(decoding: contents("\(root)/p.log"), as: UTF8.self)
        #expect(text.split(separator: "\n").count == 1, "\(text)")
        #expect(text.hasSuffix(#"bridge "x\n/evil.so\n\u{1b}[2J""# + "\n"), "\(text)")
    }

    private func contents(_ path: String) -> [UInt8] {
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        return fd >= 0 ? readAll(fd) ?? [] : []
    }
}

/// ipam.type names a plugin in CNI_PATH, never a path. STATUS used to skip the check that ADD, DEL
/// and CHECK make, so `"ipam": {"type": "../bin/x"}` in a NAD ran any executable on the node.
@Suite struct IPAMTypeIsNotAPathTests {
    @Test(arguments: ["ADD", "DEL", "CHECK", "STATUS"], ["../bin/fake-ipam", "..", ".", "fake-ipam\u{0}x", "../bin/\u{301}fake"])
    func aPathInIPAMTypeIsRefusedAndNothingRuns(command: String, type: String) throws {
        let root = makeTemporaryDirectory()
        defer { removeTree(root) }
        mkdir("\(root)/bin", 0o755)
        mkdir("\(root)/empty", 0o755)
        writeFile("\(root)/bin/fake-ipam", fakeIPAM, mode: 0o755)
        let ipam = JSONValue.object(["type": .string(type)]).serialized()
        let stdin = config("1.1.0", extra: ",\"ipam\":\(ipam)")
        let call = try Call(environment: Environment.parse(environment(command, path: "\(root)/empty")), stdin: Array(stdin.utf8))
        #expect(throws: CNIError.self) {
            switch command {
            case "ADD": _ = try IPAM.add(call)
            case "DEL": try IPAM.del(call)
            case "CHECK": try IPAM.check(call)
            default: try IPAM.status(call)
            }
        }
        do { try IPAM.status(call) } catch { #expect(error.code == .invalidConfig, "\(error)") }
        #expect(open("\(root)/bin/calls", O_RDONLY) < 0, "the delegate ran")
        #expect(IPAM.find(type, in: ["\(root)/empty"]) == nil)
    }
}
