#if canImport(Glibc)
import Glibc
#endif

/// Writes every byte, retrying short writes and EINTR; returns errno on failure, 0 on success.
func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32 {
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if written < 0 {
            if errno == EINTR { continue }
            return errno
        }
        offset += written
    }
    return 0
}

/// Reads until end of file, retrying EINTR; nil with errno set on failure. `expected` (a regular file's
/// size) sizes the buffer: a read that returns less than asked for met the end of the file, so a file
/// that did not grow takes one read(2).
func readAll(_ fd: Int32, expected: Int? = nil) -> [UInt8]? {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: expected.map { $0 + 1 } ?? 65536)
    while true {
        let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            return nil
        }
        if count == 0 { return bytes }
        bytes += chunk[..<count]
        if expected != nil, count < chunk.count { return bytes }
    }
}

/// The whole text of a (small, admin-written) file; nil with errno set when it cannot be read.
public func readTextFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    return readAll(fd).map { String(decoding: $0, as: UTF8.self) }
}

/// The text of an errno value, e.g. "No such file or directory".
func errnoText(_ code: Int32) -> String {
    String(cString: strerror(code))
}

/// Creates `path` and its missing parents with `mode`; an existing directory is fine.
func makeDirectories(_ path: String, mode: mode_t) throws(CNIError) {
    var prefix = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/") {
        prefix += "/\(component)"
        if mkdir(prefix, mode) != 0, errno != EEXIST {
            throw CNIError(.ioFailure, "cannot create directory \(prefix): \(errnoText(errno))")
        }
    }
}
