import CNIKit
internal import Glibc

/// The node admin's list of sysctls tuning may set: one regular expression per line, each matched
/// against the whole key as written in the config (anchored, unlike the reference's substring match,
/// so `net.core.somaxconn` does not also allow `net.core.somaxconn_evil`). No file: every net.* key.
struct SysctlAllowlist {
    static let systemPath = "/etc/cni/tuning/allowlist.conf"

    let path: String
    let patterns: [(source: String, regex: Regex<AnyRegexOutput>)]

    /// Nil when the file does not exist.
    static func load(path: String = systemPath) throws(CNIError) -> SysctlAllowlist? {
        guard access(path, F_OK) == 0 else { return nil }
        guard let text = readTextFile(path) else {
            throw CNIError(.ioFailure, "cannot read the sysctl allowlist \(path): \(String(cString: strerror(errno)))")
        }
        return try SysctlAllowlist(path: path, contents: text)
    }

    init(path: String, contents: String) throws(CNIError) {
        self.path = path
        var patterns: [(String, Regex<AnyRegexOutput>)] = []
        for (number, line) in contents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let source = line.trimmingWhitespace()
            guard !source.isEmpty, !source.hasPrefix("#") else { continue }
            do {
                patterns.append((source, try Regex(source)))
            } catch {
                throw CNIError(.invalidConfig, "sysctl allowlist \(path) line \(number + 1): \"\(source)\" is not a regular expression")
            }
        }
        self.patterns = patterns
    }

    func allows(_ key: String) -> Bool {
        patterns.contains { (try? $0.regex.wholeMatch(in: key)) != nil }
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
