import CNIKit
import FoundationEssentials

/// What a plugin keeps per attachment so DEL and GC can undo ADD without the pod's namespace or the
/// config of the day: one JSON file per attachment (0600, in a 0700 directory, never through a symlink).
public struct RecordStore<Record: Codable>: Sendable {
    public let directory: String
    private let store: StateStore

    /// The records of one network: `<dataDir>/<network>`. GC is called per network with that network's
    /// valid attachments, so each network's records must stand apart from the others'.
    /// `dataDir` is the config's key as written (unset or empty means `defaultBase`), checked against
    /// the node policy's state directories: outside them is code 7 naming the key.
    public init(dataDir: String?, default defaultBase: String, network: String, policy: NodePolicy) throws(CNIError) {
        let base = try policy.stateDirectory(dataDir, key: "dataDir", default: defaultBase)
        store = StateStore(directory: try base.appending(network))
        directory = store.directory
    }

    public func fileName(containerID: String, ifname: String) -> String { "\(containerID)-\(ifname).json" }

    /// The record of one attachment; nil when there is none. An unreadable file is an error naming it.
    public func load(containerID: String, ifname: String) throws(CNIError) -> Record? {
        let name = fileName(containerID: containerID, ifname: ifname)
        return try store.read(name: name).map { bytes throws(CNIError) in try decode(bytes, file: name) }
    }

    /// Writes the record; with a rollback, a failed ADD removes it again.
    public func save(_ record: Record, containerID: String, ifname: String, rollback: Rollback? = nil) throws(CNIError) {
        let name = fileName(containerID: containerID, ifname: ifname)
        let bytes: [UInt8]
        do { bytes = Array(try JSONEncoder().encode(record)) } catch {
            throw CNIError(.ioFailure, "cannot encode the record of \(containerID)/\(ifname): \(error)")
        }
        try store.write(name: name, bytes: bytes)
        let store = self.store, directory = self.directory
        rollback?.push("remove record \(directory)/\(name)") { try store.remove(name: name) }
    }

    /// Removes the record; a missing one is fine.
    public func remove(containerID: String, ifname: String) throws(CNIError) {
        try store.remove(name: fileName(containerID: containerID, ifname: ifname))
    }

    /// For GC: every readable record whose attachment is not in `valid`, with its file name.
    /// Files that do not decode as a record are left alone.
    public func stale(keeping valid: [NetConf.Attachment]) throws(CNIError) -> [(file: String, record: Record)] {
        let keep = Set(valid.map { fileName(containerID: $0.containerID, ifname: $0.ifname) })
        var stale: [(file: String, record: Record)] = []
        for name in try store.names() where name.hasSuffix(".json") && !keep.contains(name) {
            guard let bytes = try store.read(name: name), let record = try? decode(bytes, file: name) else { continue }
            stale.append((name, record))
        }
        return stale
    }

    /// For ADD's sweep: the records of pods whose namespace is gone (`Leftovers.isGone`), with their file
    /// names. The others are parsed only as far as their namespace; files that do not decode are left alone.
    public func ofGonePods() throws(CNIError) -> [(file: String, record: Record)] {
        var gone: [(file: String, record: Record)] = []
        for (name, bytes) in try store.readFiles() where name.hasSuffix(".json") {
            guard let json = try? JSONValue.parse(bytes), Leftovers.isGone(json), let record = try? decode(bytes, file: name) else { continue }
            gone.append((name, record))
        }
        return gone
    }

    /// Removes a file `stale` or `ofGonePods` returned.
    public func remove(file: String) throws(CNIError) { try store.remove(name: file) }

    private func decode(_ bytes: [UInt8], file: String) throws(CNIError) -> Record {
        do { return try JSONDecoder().decode(Record.self, from: Data(bytes)) } catch {
            throw CNIError(.decodeFailure, "the record \(directory)/\(file) is not valid JSON; remove it by hand if its pod is gone: \(error)")
        }
    }
}
