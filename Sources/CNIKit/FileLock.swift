#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock(2)` on a file, held until the value goes away.
/// Serialises invocations that change a shared object (a bridge, a state directory).
public struct FileLock: ~Copyable {
    private let fd: Int32

    /// Creates the file (0600, parents 0700) if needed and blocks until the lock is ours.
    /// Refuses to follow a symlink at `path`.
    public init(path: String) throws(CNIError) {
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try makeDirectories(String(path[..<slash]), mode: 0o700)
        }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw CNIError(.ioFailure, "cannot open lock file \(path): \(errnoText(errno))")
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
