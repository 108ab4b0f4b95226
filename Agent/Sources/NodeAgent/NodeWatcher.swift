import Foundation

/// `swift-cni-node run`: keeps `DIR/nodes` equal to the cluster's Node list with the API's list +
/// watch protocol, and calls `PeersChanged` after each change. Never returns but when cancelled:
/// every API or transport error is logged and retried with backoff.
///
/// - list (paged) → the full set and a resourceVersion;
/// - watch from that resourceVersion with bookmarks: ADDED / MODIFIED / DELETED change the set,
///   BOOKMARK only moves the resourceVersion; when the server ends the watch (its timeout) or the
///   connection drops, watch again from the last resourceVersion seen;
/// - 410 Gone, as the HTTP status or as an ERROR event with code 410: list again.
public final class NodeWatcher {
    private let api: NodeAPI
    private let peersFile: PeersFile
    private let hook: any PeersChanged
    private let nodeName: String?
    private var nodes = NodeSet()
    private var written: [String]
    private var listedOnce = false
    private var backoff = Backoff()
    /// Where the next watch starts: the list's resourceVersion, then that of the last event or
    /// bookmark. nil: list first.
    private var resourceVersion: String?

    public init(endpoint: APIEndpoint, peersDirectory: String, labelSelector: String?, nodeName: String?,
                hook: any PeersChanged) throws {
        api = try NodeAPI(endpoint: endpoint, labelSelector: labelSelector)
        peersFile = try PeersFile(directory: peersDirectory)
        written = try peersFile.current()
        self.hook = hook
        self.nodeName = nodeName
        AgentLog.info("watching nodes at \(AgentLog.quoted(endpoint.server))\(labelSelector.map { " with labelSelector \(AgentLog.quoted($0))" } ?? ""); peers file \(AgentLog.quoted(peersFile.path))")
    }

    /// Runs until the task is cancelled.
    public func run() async {
        while !Task.isCancelled {
            do {
                if let resourceVersion {
                    try await watch(from: resourceVersion)
                } else {
                    resourceVersion = try await list()
                    backoff.reset()
                }
            } catch is CancellationError {
                break
            } catch APIError.gone(let message) {
                AgentLog.info("resourceVersion \(AgentLog.quoted(resourceVersion ?? "")) expired (410 Gone: \(AgentLog.escaped(message))); listing again")
                resourceVersion = nil
            } catch {
                if Task.isCancelled { break }
                let delay = backoff.next()
                AgentLog.info("\(resourceVersion == nil ? "list" : "watch") failed: \(Self.describe(error)); "
                         + String(format: "retrying in %.1f s", delay))
                guard (try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))) != nil else { break }
            }
        }
        await api.shutdown()
    }

    /// Lists every page; the new set replaces the old one. Returns the list's resourceVersion.
    private func list() async throws -> String {
        var listed = NodeSet(), token: String?, resourceVersion: String?, count = 0
        repeat {
            let page = try await api.list(continue: token)
            for node in page.items { _ = listed.update(node) }
            count += page.items.count
            resourceVersion = page.metadata.resourceVersion
            token = page.metadata.continue.flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
        guard let resourceVersion, !resourceVersion.isEmpty else { throw APIError.undecodable("the Node list has no resourceVersion") }
        let lines = NodeSet.changes(from: nodes, to: listed)
        let skipped = count - listed.addresses.count
        AgentLog.info("listed \(count) nodes at resourceVersion \(AgentLog.quoted(resourceVersion))"
                 + (skipped > 0 ? " (\(skipped) without a usable InternalIP: not peers)" : ""))
        lines.forEach(AgentLog.info)
        nodes = listed
        try await publish(force: !listedOnce)
        listedOnce = true
        return resourceVersion
    }

    /// Follows one watch until the server ends it or the connection drops, moving `resourceVersion`
    /// with every event. Throws `APIError.gone` when it is too old.
    private func watch(from start: String) async throws {
        var framer = LineFramer(), events = 0
        let started = Date()
        let body = try await api.watch(from: start, timeoutSeconds: Int.random(in: NodeAPI.longestWatch / 2...NodeAPI.longestWatch))
        do {
            for try await chunk in body {
                for line in try framer.append(chunk.readableBytesView) {
                    guard let event = try? JSONDecoder().decode(WatchEvent.self, from: Data(line)) else {
                        throw APIError.undecodable("a watch event that is not one")
                    }
                    events += 1
                    if let version = try await apply(event) { resourceVersion = version }
                }
            }
        } catch let error as APIError {
            throw error
        } catch {
            if Task.isCancelled { throw CancellationError() }
            AgentLog.info("watch from resourceVersion \(AgentLog.quoted(start)) broke after \(events) events: \(Self.describe(error)); watching again")
            try await pause(unless: events > 0)
            return
        }
        // The server ended the watch (timeoutSeconds, or a restart). Watch again right away when it
        // had been useful; wait first when it ended at once, so a broken server is not hammered.
        if events == 0 && Date().timeIntervalSince(started) < 5 {
            AgentLog.info("watch from resourceVersion \(AgentLog.quoted(start)) ended at once; watching again")
            try await pause(unless: false)
        } else {
            backoff.reset()
        }
    }

    private func pause(unless useful: Bool) async throws {
        if useful { backoff.reset(); return }
        try await Task.sleep(nanoseconds: UInt64(backoff.next() * 1e9))
    }

    /// Applies one event; returns the resourceVersion it carries.
    private func apply(_ event: WatchEvent) async throws -> String? {
        switch event {
        case .added(let node), .modified(let node):
            if let line = nodes.update(node) { AgentLog.info(line); try await publish(force: false) }
            return node.metadata.resourceVersion
        case .deleted(let node):
            if let line = nodes.remove(node) { AgentLog.info(line); try await publish(force: false) }
            return node.metadata.resourceVersion
        case .bookmark(let version):
            return version
        case .error(let status):
            let message = status.message ?? status.reason ?? ""
            if status.code == 410 { throw APIError.gone(message) }
            throw APIError.status(UInt(max(0, status.code ?? 0)), message)
        case .unknown(let type):
            AgentLog.info("ignored a watch event of type \(AgentLog.quoted(type))")
            return nil
        }
    }

    /// Writes the peers file when the set of addresses changed and tells the hook.
    private func publish(force: Bool) async throws {
        let peers = nodes.peers
        guard force || peers != written else { return }
        let old = written
        if try peersFile.write(peers) {
            AgentLog.info("wrote \(AgentLog.quoted(peersFile.path)): \(peers.count) peers")
        }
        written = peers
        if let nodeName, nodes.addresses[nodeName] == nil {
            AgentLog.info("this node \(AgentLog.quoted(nodeName)) is not in the selected Node list: the other nodes will not tunnel to it")
        }
        await hook.peersChanged(from: old, to: peers)
    }

    private static func describe(_ error: Error) -> String {
        (error as? any AgentError)?.description ?? AgentLog.escaped(String(describing: error))
    }
}
