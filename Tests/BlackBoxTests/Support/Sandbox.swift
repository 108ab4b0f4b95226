import Foundation

/// A throwaway world for one test: a "node" netns where the plugins run, pod netns, and a temp dir
/// holding the confs (NETCONFPATH), host-local and tuning data dirs, libcni's cache and the node policy
/// the plugins read (`SWIFT_CNI_POLICY`, see `testPolicy`). Everything is removed in deinit, so a
/// failing test cleans up too.
final class Sandbox {
    let id: String
    let node: String
    let dir: URL
    private(set) var namespaces: [String] = []

    var confDir: URL { dir.appendingPathComponent("net.d") }
    var cacheDir: URL { dir.appendingPathComponent("cache") }
    var ipamDir: URL { dir.appendingPathComponent("ipam") }
    var tuningDir: URL { dir.appendingPathComponent("tuning") }
    /// The node policy the plugins of this sandbox read; `writePolicy` replaces it.
    var policyFile: URL { dir.appendingPathComponent("policy.json") }

    init() throws {
        try Environment.requireRoot()
        id = String(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(6))
        node = "scni-\(id)-node"
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("scni-\(id)")
        for sub in [confDir, cacheDir, ipamDir, tuningDir] {
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        }
        try writePolicy(testPolicy)
        try addNamespace(node)
        try Shell.must(["ip", "-n", node, "link", "set", "lo", "up"])
    }

    /// What a test node's admin allows: state, logs and peers files in this sandbox, Geneve on 6081 and
    /// on 7081 (the overlay suites' port); everything else as the policy's defaults.
    var testPolicy: [String: Any] {
        ["stateDirectories": [dir.path], "peersDirectory": dir.path, "logDirectory": dir.path,
         "overlay": ["ports": [6081, 7081]]]
    }

    /// Replaces the node policy (`[:]`: every default).
    func writePolicy(_ policy: [String: Any]) throws {
        try Data(try JSON.string(policy).utf8).write(to: policyFile)
    }

    deinit {
        // layer2-overlay keeps segment records per node namespace, which goes now without a GC.
        if let inode = try? FileManager.default.attributesOfItem(atPath: Sandbox.path(ofNamespace: node))[.systemFileNumber] {
            try? FileManager.default.removeItem(atPath: "/run/cni/swift-cni/overlay/netns-\(inode)")
        }
        for name in namespaces.reversed() {
            _ = try? Shell.run(["ip", "netns", "del", name])
        }
        try? FileManager.default.removeItem(at: dir)
    }

    /// Creates pod netns `scni-<id>-<suffix>` (lo up) and returns its name.
    func pod(_ suffix: String = "pod1") throws -> String {
        let name = "scni-\(id)-\(suffix)"
        try addNamespace(name)
        try Shell.must(["ip", "-n", name, "link", "set", "lo", "up"])
        return name
    }

    /// Deletes a netns early (e.g. to test DEL after the pod is gone).
    func deleteNamespace(_ name: String) throws {
        try Shell.must(["ip", "netns", "del", name])
        namespaces.removeAll { $0 == name }
    }

    static func path(ofNamespace name: String) -> String { "/var/run/netns/\(name)" }

    private func addNamespace(_ name: String) throws {
        try Shell.must(["ip", "netns", "add", name])
        namespaces.append(name)
    }
}
