import Foundation
import Testing

/// Which plugins a test drives: the reference Go plugins alone, or ours first in CNI_PATH.
///
/// `BLACKBOX_IMPLS` (comma separated: `reference`, `ours`) selects the ones to run; default both.
/// With `ours` selected, a missing binary of ours fails the test (run `make test`).
enum Implementation: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case reference
    case ours

    /// The plugin types swift-cni provides (DESIGN.md); the others always come from the reference.
    static let oursTypes: Set<String> = ["tuning", "bridge", "macvtap", "layer2-overlay"]

    static var enabled: [Implementation] {
        guard let list = Environment.env["BLACKBOX_IMPLS"], !list.isEmpty else { return allCases }
        return list.split(separator: ",").map { name in
            let name = name.trimmingCharacters(in: .whitespaces)
            guard let impl = Implementation(rawValue: name) else {
                // Never run zero cases silently because of a typo.
                fatalError("BLACKBOX_IMPLS: unknown implementation \"\(name)\" (use reference, ours)")
            }
            return impl
        }
    }

    /// CNI_PATH for this implementation: ours first, then the reference (for ptp, host-local, ...).
    var cniPath: String {
        switch self {
        case .reference: Environment.referenceDir
        case .ours: "\(Environment.swiftBinDir):\(Environment.referenceDir)"
        }
    }

    /// The executable of plugin `type` under test; fails loudly when ours is missing.
    func plugin(_ type: String) throws -> String {
        switch self {
        case .reference:
            let path = "\(Environment.referenceDir)/\(type)"
            try Environment.requireExecutable(path, what: "reference plugin `\(type)` (Debian containernetworking-plugins)")
            return path
        case .ours:
            let path = "\(Environment.swiftBinDir)/\(type)"
            try Environment.requireExecutable(path, what: "our plugin `\(type)`")
            return path
        }
    }
}

extension Implementation {
    var testDescription: String { rawValue }
}
