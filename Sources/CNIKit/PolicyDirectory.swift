/// A directory for plugin state that the node policy allowed: an admin's state root and the components
/// below it. Only `NodePolicy.stateDirectory` (and `appending`) make one, so code that keeps state
/// cannot be handed a path nobody checked. `StateStore` opens the root as the admin wrote it and every
/// component below it without following a symlink.
public struct PolicyDirectory: Equatable, Sendable, CustomStringConvertible {
    /// The allowed directory, as written in the policy (admin-owned: opened as is, created when missing).
    let root: String
    /// Single path components below `root`: each opened with `O_NOFOLLOW`, made 0700 when missing.
    let below: [String]

    init(root: String, below: [String]) {
        self.root = root
        self.below = below
    }

    /// swift-cni's own runtime directory on the node, `/run/cni/swift-cni/<components>`: for state that no
    /// config names (the overlay's segment records; the locks live beside them).
    public static func runtime(_ components: String...) throws(CNIError) -> PolicyDirectory {
        var directory = PolicyDirectory(root: runtimeRoot, below: [])
        for component in components { directory = try directory.appending(component) }
        return directory
    }

    public static let runtimeRoot = "/run/cni/swift-cni"

    public var path: String { ([root == "/" ? "" : root] + below).joined(separator: "/") }
    public var description: String { path }

    /// One more component, e.g. a network name (names are checked against libcni's pattern, so they are
    /// always a single component); anything else is code 7.
    public func appending(_ component: String) throws(CNIError) -> PolicyDirectory {
        guard PolicyDirectory.isComponent(component) else {
            throw CNIError(.invalidConfig, "\"\(component)\" cannot be a directory name under \(path)")
        }
        return PolicyDirectory(root: root, below: below + [component])
    }

    /// The components of an absolute path; nil for a relative path or one with `.`, `..` or empty
    /// components (`//`), or a NUL. A trailing `/` is allowed.
    static func components(of path: String) -> [String]? {
        guard path.hasPrefix("/") else { return nil }
        var parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        if parts.last == "" { parts.removeLast() }
        guard parts.allSatisfy(isComponent) else { return nil }
        return parts
    }

    static func isComponent(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.utf8.contains(0)
    }
}
