#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock(2)` on a file, held until the value goes away.
/// Serialises invocations that change a shared object (a bridge, a state directory).
public struct FileLock: ~Copyable {
    private let fd: Int32

    /// Creates the file (0600, parents 0700) if needed and blocks until the lock is ours.
    /// Refuses to follow a symlink at `path` or at its directory, and anything but a regular file.
    public init(path: String) throws(CNIError) {
        var directory = "."
        var name = path
        if let slash = path.lastIndex(of: "/") {
            directory = slash == path.startIndex ? "/" : String(path[..<slash])
            name = String(path[path.index(after: slash)...])
            try makeDirectories(directory, mode: 0o700)
        }
        let dirfd = open(directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard dirfd >= 0 else {
            throw CNIError(.ioFailure, "cannot open the directory of lock file \(path) (a symlink is refused): "
                + errnoText(errno))
        }
        let fd = openat(dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o600)
        let openError = errno
        close(dirfd)
        guard fd >= 0 else {
            throw CNIError(.ioFailure, "cannot open lock file \(path) (a symlink is refused): \(errnoText(openError))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw CNIError(.ioFailure, "lock file \(path) is not a regular file: remove it by hand")
        }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else {
                let code = errno
                close(fd)
                throw CNIError(.ioFailure, "cannot lock \(path): \(errnoText(code))")
            }
        }
        self.fd = fd
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }

    /// Runs `body` holding the lock at `path`, released when `body` returns or throws.
    public static func holding<R>(_ path: String, _ body: () throws -> R) throws -> R {
        let lock = try FileLock(path: path)
        let result = try body()
        _ = consume lock  // released here, after body, not at the lock's last use
        return result
    }
}
