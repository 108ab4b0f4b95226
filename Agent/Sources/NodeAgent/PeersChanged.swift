/// Called by `run` after every change of the nodes set, once `DIR/nodes` holds the new set, and once
/// after the first list (with the file's content from before as `old`), so whatever follows the
/// peers catches up after the agent restarts. Calls never overlap.
public protocol PeersChanged: Sendable {
    func peersChanged(from old: [String], to new: [String]) async
}

/// Logs the peer sets before and after, one line.
public struct LogPeersChanged: PeersChanged {
    public init() {}

    public func peersChanged(from old: [String], to new: [String]) async { log(from: old, to: new) }

    func log(from old: [String], to new: [String]) {
        let added = new.filter { !old.contains($0) }, removed = old.filter { !new.contains($0) }
        AgentLog.info("peers changed: [\(old.map(AgentLog.escaped).joined(separator: ", "))] -> [\(new.map(AgentLog.escaped).joined(separator: ", "))] (+\(added.count) -\(removed.count))")
    }
}
