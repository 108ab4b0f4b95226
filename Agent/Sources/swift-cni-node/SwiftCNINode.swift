import ArgumentParser
import Dispatch
import Foundation
import NodeAgent

@main
struct SwiftCNINode: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swift-cni-node",
        abstract: "The node agent of swift-cni's DaemonSet: installs the plugins, keeps the overlay's peers from the Node list.",
        subcommands: [Install.self, Run.self])
}

/// Runs `body`, turning the agent's own errors into one escaped line on stderr and exit code 1.
func reporting(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as any AgentError {
        AgentLog.info("error: \(error)")
        throw ExitCode.failure
    }
}

struct Install: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put the four plugins (and the node policy) into place atomically; what is already there unchanged stays untouched.")

    @Option(help: "The node's CNI bin directory (the host's /opt/cni/bin, mounted).")
    var cniBinDir: String

    @Option(help: "Where the plugins are (default: the directory of this executable).")
    var from: String?

    @Option(help: "A node policy file (JSON) to install as policy.json in --policy-dir.")
    var policy: String?

    @Option(help: "The node policy's directory (the host's /etc/cni/swift-cni, mounted).")
    var policyDir: String?

    func validate() throws {
        guard (policy == nil) == (policyDir == nil) else { throw ValidationError("--policy and --policy-dir go together") }
    }

    func run() async throws {
        try await reporting {
            try Installer(source: try from ?? Installer.ownDirectory(), binDirectory: cniBinDir).installPlugins()
            if let policy, let policyDir { try Installer.installPolicy(from: policy, into: policyDir) }
        }
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Keep PEERS-DIR/nodes equal to the cluster's Node list (list + watch) and reconcile every layer2-overlay network's tunnels when it changes; exits only on SIGTERM or SIGINT.")

    @Option(help: "A kubeconfig (default: the pod's service account).")
    var kubeconfig: String?

    @Option(help: "Where the pod's service account is mounted.")
    var serviceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"

    @Option(help: "The directory of the peers file `nodes` (the node policy's peersDirectory).")
    var peersDir: String

    @Option(help: "Only the nodes this label selector matches (e.g. 'swift-cni/overlay=true').")
    var labelSelector: String?

    @Option(help: "This node's name (default: $NODE_NAME); a warning is logged when the selection leaves it out.")
    var nodeName: String?

    func run() async throws {
        try await reporting {
            let environment = ProcessInfo.processInfo.environment
            let endpoint = try kubeconfig.map { try Kubeconfig.endpoint(path: $0) }
                ?? APIEndpoint.inCluster(serviceAccount: serviceAccountDir, environment: environment)
            let watcher = try NodeWatcher(
                endpoint: endpoint, peersDirectory: peersDir, labelSelector: labelSelector,
                nodeName: nodeName ?? environment["NODE_NAME"].flatMap { $0.isEmpty ? nil : $0 },
                hook: OverlayReconcile(environment: environment))
            let task = Task { await watcher.run() }
            let signals = [SIGTERM, SIGINT].map { number in
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .main)
                source.setEventHandler {
                    AgentLog.info("\(number == SIGTERM ? "SIGTERM" : "SIGINT"): stopping")
                    task.cancel()
                }
                source.resume()
                return source
            }
            await task.value
            signals.forEach { $0.cancel() }
            AgentLog.info("stopped")
        }
    }
}
