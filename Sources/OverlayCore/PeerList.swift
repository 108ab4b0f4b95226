import CNIKit
import NetworkTypes

/// A network's peers: the NAD's `peers` and the lines of its `peersFile` (a name in the node policy's
/// `peersDirectory`, read anew each time), without duplicates, checked against the node policy's
/// `overlay.maxPeers` and `overlay.underlay`. The file's lines are never quoted in errors: it may be any
/// file the admin's directory holds.
public struct PeerList: Sendable {
    public let configured: [IPAddress]
    public let file: NamedFile?
    let policy: NodePolicy.Overlay

    static let fileLimit = 1 << 20

    /// Checks `peers` (code 7 naming `peers[i]`) and the file's name; reads nothing yet.
    public init(peers: [String], file: String?, policy: NodePolicy) throws(CNIError) {
        self.policy = policy.overlay
        guard peers.count <= policy.overlay.maxPeers else {
            throw CNIError(.invalidConfig, "peers: \(peers.count) peers are more than the node policy allows (overlay.maxPeers \(policy.overlay.maxPeers))")
        }
        configured = try PeerList.addresses(peers.map { ($0, "") }, source: "peers", policy: policy.overlay, quote: true)
        self.file = try file.flatMap { $0.isEmpty ? nil : $0 }.map { (name) throws(CNIError) in
            try NamedFile(key: "peersFile", name: name, directory: policy.peersDirectory)
        }
    }

    /// Every peer now: `peers`, then the file's lines, in order.
    public func resolve() throws(CNIError) -> [IPAddress] {
        var all = configured
        if let file {
            let text = String(decoding: try file.read(limit: PeerList.fileLimit), as: UTF8.self)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { number, line in
                let address = String((line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
                    .filter { !$0.isWhitespace })
                return address.isEmpty ? nil : (address, "line \(number + 1)")
            }
            all += try PeerList.addresses(lines, source: "peersFile \(file.path)", policy: policy, quote: false)
        }
        var seen = Set<IPAddress>()
        let unique = all.filter { seen.insert($0).inserted }
        guard unique.count <= policy.maxPeers else {
            throw CNIError(.invalidConfig, "peers and peersFile: \(unique.count) peers are more than the node policy allows (overlay.maxPeers \(policy.maxPeers))")
        }
        return unique
    }

    /// Parses (text, place) pairs; `quote` says whether the text may be shown in an error.
    private static func addresses(_ texts: [(text: String, place: String)], source: String, policy: NodePolicy.Overlay,
                                  quote: Bool) throws(CNIError) -> [IPAddress] {
        var result: [IPAddress] = []
        for (index, entry) in texts.enumerated() {
            let place = quote ? "\(source)[\(index)]" : "\(source) \(entry.place)"
            guard let address = IPAddress(entry.text) else {
                throw CNIError(.invalidConfig, "\(place): \(quote ? "\"\(entry.text)\" is" : "the line is") not an IP address (each peer is a node's underlay IP)")
            }
            if let underlay = policy.underlay, !underlay.contains(where: { $0.contains(address) }) {
                throw CNIError(.invalidConfig, "\(place): \(quote ? "\(address)" : "the peer") is outside the underlay networks the node policy allows "
                    + "(overlay.underlay: \(underlay.map(\.description).joined(separator: ", ")))")
            }
            result.append(address)
        }
        return result
    }
}
