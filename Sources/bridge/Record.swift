import CNIKit
import FoundationEssentials

/// What ADD made for one attachment, kept in `dataDir` (0600) so DEL and GC can remove it even when the
/// pod's namespace and the config's details are gone.
struct AttachmentRecord: Codable, Equatable {
    var containerID: String
    var ifname: String
    var bridge: String
    var hostVeth: String
    /// The addresses IPAM gave, for masquerade and IP spoof-check cleanup.
    var addresses: [String]

    static func fileName(containerID: String, ifname: String) -> String { "\(containerID)-\(ifname).json" }

    func encoded() throws(CNIError) -> [UInt8] {
        do { return Array(try JSONEncoder().encode(self)) } catch {
            throw CNIError(.ioFailure, "cannot encode the attachment record of \(containerID)/\(ifname): \(error)")
        }
    }

    static func decode(_ bytes: [UInt8]) -> AttachmentRecord? {
        try? JSONDecoder().decode(AttachmentRecord.self, from: Data(bytes))
    }
}
