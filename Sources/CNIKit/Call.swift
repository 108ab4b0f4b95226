#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Everything one command gets: the environment, the raw config and its common keys, a log.
public struct Call: Sendable {
    /// The parsed `CNI_*` variables.
    public let environment: Environment
    /// The config bytes as read from stdin.
    public let stdin: [UInt8]
    /// The common config keys.
    public let conf: NetConf
    public var log: Log

    public init(environment: Environment, stdin: [UInt8], conf: NetConf, log: Log) {
        self.environment = environment
        self.stdin = stdin
        self.conf = conf
        self.log = log
    }

    /// Decodes the config and sets up the log it asks for.
    public init(environment: Environment, stdin: [UInt8]) throws(CNIError) {
        try self.init(environment: environment, stdin: stdin, json: JSONValue.parse(stdin))
    }

    /// The same for a config already parsed: `json` is `stdin` as JSON.
    init(environment: Environment, stdin: [UInt8], json: JSONValue) throws(CNIError) {
        let conf = try NetConf(json: json)
        self.init(environment: environment, stdin: stdin, conf: conf, log: try Log(conf: conf))
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
