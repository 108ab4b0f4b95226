#if canImport(Glibc)
import Glibc
#endif

/// IPAM delegation: runs `CNI_PATH/<ipam.type>` (the first directory that has it) with the same
/// environment, `CNI_COMMAND` set to the verb, and the same stdin. The delegate's error keeps its
/// code and message, prefixed with the delegate's name.
public enum IPAM {
    /// Allocates: the delegate's result, decoded in its own `cniVersion`, marked with the config's.
    public static func add(_ call: Call) throws(CNIError) -> Result {
        let (name, output) = try execute(.add, call)
        do throws(CNIError) {
            let json = try JSONValue.parse(output)
            let version = try JSONReader(json, path: "").string("cniVersion") ?? call.conf.cniVersion
            var result = try Result.decode(json, version: version)
            result.cniVersion = call.conf.cniVersion
            return result
        } catch {
            throw CNIError(error.code, "IPAM plugin \(name) returned an unusable result: \(error.msg)",
                           details: error.details)
        }
    }

    /// Releases what ADD allocated.
    public static func del(_ call: Call) throws(CNIError) {
        _ = try execute(.del, call)
    }

    /// Asks the delegate to verify its allocation.
    public static func check(_ call: Call) throws(CNIError) {
        _ = try execute(.check, call)
    }

    /// STATUS: is the delegate installed and, when it speaks 1.1.0, does it report itself ready?
    /// A delegate older than 1.1.0 (no STATUS verb) that is installed counts as ready.
    /// Not ready is code 50 (plugin not available), or the delegate's own 50/51.
    public static func status(_ call: Call) throws(CNIError) {
        guard let type = call.conf.ipam?.type else { return }
        try validatePluginName(type)
        guard let executable = find(type, in: call.environment.path) else {
            throw CNIError(.pluginNotAvailable, "IPAM plugin \(type) not found in CNI_PATH (\(call.environment.path.joined(separator: ":")))")
        }
        var variables = call.environment.variables
        variables["CNI_COMMAND"] = Command.version.rawValue
        let version = try Exec.run(executable, environment: variables, stdin: Array(#"{"cniVersion":"1.1.0"}"#.utf8))
        let supported = (try? JSONValue.parse(version.stdout))?["supportedVersions"]?.arrayValue?.compactMap(\.stringValue) ?? []
        guard supported.contains("1.1.0") else { return }
        variables["CNI_COMMAND"] = Command.status.rawValue
        let outcome = try Exec.run(executable, environment: variables, stdin: call.stdin)
        guard outcome.status == 0 else {
            let error = delegateError(type, outcome)
            let code: CNIError.Code = [.pluginNotAvailable, .limitedConnectivity].contains(error.code) ? error.code : .pluginNotAvailable
            throw CNIError(code, error.msg, details: error.details)
        }
    }

    /// GC (and ADD's sweep of gone pods): releases the lease of one stale attachment with an IPAM DEL for
    /// it (no CNI_NETNS: the pod may be gone; no CNI_ARGS: those of the call name another pod). GC configs
    /// are 1.1.0, which IPAM plugins before it refuse: DEL has no result, so the config goes in the newest
    /// version the delegate speaks.
    public static func release(_ call: Call, containerID: String, ifname: String) throws(CNIError) {
        var environment = call.environment
        environment.command = .del
        environment.containerID = containerID
        environment.ifname = ifname
        environment.netns = nil
        environment.args = CNIArgs()
        environment.variables["CNI_CONTAINERID"] = containerID
        environment.variables["CNI_IFNAME"] = ifname
        environment.variables.removeValue(forKey: "CNI_NETNS")
        environment.variables.removeValue(forKey: "CNI_ARGS")
        let stdin = try delegateStdin(call)
        try del(Call(environment: environment, stdin: stdin, conf: call.conf, log: call.log))
    }

    /// The config with `cniVersion` lowered to the delegate's newest when it does not speak the config's.
    private static func delegateStdin(_ call: Call) throws(CNIError) -> [UInt8] {
        guard let type = call.conf.ipam?.type, let executable = find(type, in: call.environment.path) else { return call.stdin }
        var variables = call.environment.variables
        variables["CNI_COMMAND"] = Command.version.rawValue
        let version = try Exec.run(executable, environment: variables, stdin: Array(#"{"cniVersion":"0.1.0"}"#.utf8))
        let supported = (try? JSONValue.parse(version.stdout))?["supportedVersions"]?.arrayValue?.compactMap(\.stringValue) ?? []
        guard !supported.contains(call.conf.cniVersion),
              let newest = supported.filter({ CNIVersion.isAtLeast(call.conf.cniVersion, $0) })
                  .max(by: { !CNIVersion.isAtLeast($0, $1) }),
              case .object(var members) = try JSONValue.parse(call.stdin) else { return call.stdin }
        members["cniVersion"] = .string(newest)
        return Array(JSONValue.object(members).serialized().utf8)
    }

    /// Releases after a failed ADD: runs DEL and logs, never throws, so the ADD's own error is reported.
    public static func undoAdd(_ call: Call) {
        do {
            try del(call)
        } catch {
            call.log.warning("IPAM DEL after a failed ADD failed too: \(error)")
        }
    }

    /// Code 7 unless `type` is a plain file name: not empty, not `.` or `..`, no `/` or NUL byte
    /// (checked on bytes: `"/\u{301}"` is one Character, not "/", yet the kernel splits on it).
    static func validatePluginName(_ type: String) throws(CNIError) {
        let bytes = Array(type.utf8)
        guard !bytes.isEmpty, bytes != [0x2E], bytes != [0x2E, 0x2E], !bytes.contains(UInt8(ascii: "/")), !bytes.contains(0) else {
            throw CNIError(.invalidConfig, "ipam.type \"\(type)\" must be a plugin name, not a path")
        }
    }

    /// The executable for `type`: the first `dir/type` in `path` that is an executable file;
    /// nil for a `type` that is not a plain file name (see `validatePluginName`).
    public static func find(_ type: String, in path: [String]) -> String? {
        guard (try? validatePluginName(type)) != nil else { return nil }
        for directory in path {
            let candidate = "\(directory)/\(type)"
            var info = stat()
            if stat(candidate, &info) == 0, info.st_mode & S_IFMT == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }

    private static func execute(_ command: Command, _ call: Call) throws(CNIError) -> (name: String, output: [UInt8]) {
        guard let type = call.conf.ipam?.type else {
            throw CNIError(.invalidConfig, "ipam.type is required: name the IPAM plugin to run (e.g. host-local)")
        }
        try validatePluginName(type)
        guard let executable = find(type, in: call.environment.path) else {
            throw CNIError(.invalidConfig,
                           "IPAM plugin \(type) not found in CNI_PATH (\(call.environment.path.joined(separator: ":"))): "
                               + "install it there or fix ipam.type")
        }
        var variables = call.environment.variables
        variables["CNI_COMMAND"] = command.rawValue
        let outcome = try Exec.run(executable, environment: variables, stdin: call.stdin)
        guard outcome.status == 0 else { throw delegateError(type, outcome) }
        return (type, outcome.stdout)
    }

    /// The delegate's error JSON with its code kept, or an I/O failure when it printed none.
    private static func delegateError(_ name: String, _ outcome: Exec.Outcome) -> CNIError {
        if let json = try? JSONValue.parse(outcome.stdout), let code = json["code"]?.intValue {
            return CNIError(CNIError.Code(rawValue: code),
                            "IPAM plugin \(name): \(json["msg"]?.stringValue ?? "failed")",
                            details: json["details"]?.stringValue ?? "")
        }
        let text = String(decoding: outcome.stdout, as: UTF8.self)
        return CNIError(.ioFailure, "IPAM plugin \(name) failed with exit status \(outcome.status)",
                        details: text)
    }
}
