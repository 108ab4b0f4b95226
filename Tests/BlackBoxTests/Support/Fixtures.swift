import Foundation

/// Network configs come from the files in `conf/` (what an admin would install), with the
/// sandbox's temp dirs substituted in: host-local's and tuning's `dataDir`.
enum Fixtures {
    static var confDir: URL { Environment.packageRoot.appendingPathComponent("conf") }

    /// Reads `conf/<file>`, lets `edit` change the plugin list, points every data dir into the
    /// sandbox (with `isolatingOurs` false only host-local's: ours keep what the file says, defaults
    /// included) and writes it into the sandbox's NETCONFPATH. Returns the network name.
    /// `cniVersion` replaces the file's, to run one fixture in every spec version.
    @discardableResult
    static func install(_ file: String, in sandbox: Sandbox, cniVersion: String? = nil, isolatingOurs: Bool = true,
                        edit: (inout [[String: Any]]) -> Void = { _ in }) throws -> String {
        let url = confDir.appendingPathComponent(file)
        guard let data = FileManager.default.contents(atPath: url.path),
              var list = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let name = list["name"] as? String
        else { throw HarnessError("fixture \(url.path) is missing or not a conf or conflist") }
        if list["plugins"] == nil { list = conflist(wrapping: list) }  // a single-plugin conf, as a NAD holds
        guard var plugins = list["plugins"] as? [[String: Any]] else {
            throw HarnessError("fixture \(url.path): plugins must be a list")
        }
        edit(&plugins)
        list["plugins"] = plugins
        if let cniVersion { list["cniVersion"] = cniVersion }
        // libcni reads a `.conf` as one plugin: the wrapped list must be a `.conflist`.
        try write(list, as: file.hasSuffix(".conf") ? file + "list" : file, in: sandbox, isolatingOurs: isolatingOurs)
        return name
    }

    /// A single-plugin conf as the one-plugin conflist libcni makes of it (`cniVersion`, `name` on top).
    static func conflist(wrapping conf: [String: Any]) -> [String: Any] {
        var plugin = conf
        plugin.removeValue(forKey: "name")
        plugin.removeValue(forKey: "cniVersion")
        return ["cniVersion": conf["cniVersion"] ?? "0.1.0", "name": conf["name"] ?? "", "plugins": [plugin]]
    }

    /// Writes a conflist made by the test itself (e.g. for fake plugins), data dirs isolated too (ours
    /// only when `isolatingOurs`).
    static func write(_ list: [String: Any], as file: String, in sandbox: Sandbox, isolatingOurs: Bool = true) throws {
        var list = list
        list["plugins"] = (list["plugins"] as? [[String: Any]] ?? []).map { isolate($0, in: sandbox, ours: isolatingOurs) }
        try Data(try JSON.string(list).utf8).write(to: sandbox.confDir.appendingPathComponent(file))
    }

    /// The `type`s of the plugins of an installed network, in order.
    static func pluginTypes(network: String, in sandbox: Sandbox) throws -> [String] {
        for file in try FileManager.default.contentsOfDirectory(atPath: sandbox.confDir.path) {
            let data = FileManager.default.contents(atPath: sandbox.confDir.appendingPathComponent(file).path) ?? Data()
            guard let list = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  list["name"] as? String == network else { continue }
            return (list["plugins"] as? [[String: Any]] ?? []).compactMap { $0["type"] as? String }
        }
        throw HarnessError("network \(network) is not installed in \(sandbox.confDir.path)")
    }

    private static func isolate(_ plugin: [String: Any], in sandbox: Sandbox, ours: Bool) -> [String: Any] {
        var plugin = plugin
        if ours, plugin["type"] as? String == "tuning" {
            plugin["dataDir"] = sandbox.tuningDir.path
        }
        if ours, let type = plugin["type"] as? String, ["bridge", "macvtap", "layer2-overlay"].contains(type) {
            // Our attachment records (the reference bridge ignores the key).
            plugin["dataDir"] = sandbox.dir.appendingPathComponent(type).path
        }
        if var ipam = plugin["ipam"] as? [String: Any], ipam["type"] as? String == "host-local" {
            ipam["dataDir"] = sandbox.ipamDir.path
            plugin["ipam"] = ipam
        }
        return plugin
    }
}

extension Array where Element == [String: Any] {
    /// Changes the first plugin of type `type`.
    mutating func edit(_ type: String, _ change: (inout [String: Any]) -> Void) {
        guard let index = firstIndex(where: { $0["type"] as? String == type }) else { return }
        change(&self[index])
    }
}
