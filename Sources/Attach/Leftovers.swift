import CNIKit
internal import Glibc

/// A record of one attachment that names the pod namespace ADD saw, so a later call can tell whether that
/// pod still exists.
public protocol PodAttachmentRecord {
    /// CNI_NETNS at ADD; nil in records written before it was kept.
    var podNetns: String? { get }
    /// `PodNamespace.identity` of it at ADD (device:inode).
    var podNetnsID: String? { get }
}

/// What GC would remove, removed by ADD: Multus sends GC only to a pod's cluster network, never to its
/// secondary ones, and podman sends none, so leftovers of pods that died without a DEL would pile up
/// (veths' spoof-check chains, masquerade rules, records, backups, IPAM allocations). Each ADD sweeps
/// its own network's records (under the network's lock where the plugin takes one), a `stat` each.
public enum Leftovers {
    /// Whether the namespace ADD saw is gone: nothing at its path, or another namespace there (device and
    /// inode differ, as GC tells them). Never gone for a record without a path and identity (an older
    /// version's: DEL and GC still find it), nor when the directory that held the path is missing — a
    /// call run where the runtime's namespace directory is not mounted must not take every pod for gone
    /// (so a `/proc/<pid>/ns/net` of a process that exited is left to DEL and GC too).
    public static func isGone(_ record: some PodAttachmentRecord) -> Bool {
        guard let path = record.podNetns, !path.isEmpty, let identity = record.podNetnsID,
              let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return false }
        var info = stat()
        guard stat(String(path[..<slash]), &info) == 0 else { return false }
        return PodNamespace.identity(path) != identity
    }

    /// Runs `undo` (what GC does for one stale attachment) on every record whose pod namespace is gone.
    /// A failure is logged and the record stays for the next ADD or GC: an ADD never fails over another
    /// pod's leftovers.
    public static func sweep<Record: PodAttachmentRecord>(_ records: [(file: String, record: Record)], log: Log,
                                                          undo: (String, Record) throws -> Void) {
        for (file, record) in records where isGone(record) {
            do {
                try undo(file, record)
                log.info("removed the leftovers of \(file): its pod namespace \(record.podNetns ?? "") is gone (no DEL came)")
            } catch {
                log.warning("could not remove the leftovers of \(file), whose pod namespace \(record.podNetns ?? "") is gone: \(error); the next ADD or GC tries again")
            }
        }
    }
}
