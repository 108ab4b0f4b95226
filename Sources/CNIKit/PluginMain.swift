#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The CNI protocol around a plugin: environment checks, VERSION, config and version checks,
/// dispatch, result or error JSON on stdout and the exit code.
public enum PluginMain {
    /// Runs one invocation with the given environment and stdin, writing the result or error JSON
    /// to `stdout`. Returns the exit code: 0 on success, 1 after printing an error (as libcni's skel).
    public static func run<P: CNIPlugin>(
        _ plugin: P.Type, environment: [String: String], stdin: [UInt8], stdout: (String) -> Void
    ) -> Int32 {
        var errorVersion = newest(P.supportedVersions)
        do {
            if let output = try dispatch(plugin, environment, stdin, errorVersion: &errorVersion) {
                stdout(output)
            }
            return 0
        } catch {
            stdout(error.json(cniVersion: errorVersion).serialized(pretty: true))
            return 1
        }
    }

    /// The real entry: the process environment, fd 0 and fd 1; then exits with the code.
    /// A plugin's `main.swift` is `PluginMain.exit(Tuning.self)`.
    public static func exit<P: CNIPlugin>(_ plugin: P.Type) -> Never {
        let stdin = readAll(STDIN_FILENO) ?? []
        let code = run(plugin, environment: Environment.process(), stdin: stdin) { text in
            _ = writeAll(STDOUT_FILENO, Array((text + "\n").utf8))
        }
        Glibc.exit(code)
    }

    private static func dispatch<P: CNIPlugin>(
        _ plugin: P.Type, _ variables: [String: String], _ stdin: [UInt8], errorVersion: inout String
    ) throws(CNIError) -> String? {
        let command = try Environment.parseCommand(variables["CNI_COMMAND"])
        if command == .version { return versionJSON(plugin, stdin) }
        let environment = try Environment.parse(variables)
        // Parsed once: the common keys, the version checks and the plugin's own errors all read this.
        let json = try JSONValue.parse(stdin)
        let version = try JSONReader(json, path: "").string("cniVersion").flatMap { $0.isEmpty ? nil : $0 }
            ?? CNIVersion.implied
        if CNIVersion.all.contains(version) { errorVersion = version }
        try checkVersion(version, command: command, supported: P.supportedVersions)
        let call = try Call(environment: environment, stdin: stdin, json: json)
        do {
            return try perform(plugin, command, call)
        } catch {
            let cniError = CNIError(converting: error)
            call.log.error("\(command.rawValue) failed: \(cniError)")
            throw cniError
        }
    }

    private static func perform<P: CNIPlugin>(_ plugin: P.Type, _ command: Command, _ call: Call) throws -> String? {
        switch command {
        case .add: return try P.add(call).encoded(as: call.conf.cniVersion)
        case .del: try P.del(call)
        case .check: try P.check(call)
        case .status: try P.status(call)
        case .gc: try P.gc(call)
        case .version: return nil  // answered before the config is read
        }
        return nil
    }

    /// Code 1 unless the plugin supports `version` and the command exists in it.
    static func checkVersion(_ version: String, command: Command, supported: [String]) throws(CNIError) {
        guard supported.contains(version) else {
            throw CNIError(.incompatibleVersion,
                           "incompatible CNI version: the config has cniVersion \"\(version)\" and this plugin "
                               + "supports \(supported.joined(separator: ", "))")
        }
        guard CNIVersion.isAtLeast(version, command.minimumVersion) else {
            throw CNIError(.incompatibleVersion,
                           "config version does not allow \(command.rawValue): it needs cniVersion "
                               + "\(command.minimumVersion) or later and the config has \(version)")
        }
    }

    /// `{"cniVersion": <requested or newest>, "supportedVersions": [...]}`; stdin may be empty. Reads
    /// nothing but stdin's `cniVersion`: no environment check, no config.
    static func versionJSON<P: CNIPlugin>(_ plugin: P.Type, _ stdin: [UInt8]) -> String {
        let requested = (try? JSONValue.parse(stdin))?["cniVersion"]?.stringValue
        let version = requested.flatMap { CNIVersion.all.contains($0) ? $0 : nil } ?? newest(P.supportedVersions)
        return JSONValue.object([
            "cniVersion": .string(version),
            "supportedVersions": .array(P.supportedVersions.map(JSONValue.string)),
        ]).serialized(pretty: true)
    }

    private static func newest(_ versions: [String]) -> String {
        versions.filter { CNIVersion.parse($0) != nil }
            .max { !CNIVersion.isAtLeast($0, $1) } ?? CNIVersion.latest
    }
}
