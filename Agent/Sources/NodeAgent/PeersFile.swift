/// `DIR/nodes`: one InternalIP per line, sorted, the file layer2-overlay reads through the node
/// policy's peersDirectory (`"peersFile": "nodes"`). Written atomically, and only when it changes.
struct PeersFile {
    static let name = "nodes"
    let directory: Directory

    init(directory path: String) throws {
        directory = try Directory(creating: path)
    }

    var path: String { directory.join(PeersFile.name) }

    /// The addresses the file lists now (none when it does not exist yet).
    func current() throws -> [String] {
        guard let file = try directory.read(PeersFile.name) else { return [] }
        return String(decoding: file.bytes, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Writes `peers` unless the file holds them already; true when it wrote.
    func write(_ peers: [String]) throws -> Bool {
        try directory.update(PeersFile.name, with: Array(peers.map { $0 + "\n" }.joined().utf8), mode: 0o644)
    }
}
