import CNIKit

/// GC: remove the backups of attachments the runtime no longer lists as valid. Their pods are gone,
/// so there is nothing to restore; files written by the reference plugin (without the attachment in
/// them) are left alone.
struct TuningGC {
    let dataDir: String
    let valid: [NetConf.Attachment]

    func run() throws {
        let store = StateStore(directory: dataDir)
        let keep = Set(valid.map { Backup.fileName(containerID: $0.containerID, ifname: $0.ifname) })
        for name in try store.names() where name.hasSuffix(".json") && !keep.contains(name) {
            guard let bytes = try store.read(name: name),
                  let backup = try? Backup.decode(bytes, file: name), backup.containerID != nil else { continue }
            try store.remove(name: name)
        }
    }
}
