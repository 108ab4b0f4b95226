#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// `swift-cni-node install`: the plugins into the node's CNI bin directory and the node policy into
/// its directory, each file replaced atomically and only when its content differs.
public struct Installer {
    public static let plugins = ["bridge", "macvtap", "layer2-overlay", "tuning"]
    public static let policyName = "policy.json"

    public let source: String
    public let binDirectory: String

    public init(source: String, binDirectory: String) {
        self.source = source
        self.binDirectory = binDirectory
    }

    /// The directory this executable lives in: where the image puts the plugins beside it.
    public static func ownDirectory() throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { throw SystemError("readlink", "/proc/self/exe") }
        let path = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
    }

    /// Reads every plugin first, so a missing one changes nothing on the node.
    public func installPlugins() throws {
        let binaries = try Installer.plugins.map { name in
            (name, try Directory.readFile(source.hasSuffix("/") ? source + name : source + "/" + name))
        }
        let target = try Directory(creating: binDirectory)
        for (name, bytes) in binaries {
            let wrote = try target.update(name, with: bytes, mode: 0o755)
            AgentLog.info("\(wrote ? "installed" : "unchanged") \(AgentLog.quoted(target.join(name))) (\(bytes.count) bytes)")
        }
    }

    /// Checks that `file` holds one JSON object (a broken ConfigMap must not replace a good policy),
    /// then installs it as `policy.json` in `directory`, readable by all (the plugins run as root).
    public static func installPolicy(from file: String, into directory: String) throws {
        let bytes = try Directory.readFile(file, limit: 1 << 20)
        guard (try? JSONSerialization.jsonObject(with: Data(bytes))) is [String: Any] else {
            throw ConfigurationError("the policy \(AgentLog.quoted(file)) is not one JSON object; nothing installed")
        }
        let target = try Directory(creating: directory)
        let wrote = try target.update(policyName, with: bytes, mode: 0o644)
        AgentLog.info("\(wrote ? "installed" : "unchanged") \(AgentLog.quoted(target.join(policyName))) (\(bytes.count) bytes)")
    }
}
