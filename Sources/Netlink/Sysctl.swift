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
    /// Everything is done on bytes, as Go's strings package and the kernel's path walk do: a `/` or `.`
    /// followed by a combining mark is one Swift Character, yet the kernel still splits on that `/`.
    public init(_ key: String, ifname: String) throws(Invalid) {
        var bytes = Array(key.utf8)
        if !bytes.contains(UInt8(ascii: "/")) {
            bytes = bytes.map { $0 == UInt8(ascii: ".") ? UInt8(ascii: "/") : $0 }
        }
        bytes = bytes.replacingFirst(Array("IFNAME".utf8), with: Array(ifname.utf8))
        let parts = bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard let first = parts.first, first.elementsEqual("net".utf8), parts.count >= 2 else {
            throw Invalid(key: key, reason: "only network sysctls (net.*, under /proc/sys/net/) can be set in a pod's namespace")
        }
        guard !parts.contains(where: { $0.isEmpty || $0.elementsEqual(".".utf8) || $0.elementsEqual("..".utf8) }) else {
            throw Invalid(key: key, reason: "empty, '.' or '..' path components are not allowed")
        }
        let path = String(decoding: bytes, as: UTF8.self)
        guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x7f }), !path.contains(where: \.isNewline) else {
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

extension Array where Element == UInt8 {
    fileprivate func replacingFirst(_ target: [UInt8], with replacement: [UInt8]) -> [UInt8] {
        guard !target.isEmpty, count >= target.count else { return self }
        for start in 0...(count - target.count) where self[start..<(start + target.count)].elementsEqual(target) {
            return Array(self[..<start]) + replacement + Array(self[(start + target.count)...])
        }
        return self
    }
}
