#if canImport(Glibc)
import Glibc
#endif

/// A directory held open, whose files are read and replaced relative to it (`openat`, `renameat`), so
/// a path component swapped mid-way changes nothing. Replacing a file is atomic: a reader (or a
/// runtime exec'ing a plugin) sees the old or the new content, never half of one.
public final class Directory {
    public let path: String
    private let fd: Int32

    /// Opens `path`, creating it and its parents with `mode` when missing.
    public init(creating path: String, mode: mode_t = 0o755) throws {
        try Directory.makeParents(path, mode: mode)
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError("open directory", path) }
        self.path = path
        self.fd = fd
    }

    deinit { close(fd) }

    /// The content and permission bits of the regular file `name`, or nil when there is none (or a
    /// symlink, a directory, anything but a regular file, which a replace then overwrites).
    public func read(_ name: String) throws -> (bytes: [UInt8], mode: mode_t)? {
        let file = openat(fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        if file < 0 {
            if errno == ENOENT || errno == ELOOP { return nil }
            throw SystemError("open", join(name))
        }
        defer { close(file) }
        var info = stat()
        guard fstat(file, &info) == 0 else { throw SystemError("stat", join(name)) }
        guard info.st_mode & S_IFMT == S_IFREG else { return nil }
        return (try Directory.readAll(file, path: join(name)), info.st_mode & 0o7777)
    }

    /// Writes `bytes` beside `name` (a new file made with `O_EXCL`), fsyncs it, renames it over
    /// `name` and fsyncs the directory.
    public func replace(_ name: String, with bytes: [UInt8], mode: mode_t) throws {
        let temporary = ".\(name).swift-cni-node.\(getpid())"
        unlinkat(fd, temporary, 0)
        let file = openat(fd, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard file >= 0 else { throw SystemError("create", join(temporary)) }
        var written = false
        defer { if !written { unlinkat(fd, temporary, 0) } }
        do {
            defer { close(file) }
            try Directory.writeAll(file, bytes, path: join(temporary))
            guard fchmod(file, mode) == 0 else { throw SystemError("chmod", join(temporary)) }
            guard fsync(file) == 0 else { throw SystemError("fsync", join(temporary)) }
        }
        guard renameat(fd, temporary, fd, name) == 0 else { throw SystemError("rename into", join(name)) }
        written = true
        guard fsync(fd) == 0 else { throw SystemError("fsync", path) }
    }

    /// Replaces `name` only when its content or mode differ; true when it wrote.
    @discardableResult
    public func update(_ name: String, with bytes: [UInt8], mode: mode_t) throws -> Bool {
        if let current = try read(name), current.bytes == bytes, current.mode == mode { return false }
        try replace(name, with: bytes, mode: mode)
        return true
    }

    public func join(_ name: String) -> String { path.hasSuffix("/") ? path + name : path + "/" + name }

    /// The whole content of a file named by the caller (a flag), following links as any reader would.
    public static func readFile(_ path: String, limit: Int = 256 << 20) throws -> [UInt8] {
        let file = open(path, O_RDONLY | O_CLOEXEC)
        guard file >= 0 else { throw SystemError("open", path) }
        defer { close(file) }
        return try readAll(file, path: path, limit: limit)
    }

    private static func readAll(_ file: Int32, path: String, limit: Int = 256 << 20) throws -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(file, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; throw SystemError("read", path) }
            if n == 0 { return result }
            result.append(contentsOf: chunk[0..<n])
            guard result.count <= limit else { throw ConfigurationError("\(AgentLog.quoted(path)) is larger than \(limit) bytes") }
        }
    }

    private static func writeAll(_ file: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(file, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 { if errno == EINTR { continue }; throw SystemError("write", path) }
                offset += n
            }
        }
    }

    private static func makeParents(_ path: String, mode: mode_t) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, mode) != 0 && errno != EEXIST { throw SystemError("create directory", prefix) }
            prefix += "/"
        }
    }
}
