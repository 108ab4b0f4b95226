internal import Glibc

/// A network sysctl, validated once: it names a file under /proc/sys/net/ and cannot leave it.
public struct SysctlKey: Hashable, Sendable, CustomStringConvertible {
    /// Relative to /proc/sys, e.g. `net/ipv4/conf/net1/arp_filter`.
    public let path: String
    /// The key as the admin wrote it, for messages.
    public let original: String

    /// Why a key was refused.
    public struct Invalid: Error, Equatable, Sendable { public let key: String; public let reason: String }

    /// Accepts the dotted form (`net.ipv4.conf.IFNAME.arp_filter`) or the slashed form
    /// (`net/ipv4/conf/eth0.100/arp_filter`, for names that hold dots). As in the reference tuning plugin,
    /// the dotted form turns every `.` into `/` and then the first `IFNAME` into `ifname`.
    public init(_ key: String, ifname: String) throws(Invalid) {
        let path = (key.contains("/") ? key : key.replacingOccurrences(".", with: "/"))
            .replacingFirst("IFNAME", with: ifname)
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.first == "net", parts.count >= 2 else {
            throw Invalid(key: key, reason: "only network sysctls (net.*, under /proc/sys/net/) can be set in a pod's namespace")
        }
        guard !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
            throw Invalid(key: key, reason: "empty, '.' or '..' path components are not allowed")
        }
        guard !path.contains(where: { $0 == "\0" || $0.isNewline }) else {
            throw Invalid(key: key, reason: "control characters are not allowed")
        }
        self.path = path
        self.original = key
    }

    public var description: String { "/proc/sys/" + path }
}

/// Reads and writes network sysctls in the calling thread's network namespace
/// (run it inside `NetNS.run`: /proc/sys/net shows the namespace of the thread that opens it).
public enum Sysctl {
    /// The current value, without the trailing newline.
    public static func read(_ key: SysctlKey) throws(NetlinkError) -> String {
        let fd = open(key.description, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw .posix("read sysctl", key.description) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw .posix("read sysctl", key.description) }
            if n == 0 { break }
            bytes += chunk[..<n]
        }
        var text = String(decoding: bytes, as: UTF8.self)
        while text.last?.isNewline == true { text.removeLast() }
        return text
    }

    /// Writes `value`; the kernel validates it (EINVAL names a bad value).
    public static func write(_ key: SysctlKey, _ value: String) throws(NetlinkError) {
        let fd = open(key.description, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw .posix("write sysctl", key.description) }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard n == bytes.count else { throw .posix("write sysctl \(value) to", key.description) }
    }
}

extension String {
    fileprivate func replacingOccurrences(_ target: Character, with replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }

    fileprivate func replacingFirst(_ target: String, with replacement: String) -> String {
        var index = startIndex
        while index < endIndex {
            if self[index...].hasPrefix(target) {
                return String(self[..<index]) + replacement + String(self[self.index(index, offsetBy: target.count)...])
            }
            index = self.index(after: index)
        }
        return self
    }
}
