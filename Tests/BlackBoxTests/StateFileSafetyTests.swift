import Foundation
import Testing

/// Plugin state is never written through a symlink (ours only: the reference writes through them).
/// A symlink at a state file's path or at the state directory makes ADD fail with code 5 after
/// rolling back, and leaves what the symlink points to untouched.
extension BlackBox {
    @Suite struct StateFileSafety {
        /// A directory outside the sandbox for the symlinks' targets, removed at the end.
        final class Targets {
            let dir: URL
            init() throws {
                dir = FileManager.default.temporaryDirectory.appendingPathComponent("scni-targets-\(UUID().uuidString.prefix(8))")
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            }
            deinit { try? FileManager.default.removeItem(at: dir) }
            func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
            func listing(_ sub: String) -> [String] {
                (try? FileManager.default.contentsOfDirectory(atPath: path(sub)))?.sorted() ?? []
            }
        }

        /// tuning's backup file (`<containerID>_<ifname>.json`) pre-created as a symlink to a file.
        @Test func tuningRefusesASymlinkAtItsBackupFile() throws {
            guard Implementation.enabled.contains(.ours) else { return }
            let setup = try TuningBadInput.Setup(.ours)
            let targets = try Targets()
            try "secret".write(toFile: targets.path("victim"), atomically: false, encoding: .utf8)
            var env = setup.environment()
            let backupDir = setup.sandbox.tuningDir.appendingPathComponent("symlinked-file")
            try FileManager.default.createDirectory(at: backupDir, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(
                atPath: backupDir.appendingPathComponent("\(env["CNI_CONTAINERID"]!)_net1.json").path,
                withDestinationPath: targets.path("victim"))
            let before = try #require(try setup.state.link("net1"))
            let out = try setup.cni.execPlugin("tuning", environment: env, stdin: try setup.config(
                ["mtu": 1280, "promisc": true, "dataDir": backupDir.path]))
            #expect(out.errorCode == 5, "\(out)")
            #expect(out.errorMessage?.contains("symlink") == true, "\(out)")
            #expect(try String(contentsOfFile: targets.path("victim"), encoding: .utf8) == "secret")
            let after = try #require(try setup.state.link("net1"))
            #expect(after.mtu == before.mtu && after.promiscuous == before.promiscuous, "ADD did not roll back")
        }

        /// tuning's dataDir is a symlink to another directory: nothing is written there.
        @Test func tuningRefusesASymlinkedDataDir() throws {
            guard Implementation.enabled.contains(.ours) else { return }
            let setup = try TuningBadInput.Setup(.ours)
            let targets = try Targets()
            try FileManager.default.createDirectory(atPath: targets.path("real"), withIntermediateDirectories: true)
            let link = setup.sandbox.tuningDir.appendingPathComponent("linked").path
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: targets.path("real"))
            let before = try #require(try setup.state.link("net1"))
            let out = try setup.add(try setup.config(["mtu": 1280, "dataDir": link]))
            #expect(out.errorCode == 5, "\(out)")
            #expect(targets.listing("real") == [], "state written through the symlink")
            #expect(try #require(try setup.state.link("net1")).mtu == before.mtu, "ADD did not roll back")
        }

        /// A successful ADD keeps its backup 0600 in a directory it creates 0700, whatever the umask.
        @Test func tuningBackupIs0600In0700() throws {
            guard Implementation.enabled.contains(.ours) else { return }
            let setup = try TuningBadInput.Setup(.ours)
            let dataDir = setup.sandbox.tuningDir.appendingPathComponent("fresh/state").path
            var env = setup.environment()
            env["CNI_PATH"] = nil
            let out = try setup.cni.execPlugin("tuning", environment: env, stdin: try setup.config(["mtu": 1280, "dataDir": dataDir]))
            #expect(out.succeeded, "\(out)")
            let backup = "\(dataDir)/\(env["CNI_CONTAINERID"]!)_net1.json"
            let mode = { (path: String) in
                ((try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int).map { String($0, radix: 8) }
            }
            #expect(mode(backup) == "600")
            #expect(mode(dataDir) == "700")
            #expect(mode(setup.sandbox.tuningDir.appendingPathComponent("fresh").path) == "700")
        }

        /// bridge's dataDir is a symlink: ADD fails with code 5 and leaves no veth, port or record.
        @Test func bridgeRefusesASymlinkedDataDir() throws {
            guard Implementation.enabled.contains(.ours) else { return }
            let targets = try Targets()
            try FileManager.default.createDirectory(atPath: targets.path("real"), withIntermediateDirectories: true)
            let setup = try BridgeSetup(.ours, "bridge-test.conflist")
            // The fixture's dataDir is <sandbox>/bridge (Fixtures.isolate): make that the symlink.
            try FileManager.default.createSymbolicLink(
                atPath: setup.sandbox.dir.appendingPathComponent("bridge").path, withDestinationPath: targets.path("real"))
            let pod = try setup.sandbox.pod()
            let out = try setup.add(pod, IfName.multus, PodIdentity.random())
            #expect(out.errorCode == 5, "\(out)")
            #expect(targets.listing("real") == [], "state written through the symlink")
            #expect(try setup.nodeVeths() == [], "ADD left a veth behind")
            #expect(try NetState(netns: pod).link(IfName.multus) == nil, "ADD left the pod interface behind")
        }
    }
}
