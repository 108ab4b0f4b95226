import Foundation

/// Where the binaries under test are, and the checks that make a missing one a loud failure.
enum Environment {
    /// The package root, found from this file: Tests/BlackBoxTests/Support/Preconditions.swift.
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static let env = ProcessInfo.processInfo.environment

    /// Our release binaries: `SWIFT_CNI_BIN`, default `.build/release`.
    static var swiftBinDir: String {
        env["SWIFT_CNI_BIN"].map(absolute) ?? packageRoot.appendingPathComponent(".build/release").path
    }

    /// The libcni runner: `CNI_RUNNER`, default `.build/cnirunner`.
    static var runner: String {
        env["CNI_RUNNER"].map(absolute) ?? packageRoot.appendingPathComponent(".build/cnirunner").path
    }

    static let referenceDir = "/usr/lib/cni"

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : packageRoot.appendingPathComponent(path).path
    }

    static func requireRoot() throws {
        guard getuid() == 0 else {
            throw HarnessError("BlackBoxTests need root (they create network namespaces): run them as root, e.g. `sudo make test`")
        }
    }

    static func requireExecutable(_ path: String, what: String) throws {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw HarnessError("\(what) not found at \(path): run `make test` (it builds the plugins and `make runner`)")
        }
    }

    /// python3 drives the traffic checks (the machine has no ping).
    static var python3: String {
        for dir in ["/usr/bin", "/usr/local/bin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/python3") {
            return "\(dir)/python3"
        }
        return "python3"
    }
}
