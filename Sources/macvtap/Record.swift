import CNIKit
import FoundationEssentials

/// What ADD did for one attachment, kept in `dataDir` (0600) so DEL and GC can undo it even when the
/// config's details are gone: which flow, the macvtap's node-side name, and (device-plugin flow) the
/// values to give the device back with.
struct AttachmentRecord: Codable, Equatable {
    var containerID: String
    var ifname: String
    var netns: String
    /// True when the device plugin made the macvtap (it goes back to the node); false when we did (it is deleted).
    var devicePlugin: Bool
    /// The device plugin's name for it, or our temporary name.
    var nodeName: String
    var originalMAC: String?
    var originalMTU: UInt32?
    var originalPromiscuous: Bool?

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
