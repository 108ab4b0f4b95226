#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import CNIKit
import NetworkTypes

@Suite struct NodePolicyTests {
    func policy(_ json: String) throws(CNIError) -> NodePolicy {
        try NodePolicy(json: JSONValue.parse(Array(json.utf8)))
    }

    func code7(_ body: () throws -> Void, naming key: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("expected code 7 naming \(key)", sourceLocation: sourceLocation)
        } catch let error as CNIError {
            #expect(error.code == .invalidConfig && error.msg.contains(key), "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected a CNIError, got \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func anEmptyFileIsTheDefaults() throws {
        #expect(try policy("{}") == NodePolicy())
        let defaults = NodePolicy()
        #expect(defaults.stateDirectories == ["/run/cni", "/var/lib/cni"])
        #expect(defaults.logDirectory == nil && defaults.bridges == nil && defaults.macvtapMasters == nil)
        #expect(defaults.overlay.ports == [6081] && defaults.overlay.maxPeers == 4096 && !defaults.overlay.nodeLocalIPAM)
    }

    @Test func everyKeyIsRead() throws {
        let read = try policy("""
            {"stateDirectories": ["/srv/cni"], "logDirectory": "/var/log/swift-cni", "peersDirectory": "/etc/l2",
             "bridges": ["br-vm*"], "macvtap": {"masters": ["eth1"]},
             "overlay": {"ports": [6081, 7081], "maxPeers": 8, "underlay": ["192.0.2.0/24"], "vnis": [4242, "100-199"], "nodeLocalIPAM": true},
             "networks": {"l2net": {"namespaces": ["tenant-a"]}}}
            """)
        #expect(read.stateDirectories == ["/srv/cni"] && read.logDirectory == "/var/log/swift-cni" && read.peersDirectory == "/etc/l2")
        #expect(read.bridges == [NamePattern("br-vm*")] && read.macvtapMasters == [NamePattern("eth1")])
        #expect(read.overlay == .init(ports: [6081, 7081], maxPeers: 8, underlay: [IPNetwork("192.0.2.0/24")!],
                                      vnis: [4242...4242, 100...199], nodeLocalIPAM: true))
        #expect(read.networks == ["l2net": .init(namespaces: ["tenant-a"])])
    }

    /// A misspelt key must not leave a default in force silently.
    @Test(arguments: [#"{"stateDirectory": ["/x"]}"#, #"{"overlay": {"port": [1]}}"#, #"{"macvtap": {"master": ["eth1"]}}"#,
                      #"{"networks": {"n": {"namespace": ["a"]}}}"#])
    func unknownKeysAreRefused(json: String) {
        code7({ _ = try policy(json) }, naming: "not a key of the node policy")
    }

    @Test(arguments: [#"{"stateDirectories": ["relative"]}"#, #"{"logDirectory": "/var/../etc"}"#, #"{"peersDirectory": "/a//b"}"#,
                      #"{"overlay": {"ports": [0]}}"#, #"{"overlay": {"vnis": ["9-1"]}}"#, #"{"overlay": {"underlay": ["x"]}}"#])
    func badValuesAreRefused(json: String) {
        #expect(throws: CNIError.self) { _ = try policy(json) }
    }

    @Test func dataDirMustBeUnderAStateDirectory() throws {
        let policy = NodePolicy()
        #expect(try policy.stateDirectory(nil, key: "dataDir", default: "/var/lib/cni/swift-cni/bridge").path == "/var/lib/cni/swift-cni/bridge")
        #expect(try policy.stateDirectory("/run/cni/mine/", key: "dataDir", default: "/x").path == "/run/cni/mine")
        #expect(try policy.stateDirectory("/run/cni", key: "dataDir", default: "/x").path == "/run/cni")
        for hostile in ["/etc/cni/net.d", "/run/cnix", "/var/lib/cni/../../etc", "/var/lib/cni/./x", "var/lib/cni", "/var/lib/cni//x"] {
            code7({ _ = try policy.stateDirectory(hostile, key: "dataDir", default: "/var/lib/cni/x") }, naming: "dataDir")
        }
        // The plugin's own default outside the admin's directories is refused as well, and says so.
        code7({ _ = try NodePolicy(stateDirectories: ["/srv"]).stateDirectory(nil, key: "dataDir", default: "/run/cni/tuning") },
              naming: "dataDir (default /run/cni/tuning)")
    }

    @Test func namespacesPerNetwork() throws {
        let policy = NodePolicy(networks: ["l2net": .init(namespaces: ["a", "b"])])
        try policy.admit(network: "l2net", podNamespace: "b")
        try policy.admit(network: "other", podNamespace: nil)
        code7({ try policy.admit(network: "l2net", podNamespace: "c") }, naming: "networks.l2net.namespaces")
        code7({ try policy.admit(network: "l2net", podNamespace: nil) }, naming: "K8S_POD_NAMESPACE")
    }

    @Test func bridgePatterns() throws {
        let policy = NodePolicy(bridges: [NamePattern("br-vm*"), NamePattern("br1")])
        try policy.allowBridge("br-vm7", key: "bridge")
        try policy.allowBridge("br1", key: "bridge")
        code7({ try policy.allowBridge("br10", key: "bridge") }, naming: "bridge")
        try NodePolicy().allowBridge("docker0", key: "bridge")  // no list: any, as the reference
    }

    /// The example in conf/ is a policy the plugins accept.
    @Test func theExampleInConfIsValid() throws {
        let root = "\(#filePath)".split(separator: "/").dropLast(3).joined(separator: "/")
        let example = try NodePolicy.load(environment: ["SWIFT_CNI_POLICY": "/\(root)/conf/swift-cni-policy.json"])
        #expect(example.bridges != nil && example.macvtapMasters != nil && example.overlay.vnis == [1000...1999])
        #expect(example.networks["tenant-a-l2"]?.namespaces == ["tenant-a"])
    }

    /// The file: absent means defaults; one group or others can write, or a directory, fails every call.
    @Test func loadingTheFile() throws {
        let root = makeTemporaryDirectory()
        defer { removeTree(root) }
        let path = "\(root)/policy.json"
        #expect(try NodePolicy.load(environment: ["SWIFT_CNI_POLICY": path]) == NodePolicy())
        writeFile(path, #"{"logDirectory": "/var/log/x"}"#, mode: 0o644)
        #expect(try NodePolicy.load(environment: ["SWIFT_CNI_POLICY": path]).logDirectory == "/var/log/x")
        chmod(path, 0o666)
        #expect { try NodePolicy.load(environment: ["SWIFT_CNI_POLICY": path]) } throws: { ($0 as! CNIError).code == .ioFailure }
        chmod(path, 0o644)
        writeFile(path, #"{"logDirectory": 5}"#)
        code7({ _ = try NodePolicy.load(environment: ["SWIFT_CNI_POLICY": path]) }, naming: "logDirectory must be a string")
        #expect { try NodePolicy.load(environment: ["SWIFT_CNI_POLICY": root]) } throws: { ($0 as! CNIError).code == .ioFailure }
    }
}

@Suite struct NamedFileTests {
    @Test func readsARegularFileAndRefusesTheRest() throws {
        let root = makeTemporaryDirectory()
        defer { removeTree(root) }
        writeFile("\(root)/nodes", "192.0.2.1\n")
        writeFile("\(root)/big", String(repeating: "x", count: 100))
        symlink("/etc/shadow", "\(root)/shadow")
        mkfifo("\(root)/fifo", 0o600)
        mkdir("\(root)/dir", 0o700)
        #expect(try NamedFile(key: "peersFile", name: "nodes", directory: root).read(limit: 64) == Array("192.0.2.1\n".utf8))
        for (name, why) in [("shadow", "symlink"), ("fifo", "not a regular file"), ("dir", "not a regular file"),
                            ("big", "larger than 64 bytes"), ("missing", "cannot read")] {
            #expect { try NamedFile(key: "peersFile", name: name, directory: root).read(limit: 64) } throws: {
                let error = $0 as! CNIError
                return error.code == .invalidConfig && error.msg.contains(why) && error.msg.hasPrefix("peersFile")
            }
        }
    }

    @Test(arguments: ["/etc/shadow", "../x", "a/b", ".hidden", "..", ""])
    func aNameIsNotAPath(name: String) {
        #expect(throws: CNIError.self) { _ = try NamedFile(key: "peersFile", name: name, directory: "/tmp") }
    }
}

@Suite struct EscapeTests {
    @Test func controlCharactersBecomeEscapes() {
        #expect(Escape.text("plain \"text\" é") == "plain \"text\" é")
        #expect(Escape.text("x\n/evil.so\r\t") == #"x\n/evil.so\r\t"#)
        #expect(Escape.text("\u{1b}[2J\u{0}\u{7f}\u{85}") == #"\u{1b}[2J\u{0}\u{7f}\u{85}"#)
        #expect(Escape.text("a\u{2028}b\u{202e}c") == #"a\u{2028}b\u{202e}c"#)
    }

    /// What a runtime shows of an error (its JSON, its description) never carries a raw control character.
    @Test func errorsAreEscapedWhereTheyLeave() {
        let error = CNIError(.invalidConfig, "bridge \"x\n/evil.so\"", details: "a\u{1b}b")
        #expect(error.json(cniVersion: "1.0.0")["msg"]?.stringValue == #"bridge "x\n/evil.so""#)
        #expect(error.json(cniVersion: "1.0.0")["details"]?.stringValue == #"a\u{1b}b"#)
        #expect(!error.description.contains("\n") && error.description.contains(#"\n/evil.so"#))
    }
}
