#if canImport(Glibc)
import Glibc
#endif

/// Diagnostics of one invocation: to stderr, or appended to `logFile` when the config names one.
/// Never to stdout, which carries only the result or error JSON.
public struct Log: Sendable {
    /// How much to say, least first.
    public enum Level: Int, Comparable, CaseIterable, Sendable {
        case error, warning, info, debug

        /// Parses `error`, `warning` (or `warn`), `info`, `debug`, in any case.
        public init?(name: String) {
            switch name.lowercased() {
            case "error": self = .error
            case "warning", "warn": self = .warning
            case "info": self = .info
            case "debug": self = .debug
            default: return nil
            }
        }

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }

        var label: String { ["ERROR", "WARNING", "INFO", "DEBUG"][rawValue] }
    }

    /// Messages above this level are dropped.
    public var level: Level
    /// The file to append to; nil for stderr.
    public var file: String?
    /// Names the writer in every line, e.g. the plugin type.
    public var tag: String

    public init(level: Level = .info, file: String? = nil, tag: String = "cni") {
        self.level = level
        self.file = file
        self.tag = tag
    }

    /// The log a config asks for (`logFile`, `logLevel`); a bad level is code 7.
    public init(conf: NetConf) throws(CNIError) {
        var level = Level.info
        if let name = conf.logLevel {
            guard let parsed = Level(name: name) else {
                throw CNIError(.invalidConfig, "logLevel \"\(name)\" must be one of error, warning, info, debug")
            }
            level = parsed
        }
        self.init(level: level, file: conf.logFile.flatMap { $0.isEmpty ? nil : $0 }, tag: conf.type)
    }

    public func error(_ message: @autoclosure () -> String) { write(.error, message) }
    public func warning(_ message: @autoclosure () -> String) { write(.warning, message) }
    public func info(_ message: @autoclosure () -> String) { write(.info, message) }
    public func debug(_ message: @autoclosure () -> String) { write(.debug, message) }

    private func write(_ messageLevel: Level, _ message: () -> String) {
        guard messageLevel <= level else { return }
        let line = "\(Self.timestamp()) \(tag)[\(getpid())] \(messageLevel.label): \(message())\n"
        var fd = STDERR_FILENO
        if let file {
            let opened = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
            if opened >= 0 { fd = opened }
        }
        defer { if fd != STDERR_FILENO { close(fd) } }
        _ = writeAll(fd, Array(line.utf8))
    }

    /// UTC time as `2006-01-02T15:04:05Z`.
    private static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
