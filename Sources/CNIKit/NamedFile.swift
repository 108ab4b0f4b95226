#if canImport(Glibc)
import Glibc
#endif

/// A file a config names by a bare name inside a directory the node admin chose (layer2-overlay's
/// `peersFile` in the policy's `peersDirectory`). The name is one path component; the file is opened
/// without following a symlink and without blocking (a FIFO), must be a regular file, and is read up to
/// `limit` bytes. Errors name the key and the file, never its content.
public struct NamedFile: Sendable {
    public let key: String
    public let name: String
    public let directory: String
    public var path: String { "\(directory)/\(name)" }

    /// Checks the name (code 7 naming `key`); nothing is opened yet.
    public init(key: String, name: String, directory: String) throws(CNIError) {
        guard PolicyDirectory.isComponent(name), !name.hasPrefix(".") else {
            throw CNIError(.invalidConfig, "\(key): \"\(name)\" must be a file name (no '/', not starting with '.'): "
                + "it is looked up in \(directory), the directory the node policy sets")
        }
        self.key = key
        self.name = name
        self.directory = directory
    }

    /// The bytes of the file; code 7 when it is missing, not a regular file or larger than `limit`.
    public func read(limit: Int) throws(CNIError) -> [UInt8] {
        let dir = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dir >= 0 else { throw unreadable(errno) }
        defer { close(dir) }
        let fd = openat(dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { throw errno == ELOOP ? refused("is a symlink") : unreadable(errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw unreadable(errno) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw refused("is not a regular file") }
        guard info.st_size <= limit else { throw refused("is larger than \(limit) bytes") }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while bytes.count <= limit {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw unreadable(errno) }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
        }
        throw refused("is larger than \(limit) bytes")
    }

    private func unreadable(_ code: Int32) -> CNIError {
        CNIError(.invalidConfig, "\(key): cannot read \(path): \(errnoText(code)); create it or remove the key")
    }

    private func refused(_ why: String) -> CNIError {
        CNIError(.invalidConfig, "\(key): \(path) \(why): refusing to read it; it must be a regular file the node admin (or the node agent) writes")
    }
}
