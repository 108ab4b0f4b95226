import Foundation
import Testing

/// The runner itself: what libcni (and our STATUS/GC/VERSION additions) hand to a plugin.
/// A fake plugin (`recorder`, a shell script in the sandbox) records its env and stdin.
extension BlackBox {
    @Suite struct Runner {
        struct Setup {
            let sandbox: Sandbox
            let cni: CNI
            let bin: URL

            init() throws {
                sandbox = try Sandbox()
                bin = sandbox.dir.appendingPathComponent("bin")
                try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
                let script = bin.appendingPathComponent("recorder")
                try Data(Self.recorder.utf8).write(to: script)
                try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
                cni = try CNI(sandbox, .reference, cniPath: bin.path)
                try Fixtures.write([
                    "cniVersion": "1.0.0", "name": "rec",
                    "plugins": [["type": "recorder", "capabilities": ["mac": true]]],
                ], as: "rec.conflist", in: sandbox)
            }

            /// Records stdin and CNI_* env per command; STATUS fails with code 50 when `unavailable` exists.
            static let recorder = #"""
            #!/bin/sh
            d=$(dirname "$0")
            cat > "$d/$CNI_COMMAND.stdin"
            env | grep '^CNI_' | sort > "$d/$CNI_COMMAND.env"
            case "$CNI_COMMAND" in
            VERSION) echo '{"cniVersion":"1.1.0","supportedVersions":["1.0.0","1.1.0"]}' ;;
            ADD) echo '{"cniVersion":"1.0.0","interfaces":[{"name":"'"$CNI_IFNAME"'","sandbox":"'"$CNI_NETNS"'"}]}' ;;
            STATUS) if [ -e "$d/unavailable" ]; then echo '{"code":50,"msg":"not ready"}'; exit 1; fi ;;
            esac
            exit 0
            """#

            func stdin(_ command: String) throws -> [String: Any] {
                let data = try Data(contentsOf: bin.appendingPathComponent("\(command).stdin"))
                return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            }

            func env(_ command: String) throws -> [String: String] {
                let text = try String(contentsOf: bin.appendingPathComponent("\(command).env"), encoding: .utf8)
                return Dictionary(text.split(separator: "\n").compactMap { line in
                    line.firstIndex(of: "=").map { (String(line[..<$0]), String(line[line.index(after: $0)...])) }
                }, uniquingKeysWith: { $1 })
            }
        }

        @Test func addPassesMultusArgumentsThrough() throws {
            let setup = try Setup()
            let pod = try setup.sandbox.pod()
            let identity = PodIdentity.random()
            let ifname = IfName.kubevirt()
            let add = try setup.cni.add(network: "rec", netns: pod, ifname: ifname, pod: identity,
                                        capArgs: ["mac": "c2:00:00:00:00:aa"])
            try #require(add.succeeded, "\(add)")
            #expect(add.sandboxInterface(ifname) != nil, "\(add)")
            let env = try setup.env("ADD")
            #expect(env["CNI_CONTAINERID"] == identity.containerID)
            #expect(env["CNI_IFNAME"] == ifname)
            #expect(env["CNI_NETNS"] == Sandbox.path(ofNamespace: pod))
            #expect(env["CNI_ARGS"] == identity.cniArgs())
            let runtimeConfig = try setup.stdin("ADD")["runtimeConfig"] as? [String: Any]
            #expect(runtimeConfig?["mac"] as? String == "c2:00:00:00:00:aa")

            let del = try setup.cni.del(network: "rec", netns: pod, ifname: ifname, pod: identity)
            #expect(del.succeeded, "\(del)")
            #expect(try setup.stdin("DEL")["prevResult"] != nil, "libcni passes the cached result on DEL")
        }

        /// Without CNI_CONTAINERID, the id is cnitool's: "cnitool-" + 20 hex digits of sha512(netns).
        @Test func defaultContainerIDIsCnitools() throws {
            let setup = try Setup()
            let pod = try setup.sandbox.pod()
            let add = try setup.cni.add(network: "rec", netns: pod)
            try #require(add.succeeded, "\(add)")
            let id = try #require(try setup.env("ADD")["CNI_CONTAINERID"])
            #expect(id.hasPrefix("cnitool-") && id.count == "cnitool-".count + 20, "\(id)")
        }

        @Test func statusForcesVersionAndReportsErrors() throws {
            let setup = try Setup()
            let ok = try setup.cni.status(network: "rec")
            #expect(ok.succeeded, "\(ok)")
            #expect(try setup.stdin("STATUS")["cniVersion"] as? String == "1.1.0")
            #expect(try setup.env("STATUS")["CNI_COMMAND"] == "STATUS")

            _ = FileManager.default.createFile(atPath: setup.bin.appendingPathComponent("unavailable").path, contents: nil)
            let down = try setup.cni.status(network: "rec")
            #expect(!down.succeeded && down.errorCode == 50 && down.errorMessage == "not ready", "\(down)")
        }

        @Test func gcInjectsValidAttachments() throws {
            let setup = try Setup()
            let out = try setup.cni.gc(network: "rec", attachments: [("c1", "net1"), ("c2", "pod0123456789a")])
            #expect(out.succeeded, "\(out)")
            let stdin = try setup.stdin("GC")
            #expect(stdin["cniVersion"] as? String == "1.1.0")
            let valid = stdin["cni.dev/valid-attachments"] as? [[String: String]]
            #expect(valid == [["containerID": "c1", "ifname": "net1"], ["containerID": "c2", "ifname": "pod0123456789a"]])
        }

        @Test func versionPrintsEachPluginsAnswer() throws {
            let setup = try Setup()
            let out = try setup.cni.version(network: "rec")
            #expect(out.succeeded, "\(out)")
            let answers = JSON.parse(out.stdout) as? [[String: Any]]
            #expect(answers?.first?["type"] as? String == "recorder")
            let version = answers?.first?["version"] as? [String: Any]
            #expect(version?["supportedVersions"] as? [String] == ["1.0.0", "1.1.0"])
        }
    }
}
