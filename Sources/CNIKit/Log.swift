#if canImport(Glibc)
import Glibc
#endif

/// Diagnostics of one invocation: to stderr, or appended to `logFile` when the config names one and the
/// node policy has a `logDirectory` to hold it. Never to stdout, which carries only the result or error
/// JSON. Every message is escaped (`Escape.text`): a value from input cannot start a line of its own.
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
    /// The file to append to; nil for stderr. Opened without following a symlink at its name.
    public var file: String?
    /// Names the writer in every line, e.g. the plugin type.
    public var tag: String

    public init(level: Level = .info, file: String? = nil, tag: String = "cni") {
        self.level = level
        self.file = file
        self.tag = tag
    }

    /// The log a config asks for (`logLevel`, and `logFile`: a file name in the policy's `logDirectory`).
    /// A bad level, or a `logFile` that is a path rather than a name, is code 7. Without a log directory the
    /// name is ignored (stderr), with a warning there.
    public init(conf: NetConf, policy: NodePolicy) throws(CNIError) {
        var level = Level.info
        if let name = conf.logLevel {
            guard let parsed = Level(name: name) else {
                throw CNIError(.invalidConfig, "logLevel \"\(name)\" must be one of error, warning, info, debug")
            }
            level = parsed
        }
        var file: String?
        if let name = conf.logFile, !name.isEmpty {
            guard PolicyDirectory.isComponent(name), !name.hasPrefix(".") else {
                throw CNIError(.invalidConfig, "logFile \"\(name)\" must be a file name (no '/', not starting with '.'): "
                    + "logs go into the directory the node policy sets (logDirectory)")
            }
            file = policy.logDirectory.map { "\($0)/\(name)" }
        }
        self.init(level: level, file: file, tag: conf.type)
        if conf.logFile?.isEmpty == false, file == nil {
            warning("logFile \"\(conf.logFile ?? "")\" ignored: the node policy sets no logDirectory, so logs go to stderr")
        }
    }

    public func error(_ message: @autoclosure () -> String) { write(.error, message) }
    public func warning(_ message: @autoclosure () -> String) { write(.warning, message) }
    public func info(_ message: @autoclosure () -> String) { write(.info, message) }
    public func debug(_ message: @autoclosure () -> String) { write(.debug, message) }

    private func write(_ messageLevel: Level, _ message: () -> String) {
        guard messageLevel <= level else { return }
        let line = Escape.text("\(Self.timestamp()) \(tag)[\(getpid())] \(messageLevel.label): \(message())") + "\n"
        var fd = STDERR_FILENO
        if let file {
            // O_NONBLOCK: a FIFO at the name fails instead of hanging; anything but a regular file is skipped.
            let opened = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0o600)
            var info = stat()
            if opened >= 0, fstat(opened, &info) == 0, info.st_mode & S_IFMT == S_IFREG {
                fd = opened
            } else if opened >= 0 {
                close(opened)
            }
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
