#if canImport(Glibc)
import Glibc
#endif

/// Small state files in one directory, written atomically (temp file, rename) with mode 0600; a
/// directory it creates gets mode 0700.
///
/// Not fsynced: a process killed at any point leaves the old file or the new one (the page cache
/// outlives the process), and what a state file describes (links, rules, addresses, sysctls in a pod's
/// namespace) does not outlive a power loss either, so making the newest file durable would buy
/// nothing, at the cost of a journal commit per write (0.3 to 3 ms each on our test machines' disk; a
/// bridge ADD with IPAM writes its record twice).
///
/// Never follows a symlink below the node policy's state root (`PolicyDirectory`): each component is
/// opened with `O_NOFOLLOW` from its parent's descriptor and every file is reached relative to the last,
/// so swapping a path component for a symlink mid-way changes nothing.
/// A symlink (or any non-regular file) at a state file's name, a symlinked directory, and a directory
/// that another user owns or that group or others can write are refused with an I/O error (code 5),
/// leaving whatever they point to untouched. Names are single path components.
public struct StateStore: Sendable {
    public let location: PolicyDirectory
    public var directory: String { location.path }

    /// The store in `location`, a directory the node policy allowed.
    public init(directory location: PolicyDirectory) {
        self.location = location
    }

    /// Replaces `name` with `bytes` atomically; creates the directory (and missing parents) if needed.
    public func write(name: String, bytes: [UInt8]) throws(CNIError) {
        try validate(name)
        guard let dir = try openDirectory(creating: true) else { throw failure("open", directory) }
        try refuseSpecialFile(dir, name)
        let temporary = ".\(name).\(getpid()).tmp"
        unlinkat(dir.fd, temporary, 0)  // left by a killed run that had our pid
        let fd = openat(dir.fd, temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw failure("create", "\(directory)/\(temporary)") }
        let error = fchmod(fd, 0o600) == 0 ? writeAll(fd, bytes) : errno
        close(fd)
        if error != 0 {
            unlinkat(dir.fd, temporary, 0)
            throw CNIError(.ioFailure, "cannot write \(directory)/\(temporary): \(errnoText(error))")
        }
        guard renameat(dir.fd, temporary, dir.fd, name) == 0 else {
            let error = failure("rename \(directory)/\(temporary) to", "\(directory)/\(name)")
            unlinkat(dir.fd, temporary, 0)
            throw error
        }
    }

    /// The contents of `name`; nil when it or the directory does not exist.
    public func read(name: String) throws(CNIError) -> [UInt8]? {
        try validate(name)
        guard let dir = try openDirectory() else { return nil }
        return try read(name, in: dir)
    }

    /// Every stored file with its contents, the directory opened once (ADD's sweep reads a network's
    /// records); empty when the directory does not exist. Temp files are left out.
    public func readFiles() throws(CNIError) -> [(name: String, bytes: [UInt8])] {
        guard let dir = try openDirectory() else { return [] }
        var files: [(name: String, bytes: [UInt8])] = []
        for name in try names(in: dir) {
            if let bytes = try read(name, in: dir) { files.append((name, bytes)) }
        }
        return files
    }

    private func read(_ name: String, in dir: borrowing OpenDirectory) throws(CNIError) -> [UInt8]? {
        // O_NONBLOCK: a FIFO planted at the name must not hang the plugin; regular files ignore it.
        let fd = openat(dir.fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            if errno == ELOOP { throw symlinkRefused("\(directory)/\(name)") }
            throw failure("open", "\(directory)/\(name)")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure("stat", "\(directory)/\(name)") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw notRegular("\(directory)/\(name)") }
        guard let bytes = readAll(fd, expected: Int(info.st_size)) else { throw failure("read", "\(directory)/\(name)") }
        return bytes
    }

    /// Deletes `name`; a missing file or directory is fine. A symlink at the name is removed itself.
    public func remove(name: String) throws(CNIError) {
        try validate(name)
        guard let dir = try openDirectory() else { return }
        guard unlinkat(dir.fd, name, 0) == 0 || errno == ENOENT else { throw failure("remove", "\(directory)/\(name)") }
    }

    /// The names of the regular files stored, sorted; empty when the directory does not exist.
    /// Temp files are left out.
    public func names() throws(CNIError) -> [String] {
        guard let dir = try openDirectory() else { return [] }
        return try names(in: dir)
    }

    private func names(in dir: borrowing OpenDirectory) throws(CNIError) -> [String] {
        let listing = dup(dir.fd)
        guard listing >= 0, let stream = fdopendir(listing) else {
            if listing >= 0 { close(listing) }
            throw failure("list", directory)
        }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if !name.hasPrefix("."), entry.pointee.d_type == DT_REG { names.append(name) }
        }
        return names.sorted()
    }

    /// A valid name: not empty, no `/` or NUL, not starting with `.`.
    private func validate(_ name: String) throws(CNIError) {
        guard !name.isEmpty, !name.contains("/"), !name.hasPrefix("."), !name.utf8.contains(0) else {
            throw CNIError(.ioFailure, "invalid state file name \"\(name)\": use one path component not starting with '.'")
        }
    }

    /// The directory: the policy's root as the admin wrote it, then each component below it without
    /// following a symlink. Nil when it does not exist; `creating` makes what is missing (0700).
    private func openDirectory(creating: Bool = false) throws(CNIError) -> OpenDirectory? {
        var fd = Glibc.open(location.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0, errno == ENOENT, creating {
            try makeDirectories(location.root, mode: 0o700)
            fd = Glibc.open(location.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        }
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw CNIError(.ioFailure, "cannot open state directory \(location.root): \(errnoText(errno))")
        }
        var current = OpenDirectory(fd: fd)
        var shown = location.root == "/" ? "" : location.root
        for component in location.below {
            shown += "/\(component)"
            if creating, mkdirat(current.fd, component, 0o700) != 0, errno != EEXIST {
                throw failure("create directory", shown)
            }
            guard let next = try open(component, at: current.fd, shown: shown) else { return nil }
            current = next
        }
        if location.below.isEmpty { try checkOwner(current, shown: shown) }
        return current
    }

    private func open(_ path: String, at parent: Int32, shown: String) throws(CNIError) -> OpenDirectory? {
        let fd = openat(parent, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            var info = stat()
            if fstatat(parent, path, &info, AT_SYMLINK_NOFOLLOW) == 0, info.st_mode & S_IFMT == S_IFLNK { throw symlinkRefused(shown) }
            if code == ENOENT { return nil }
            throw CNIError(.ioFailure, "cannot open state directory \(shown): \(errnoText(code))")
        }
        let dir = OpenDirectory(fd: fd)
        try checkOwner(dir, shown: shown)
        return dir
    }

    /// Refuses a directory that another user owns or that group or others can write.
    private func checkOwner(_ dir: borrowing OpenDirectory, shown: String) throws(CNIError) {
        var info = stat()
        guard fstat(dir.fd, &info) == 0 else { throw failure("stat", shown) }
        guard info.st_uid == geteuid(), info.st_mode & 0o022 == 0 else {
            throw CNIError(.ioFailure, "state directory \(shown) is owned by uid \(info.st_uid) with mode "
                + "\(String(info.st_mode & 0o7777, radix: 8)): refusing to keep state where another user can "
                + "write; use a directory only this plugin's user can write (the default is created 0700)")
        }
    }

    /// Fails unless `name` is absent or a regular file (a symlink there is refused, not replaced).
    private func refuseSpecialFile(_ dir: borrowing OpenDirectory, _ name: String) throws(CNIError) {
        var info = stat()
        guard fstatat(dir.fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            guard errno == ENOENT else { throw failure("stat", "\(directory)/\(name)") }
            return
        }
        if info.st_mode & S_IFMT == S_IFLNK { throw symlinkRefused("\(directory)/\(name)") }
        if info.st_mode & S_IFMT != S_IFREG { throw notRegular("\(directory)/\(name)") }
    }

    private func symlinkRefused(_ path: String) -> CNIError {
        CNIError(.ioFailure, "\(path) is a symlink: refusing to follow it for plugin state; remove it by hand")
    }

    private func notRegular(_ path: String) -> CNIError {
        CNIError(.ioFailure, "\(path) is not a regular file: refusing to use it for plugin state; remove it by hand")
    }

    private func failure(_ action: String, _ path: String) -> CNIError {
        CNIError(.ioFailure, "cannot \(action) \(path): \(errnoText(errno))")
    }
}

/// A directory descriptor, closed when the value goes away.
private struct OpenDirectory: ~Copyable {
    let fd: Int32
    deinit { close(fd) }
}
