import Foundation
import Testing

/// A node as a namespace user with nothing but NAD rights finds it: the node admin wrote no policy file
/// (the plugins' safe defaults), or the one a test gives. Around it, decoys outside every place the policy
/// allows — files and directories the attacks aim at — checked byte for byte afterwards.
final class HostileWorld {
    let sandbox: Sandbox
    let cni: CNI
    let decoys: URL
    var node: NetState { NetState(netns: sandbox.node) }

    /// `policy` nil: no policy file at all (SWIFT_CNI_POLICY names a file that does not exist).
    init(policy: [String: Any]? = nil) throws {
        sandbox = try Sandbox()
        cni = try CNI(sandbox, .ours)
        decoys = FileManager.default.temporaryDirectory.appendingPathComponent("scni-decoys-\(sandbox.id)")
        try FileManager.default.createDirectory(at: decoys, withIntermediateDirectories: true)
        if let policy { try sandbox.writePolicy(policy) } else { try FileManager.default.removeItem(at: sandbox.policyFile) }
    }

    deinit {
        try? FileManager.default.removeItem(at: decoys)
        try? FileManager.default.removeItem(atPath: runDir)
    }

    /// A data dir inside the default policy's `/run/cni` for the cases that must work without a policy
    /// file (removed with the world), so no test leaves anything in the machine's own state directories.
    var runDir: String { "/run/cni/scni-test-\(sandbox.id)" }

    /// A policy whose only state directory is the machine's temp dir (the sandbox is under it), plus `extra`.
    static func policy(_ extra: [String: Any] = [:]) -> [String: Any] {
        var policy: [String: Any] = ["stateDirectories": [FileManager.default.temporaryDirectory.path]]
        for (key, value) in extra { policy[key] = value }
        return policy
    }

    /// Installs one plugin config exactly as the tenant wrote it (no data dir isolated) as network `name`.
    @discardableResult
    func install(_ plugin: [String: Any], name: String = "tenant-net", cniVersion: String = "1.0.0") throws -> String {
        try Fixtures.write(["cniVersion": cniVersion, "name": name, "plugins": [plugin]], as: "\(name).conflist",
                           in: sandbox, isolatingOurs: false)
        return name
    }

    func add(_ network: String, pod: String, ifname: String = IfName.multus, identity: PodIdentity = .random()) throws -> CNIOutput {
        try cni.add(network: network, netns: pod, ifname: ifname, pod: identity)
    }

    func del(_ network: String, pod: String, ifname: String = IfName.multus, identity: PodIdentity) throws -> CNIOutput {
        try cni.del(network: network, netns: pod, ifname: ifname, pod: identity)
    }

    /// A decoy file (parents made) holding `contents`.
    @discardableResult
    func decoy(_ relative: String, _ contents: String) throws -> URL {
        let url = decoys.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: url)
        return url
    }

    @discardableResult
    func decoyDirectory(_ relative: String) throws -> URL {
        let url = decoys.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Every entry under the decoys, with its content, link target or "dir": compared before and after.
    func decoyTree() -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: decoys.path) else { return [] }
        var entries: [String] = []
        while let path = walker.nextObject() as? String {
            let full = decoys.appendingPathComponent(path).path
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: full) {
                entries.append("\(path) -> \(target)")
            } else if let data = FileManager.default.contents(atPath: full) {
                entries.append("\(path): \(String(decoding: data, as: UTF8.self))")
            } else {
                entries.append("\(path)/")
            }
        }
        return entries.sorted()
    }

    /// Links, addresses, sysctls and nftables of the node and `pods`, and the sandbox's files.
    func snapshot(pods: [String]) throws -> WorldSnapshot { try WorldSnapshot.take(sandbox, pods: pods) }

    /// Lock files of the node-wide lock directory.
    static func lockFiles() -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: "/run/cni/swift-cni/locks")) ?? [])
    }

    /// A NIC the node uses, as on a real node: `eth0`, up, with the node's address and its default route.
    func uplink(_ name: String = "eth0", address: String = "192.0.2.1/24", gateway: String? = "192.0.2.254") throws {
        try MacvtapWorld.nic(sandbox, name)
        try Shell.must(["ip", "-n", sandbox.node, "addr", "add", address, "dev", name])
        if let gateway { try Shell.must(["ip", "-n", sandbox.node, "route", "add", "default", "via", gateway, "dev", name]) }
    }
}

/// What every refusal must look like: the spec's code, the key named, nothing of `hiding` (a decoy's
/// content) and no raw control character in the message a runtime turns into a pod event.
func expectRefused(_ out: CNIOutput, code: Int = 7, naming: [String], hiding: [String] = [],
                   sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(out.errorCode == code, "\(out)", sourceLocation: sourceLocation)
    let message = (out.errorMessage ?? "") + " " + (out.json?["details"] as? String ?? "")
    for word in naming { #expect(message.contains(word), "message does not name \(word): \(out)", sourceLocation: sourceLocation) }
    for secret in hiding { #expect(!message.contains(secret), "message echoes \(secret): \(out)", sourceLocation: sourceLocation) }
    #expect(!message.unicodeScalars.contains { $0.value < 0x20 || (0x7f...0x9f).contains($0.value) },
            "raw control character in \(message.debugDescription)", sourceLocation: sourceLocation)
}
