#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Everything one command gets: the environment, the raw config and its common keys, the node policy,
/// a log.
public struct Call: Sendable {
    /// The parsed `CNI_*` variables.
    public let environment: Environment
    /// The config bytes as read from stdin.
    public let stdin: [UInt8]
    /// The common config keys.
    public let conf: NetConf
    /// What the node admin allows this config to reach.
    public let policy: NodePolicy
    public var log: Log

    public init(environment: Environment, stdin: [UInt8], conf: NetConf, policy: NodePolicy = NodePolicy(), log: Log) {
        self.environment = environment
        self.stdin = stdin
        self.conf = conf
        self.policy = policy
        self.log = log
    }

    /// Reads the node policy, decodes the config, sets up the log it asks for and, for ADD and CHECK,
    /// admits the pod's namespace to the network (`NodePolicy.networks`).
    public init(environment: Environment, stdin: [UInt8]) throws(CNIError) {
        try self.init(environment: environment, stdin: stdin, json: JSONValue.parse(stdin))
    }

    /// The same for a config already parsed: `json` is `stdin` as JSON.
    init(environment: Environment, stdin: [UInt8], json: JSONValue) throws(CNIError) {
        let policy = try NodePolicy.load(environment: environment.variables)
        let conf = try NetConf(json: json)
        self.init(environment: environment, stdin: stdin, conf: conf, policy: policy, log: try Log(conf: conf, policy: policy))
        if environment.command == .add || environment.command == .check {
            try policy.admit(network: conf.name, podNamespace: environment.args["K8S_POD_NAMESPACE"])
        }
    }

    /// Decodes the plugin's own config struct from stdin. JSON syntax errors are code 6;
    /// wrong types and missing required keys are code 7 naming the key path
    /// (e.g. "args.cni.mtu must be an integer"). A `CNIError` thrown by the struct's own
    /// `init(from:)` passes through unchanged.
    public func decode<T: Decodable>(_ type: T.Type) throws(CNIError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(stdin))
        } catch let error as DecodingError {
            // Parsed again only on this path, to name the key (dispatch has checked the syntax already).
            throw cniError(decoding: error, in: try JSONValue.parse(stdin))
        } catch let error as CNIError {
            throw error
        } catch let error as any CNIErrorConvertible {
            throw error.cniError
        } catch {
            throw CNIError(.invalidConfig, String(describing: error))
        }
    }
}
