import CNIKit
import Netlink

/// GC: remove the backups of attachments the runtime no longer lists as valid. When the pod's namespace
/// is still there (the very one ADD saw) its interface and sysctls are restored first, as DEL would; a
/// restore the kernel refuses keeps the backup for the next GC. Files written by the reference plugin
/// (without the attachment in them) are left alone.
struct TuningGC {
    let dataDir: String
    let valid: [NetConf.Attachment]

    func run() throws {
        let store = StateStore(directory: dataDir)
        let keep = Set(valid.map { Backup.fileName(containerID: $0.containerID, ifname: $0.ifname) })
        for name in try store.names() where name.hasSuffix(".json") && !keep.contains(name) {
            guard let bytes = try store.read(name: name),
                  let backup = try? Backup.decode(bytes, file: name), backup.containerID != nil else { continue }
            if let path = backup.netns, let ifname = backup.ifname, let id = backup.netnsID,
               Backup.namespaceID(path) == id, let netns = try? NetNS(path: path) {
                try Restore.apply(backup, in: netns, ifname: ifname)
            }
            try store.remove(name: name)
        }
    }
}
