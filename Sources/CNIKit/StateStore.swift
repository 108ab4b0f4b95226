#if canImport(Glibc)
import Glibc
#endif

/// Small state files in one directory (mode 0700), written atomically (temp file, fsync, rename)
/// with mode 0600. Never follows a symlink. Names are single path components.
public struct StateStore: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// Replaces `name` with `bytes` atomically; creates the directory if needed.
    public func write(name: String, bytes: [UInt8]) throws(CNIError) {
        let path = try self.path(name)
        try makeDirectories(directory, mode: 0o700)
        try refuseSymlinkedDirectory()
        let temporary = "\(directory)/.\(name).\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw failure("create", temporary) }
        let writeError = writeAll(fd, bytes)
        let syncFailed = writeError == 0 && fsync(fd) != 0
        let syncError = errno
        close(fd)
        if writeError != 0 || syncFailed {
            unlink(temporary)
            throw CNIError(.ioFailure, "cannot write \(temporary): \(errnoText(writeError != 0 ? writeError : syncError))")
        }
        guard rename(temporary, path) == 0 else {
            let error = failure("rename \(temporary) to", path)
            unlink(temporary)
            throw error
        }
    }

    /// The contents of `name`; nil when it does not exist.
    public func read(name: String) throws(CNIError) -> [UInt8]? {
        let path = try self.path(name)
        try refuseSymlinkedDirectory()
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw failure("open", path)
        }
        defer { close(fd) }
        guard let bytes = readAll(fd) else { throw failure("read", path) }
        return bytes
    }

    /// Deletes `name`; a missing file is fine.
    public func remove(name: String) throws(CNIError) {
        let path = try self.path(name)
        guard unlink(path) == 0 || errno == ENOENT else { throw failure("remove", path) }
    }

    /// The names stored, sorted; empty when the directory does not exist. Temp files are left out.
    public func names() throws(CNIError) -> [String] {
        guard let dir = opendir(directory) else {
            if errno == ENOENT { return [] }
            throw failure("list", directory)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if !name.hasPrefix("."), entry.pointee.d_type == DT_REG { names.append(name) }
        }
        return names.sorted()
    }

    /// The path of a valid name: not empty, no `/`, not starting with `.`.
    private func path(_ name: String) throws(CNIError) -> String {
        guard !name.isEmpty, !name.contains("/"), !name.hasPrefix("."), !name.utf8.contains(0) else {
            throw CNIError(.ioFailure, "invalid state file name \"\(name)\": use one path component not starting with '.'")
        }
        return "\(directory)/\(name)"
    }

    /// The directory itself must not be a symlink (O_NOFOLLOW guards only the last component).
    private func refuseSymlinkedDirectory() throws(CNIError) {
        var info = stat()
        if lstat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
            throw CNIError(.ioFailure, "state directory \(directory) is a symlink: refusing to follow it")
        }
    }

    private func failure(_ action: String, _ path: String) -> CNIError {
        CNIError(.ioFailure, "cannot \(action) \(path): \(errnoText(errno))")
    }
}
