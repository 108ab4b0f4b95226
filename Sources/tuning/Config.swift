import CNIKit

/// The tuning config as admins write it today: the reference plugin's keys, names and types.
struct TuningConfig: Decodable {
    var dataDir: String?
    var mac: String?
    var mtu: Int?
    var promisc: Bool?
    var allmulti: Bool?
    var txQLen: Int?
    var sysctl: [String: String]?
    var runtimeConfig: RuntimeConfig?
    var args: Args?

    struct RuntimeConfig: Decodable {
        var mac: String?
    }

    struct Args: Decodable {
        var cni: Overrides?
    }

    /// `args.cni`: per-attachment overrides, the highest precedence.
    struct Overrides: Decodable {
        var mac: String?
        var mtu: Int?
        var promisc: Bool?
        var allmulti: Bool?
        var txQLen: Int?
        var sysctl: [String: String]?
    }

    static let defaultDataDir = "/run/cni/tuning"

    /// Where backups live: `dataDir`, or the reference's default when unset or empty.
    var backupDirectory: String {
        guard let dataDir, !dataDir.isEmpty else { return TuningConfig.defaultDataDir }
        return dataDir
    }
}
