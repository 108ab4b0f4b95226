import Foundation

/// A throwaway world for one test: a "node" netns where the plugins run, pod netns, and a temp dir
/// holding the confs (NETCONFPATH), host-local and tuning data dirs and libcni's cache.
/// Everything is removed in deinit, so a failing test cleans up too.
final class Sandbox {
    let id: String
    let node: String
    let dir: URL
    private(set) var namespaces: [String] = []

    var confDir: URL { dir.appendingPathComponent("net.d") }
    var cacheDir: URL { dir.appendingPathComponent("cache") }
    var ipamDir: URL { dir.appendingPathComponent("ipam") }
    var tuningDir: URL { dir.appendingPathComponent("tuning") }

    init() throws {
        try Environment.requireRoot()
        id = String(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(6))
        node = "scni-\(id)-node"
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("scni-\(id)")
        for sub in [confDir, cacheDir, ipamDir, tuningDir] {
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        }
        try addNamespace(node)
        try Shell.must(["ip", "-n", node, "link", "set", "lo", "up"])
    }

    deinit {
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
