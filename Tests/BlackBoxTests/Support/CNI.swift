import Foundation

/// What a runner or plugin call returned: the result JSON, or the CNI error JSON on failure.
struct CNIOutput: CustomStringConvertible {
    let output: CommandOutput

    var succeeded: Bool { output.succeeded }
    var json: [String: Any]? { JSON.object(output.stdout) }
    /// The CNI error code, when the call failed with a plugin error JSON on stdout.
    var errorCode: Int? { succeeded ? nil : json?["code"] as? Int }
    var errorMessage: String? { json?["msg"] as? String }
    var description: String { output.description }

    /// The result's interface named `name` that has a sandbox (the pod side).
    func sandboxInterface(_ name: String) -> [String: Any]? {
        (json?["interfaces"] as? [[String: Any]])?.first { $0["name"] as? String == name && $0["sandbox"] != nil }
    }
}

/// Pod identity as Multus passes it: CNI_ARGS with the K8S_* keys and the infra container id.
struct PodIdentity {
    let namespace: String
    let name: String
    let containerID: String
    let uid: String

    static func random(name: String = "virt-launcher-vmi") -> PodIdentity {
        let hex = (0..<2).map { _ in UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "") }.joined()
        return PodIdentity(namespace: "default", name: name, containerID: String(hex.prefix(64)),
                           uid: UUID().uuidString.lowercased())
    }

    /// `extra` (e.g. `MAC=...`) is appended, as a user would add it to the NAD's args.
    func cniArgs(extra: [String] = []) -> String {
        (["IgnoreUnknown=true", "K8S_POD_NAMESPACE=\(namespace)", "K8S_POD_NAME=\(name)",
          "K8S_POD_INFRA_CONTAINER_ID=\(containerID)", "K8S_POD_UID=\(uid)"] + extra).joined(separator: ";")
    }
}

/// Interface names as the runtimes choose them.
enum IfName {
    static let multus = "net1"
    /// KubeVirt's hashed pod interface name: `pod` + 11 hex digits.
    static func kubevirt() -> String {
        "pod" + String(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(11))
    }
}

/// Drives the libcni runner (`cnirunner`) inside the sandbox's node netns.
struct CNI {
    let sandbox: Sandbox
    let implementation: Implementation
    /// CNI_PATH handed to the runner: the implementation's, unless a test supplies its own plugins.
    let cniPath: String

    init(_ sandbox: Sandbox, _ implementation: Implementation, cniPath: String? = nil) throws {
        self.sandbox = sandbox
        self.implementation = implementation
        self.cniPath = cniPath ?? implementation.cniPath
        try Environment.requireExecutable(Environment.runner, what: "the libcni runner")
    }

    func add(network: String, netns: String, ifname: String = IfName.multus, pod: PodIdentity? = nil,
             cniArgs: String? = nil, capArgs: [String: Any]? = nil) throws -> CNIOutput {
        try run("add", network: network, netns: netns, ifname: ifname, pod: pod, cniArgs: cniArgs, capArgs: capArgs)
    }

    func check(network: String, netns: String, ifname: String = IfName.multus, pod: PodIdentity? = nil,
               cniArgs: String? = nil, capArgs: [String: Any]? = nil) throws -> CNIOutput {
        try run("check", network: network, netns: netns, ifname: ifname, pod: pod, cniArgs: cniArgs, capArgs: capArgs)
    }

    func del(network: String, netns: String, ifname: String = IfName.multus, pod: PodIdentity? = nil,
             cniArgs: String? = nil, capArgs: [String: Any]? = nil) throws -> CNIOutput {
        try run("del", network: network, netns: netns, ifname: ifname, pod: pod, cniArgs: cniArgs, capArgs: capArgs)
    }

    func status(network: String) throws -> CNIOutput {
        CNIOutput(output: try Shell.run(nodeExec([Environment.runner, "status", network]), environment: baseEnv))
    }

    /// `attachments` are (containerID, ifname) pairs still valid.
    func gc(network: String, attachments: [(String, String)] = []) throws -> CNIOutput {
        let args = attachments.map { "\($0.0)/\($0.1)" }
        return CNIOutput(output: try Shell.run(nodeExec([Environment.runner, "gc", network] + args), environment: baseEnv))
    }

    func version(network: String) throws -> CommandOutput {
        try Shell.run(nodeExec([Environment.runner, "version", network]), environment: baseEnv)
    }

    /// Runs one plugin binary directly (no libcni) in the node netns, with the given CNI env and stdin.
    func execPlugin(_ type: String, environment: [String: String], stdin: String) throws -> CNIOutput {
        let plugin = try implementation.plugin(type)
        var env = environment
        env["CNI_PATH"] = env["CNI_PATH"] ?? cniPath
        env["SWIFT_CNI_POLICY"] = env["SWIFT_CNI_POLICY"] ?? sandbox.policyFile.path
        return CNIOutput(output: try Shell.run(nodeExec([plugin]), environment: env, stdin: stdin))
    }

    var baseEnv: [String: String] {
        ["NETCONFPATH": sandbox.confDir.path, "CNI_PATH": cniPath, "CNI_CACHE_DIR": sandbox.cacheDir.path,
         "SWIFT_CNI_POLICY": sandbox.policyFile.path]
    }

    func nodeExec(_ command: [String]) -> [String] { ["ip", "netns", "exec", sandbox.node] + command }

    private func run(_ command: String, network: String, netns: String, ifname: String, pod: PodIdentity?,
                     cniArgs: String?, capArgs: [String: Any]?) throws -> CNIOutput {
        let (argv, env) = try invocation(command, network: network, netns: netns, ifname: ifname, pod: pod,
                                         cniArgs: cniArgs, capArgs: capArgs)
        return CNIOutput(output: try Shell.run(argv, environment: env))
    }

    /// The runner's argv and environment for one add/check/del (see `parallel` in Parallel.swift).
    func invocation(_ command: String, network: String, netns: String, ifname: String, pod: PodIdentity?,
                    cniArgs: String?, capArgs: [String: Any]?) throws -> (argv: [String], env: [String: String]) {
        if implementation == .ours {
            for type in try Fixtures.pluginTypes(network: network, in: sandbox) where Implementation.oursTypes.contains(type) {
                _ = try implementation.plugin(type)  // ours must exist: fail loudly, never fall back silently
            }
        }
        var env = baseEnv
        env["CNI_IFNAME"] = ifname
        if let args = cniArgs ?? pod?.cniArgs() { env["CNI_ARGS"] = args }
        if let pod { env["CNI_CONTAINERID"] = pod.containerID }
        if let capArgs { env["CAP_ARGS"] = try JSON.string(capArgs) }
        let argv = nodeExec([Environment.runner, command, network, Sandbox.path(ofNamespace: netns)])
        return (argv, env)
    }
}
