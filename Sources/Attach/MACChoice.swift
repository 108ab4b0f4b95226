import CNIKit
import Netlink

/// Chooses the custom MAC of an attachment from the places a user can put it, and validates it
/// before anything is created.
public enum MACChoice {
    /// One place a MAC can come from: the field name for messages, and its value if set.
    public struct Source: Sendable {
        public var field: String
        public var value: String?
        public init(_ field: String, _ value: String?) {
            self.field = field
            self.value = value
        }
    }

    /// `sources` go from the lowest precedence to the highest; the last non-empty one wins, as in the
    /// reference plugins (each plugin passes its own order). Nil when none is set.
    /// A winner that is not a unicast Ethernet address is code 7 naming its field.
    public static func choose(_ sources: [Source]) throws(CNIError) -> MACAddress? {
        guard let winner = sources.last(where: { !($0.value ?? "").isEmpty }), let text = winner.value else { return nil }
        guard let mac = MACAddress(text) else {
            throw CNIError(.invalidConfig, "\(winner.field): \"\(text)\" is not a MAC address (expected six hex octets like 02:00:00:00:00:01)")
        }
        guard mac.isValidUnicast else {
            throw CNIError(.invalidConfig, "\(winner.field): \(mac) cannot be an interface address (multicast or all-zero); use a unicast MAC such as 02:xx:xx:xx:xx:xx")
        }
        return mac
    }
}
