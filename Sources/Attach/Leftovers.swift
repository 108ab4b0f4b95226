import CNIKit
internal import Glibc

/// What GC would remove, removed by ADD: Multus sends GC only to a pod's cluster network, never to its
/// secondary ones, and podman sends none, so leftovers of pods that died without a DEL would pile up
/// (veths' spoof-check chains, masquerade rules, records, backups, IPAM allocations). Each ADD sweeps
/// its own network's records (under the network's lock where the plugin takes one): every record is read
/// once from one open directory, and only its `netns` and `netnsID` are looked at (the keys every record
/// and tuning backup keeps the pod's namespace under), with a `stat`; the others are decoded only when
/// their pod is gone.
public enum Leftovers {
    /// Whether the namespace a record (as JSON) says ADD saw is gone: nothing at its path, or another
    /// namespace there (device and inode differ, as GC tells them). Never gone for a record without a path
    /// and identity (an older version's: DEL and GC still find it), nor when the directory that held the
    /// path is missing — a call run where the runtime's namespace directory is not mounted must not take
    /// every pod for gone (so a `/proc/<pid>/ns/net` of a process that exited is left to DEL and GC too).
    public static func isGone(_ record: JSONValue) -> Bool {
        guard let path = record["netns"]?.stringValue, let identity = record["netnsID"]?.stringValue,
              PodNamespace.identity(path) != identity, let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return false }
        var info = stat()
        return stat(String(path[..<slash]), &info) == 0
    }

    /// Runs `undo` (what GC does for one stale attachment) on each record of a pod that is gone. A failure is
    /// logged and the record stays for the next ADD or GC: an ADD never fails over another pod's leftovers.
    public static func sweep<Record>(_ gone: [(file: String, record: Record)], log: Log, undo: (String, Record) throws -> Void) {
        for (file, record) in gone {
            do {
                try undo(file, record)
                log.info("removed the leftovers of \(file): its pod's namespace is gone, and no DEL came")
            } catch {
                log.warning("could not remove the leftovers of \(file), whose pod's namespace is gone: \(error); the next ADD or GC tries again")
            }
        }
    }
}
