import Attach
import CNIKit
import Netlink

/// GC: remove the backups of attachments the runtime no longer lists as valid. When the pod's namespace
/// is still there (the very one ADD saw) its interface and sysctls are restored first, as DEL would; a
/// restore the kernel refuses keeps the backup for the next GC. Only backups of `network` are looked
/// at (GC is called per network; all networks share `dataDir`); files written by the reference plugin
/// (without the attachment in them) are left alone. ADD's sweep does the same for the backups whose pod
/// namespace is gone (`Leftovers`).
struct TuningGC {
    let dataDir: PolicyDirectory
    let network: String
    let valid: [NetConf.Attachment]

    func run() throws {
        let store = StateStore(directory: dataDir)
        let keep = Set(valid.map { Backup.fileName(containerID: $0.containerID, ifname: $0.ifname) })
        for (file, backup) in try Self.backups(of: network, in: store) where !keep.contains(file) {
            try Self.undo(backup, file: file, in: store)
        }
    }

    /// The backups of `network`'s attachments that `include` accepts (it sees the backup as JSON, before it
    /// is decoded), with their file names.
    static func backups(of network: String, in store: StateStore,
                        where include: (JSONValue) -> Bool = { _ in true }) throws(CNIError) -> [(file: String, record: Backup)] {
        var found: [(file: String, record: Backup)] = []
        for (name, bytes) in try store.readFiles() where name.hasSuffix(".json") {
            guard let json = try? JSONValue.parse(bytes), json["network"]?.stringValue == network, json["containerID"]?.stringValue != nil,
                  include(json), let backup = try? Backup.decode(bytes, file: name) else { continue }
            found.append((name, backup))
        }
        return found
    }

    static func undo(_ backup: Backup, file: String, in store: StateStore) throws {
        if let path = backup.netns, let ifname = backup.ifname,
           let netns = PodNamespace.openIfSame(path: path, identity: backup.netnsID) {
            try Restore.apply(backup, in: netns, ifname: ifname)
        }
        try store.remove(name: file)
    }
}
