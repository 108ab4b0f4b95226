import CNIKit
import OverlayCore

/// After the peers file changed: every layer2-overlay network of this node reconciled at once
/// (`SegmentReconciler`: the peers, the underlay and the tunnel set, as ADD does, under the same
/// per-network lock), with the node policy the plugins read. One line per network says what it did.
public struct OverlayReconcile: PeersChanged {
    let environment: [String: String]

    /// `environment` decides where the node policy is read from, as for the plugins (`SWIFT_CNI_POLICY`).
    public init(environment: [String: String]) { self.environment = environment }

    public func peersChanged(from old: [String], to new: [String]) async {
        LogPeersChanged().log(from: old, to: new)
        for line in reconcile() { AgentLog.info(line) }
    }

    /// The report lines of one reconcile of every segment.
    func reconcile() -> [String] {
        let reports: [SegmentReport]
        do {
            reports = try SegmentReconciler.reconcileAll(policy: try NodePolicy.load(environment: environment))
        } catch {
            return ["overlay reconcile failed: \(AgentLog.escaped(error.description))"]
        }
        if reports.isEmpty { return ["overlay: no layer2-overlay network on this node"] }
        return reports.map { report in
            var line = "overlay network \(AgentLog.quoted(report.network)) bridge \(report.bridge): "
            if let error = report.error { return line + "reconcile failed: \(AgentLog.escaped(error))" }
            line += "\(report.peers) peers, \(report.tunnels) tunnels"
            if !report.unreachable.isEmpty { line += ", no route to \(report.unreachable.map(\.description).joined(separator: " "))" }
            return line
        }
    }
}
