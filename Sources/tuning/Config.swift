import CNIKit

/// The tuning config as admins write it today: the reference plugin's keys, names and types.
struct TuningConfig: Decodable {
    /// The settings at the top level of the config.
    var settings: Settings
    var dataDir: String?
    var runtimeConfig: RuntimeConfig?
    var args: Args?

    /// What tuning can set; the same keys at the top level and in `args.cni` (which wins).
    struct Settings: Decodable {
        var mac: String?
        var mtu: Int?
        var promisc: Bool?
        var allmulti: Bool?
        var txQLen: Int?
        var sysctl: [String: String]?
    }

    struct RuntimeConfig: Decodable {
        var mac: String?
    }

    struct Args: Decodable {
        var cni: Settings?
    }

    private enum CodingKeys: String, CodingKey { case dataDir, runtimeConfig, args }

    init(from decoder: any Decoder) throws {
        settings = try Settings(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        dataDir = try container.decodeIfPresent(String.self, forKey: .dataDir)
        runtimeConfig = try container.decodeIfPresent(RuntimeConfig.self, forKey: .runtimeConfig)
        args = try container.decodeIfPresent(Args.self, forKey: .args)
    }

    static let defaultDataDir = "/run/cni/tuning"

    /// Where backups live: `dataDir`, or the reference's default when unset or empty; either inside the
    /// node policy's state directories.
    func backupDirectory(policy: NodePolicy) throws(CNIError) -> PolicyDirectory {
        try policy.stateDirectory(dataDir, key: "dataDir", default: TuningConfig.defaultDataDir)
    }
}
