import CNIKit
import Netlink
internal import Glibc

/// The pod's network namespace named by CNI_NETNS.
public enum PodNamespace {
    /// For ADD and CHECK: it must exist and be a network namespace, or the runtime gave us a bad
    /// environment (code 4, naming CNI_NETNS).
    public static func open(_ environment: Environment) throws(CNIError) -> NetNS {
        guard let path = environment.netns, !path.isEmpty else {
            throw CNIError(.invalidEnvironment, "CNI_NETNS is not set: \(environment.command.rawValue) needs the pod's network namespace path")
        }
        do {
            return try NetNS(path: path)
        } catch {
            throw CNIError(.invalidEnvironment, "CNI_NETNS=\(path): \(error.reason); the runtime must pass the path of the pod's network namespace")
        }
    }

    /// For DEL: nil when CNI_NETNS is empty or the namespace is already gone (removed, or a leftover
    /// mount point that no longer holds a namespace) — there is nothing left in it to clean.
    public static func openIfPresent(_ environment: Environment) -> NetNS? {
        guard let path = environment.netns, !path.isEmpty else { return nil }
        return try? NetNS(path: path)
    }
}

extension PodNamespace {
    /// "device:inode" of the namespace file at `path`; nil when there is none. Saved at ADD so GC can
    /// tell the pod's namespace from another one mounted at the same path later.
    public static func identity(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return "\(info.st_dev):\(info.st_ino)"
    }

    /// For GC: the namespace at `path` if it is still the one whose identity ADD saved; nil otherwise.
    public static func openIfSame(path: String, identity: String?) -> NetNS? {
        guard let identity, PodNamespace.identity(path) == identity else { return nil }
        return try? NetNS(path: path)
    }
}
