import NetworkTypes

/// The address parsers every layer trusts (results, configs, CNI_ARGS MAC=). Properties: what parses
/// is made only of the characters of the notation, prints to a canonical form that parses back to
/// the same value, and a MAC's text is its canonical form up to case and separator.
func fuzzOne(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    if let address = IPAddress(text) {
        guard text.allSatisfy({ $0.isHexDigit || $0 == "." || $0 == ":" }) else {
            violated("IPAddress accepted \(text.debugDescription) as \(address)")
        }
        guard IPAddress(address.description) == address else { violated("\(address) does not parse back") }
    }
    if let network = IPNetwork(text) {
        guard IPNetwork(network.description) == network, network.network.contains(network.address),
              network.contains(network.firstHost) || network.prefixLength >= network.address.bytes.count * 8 - 1 else {
            violated("IPNetwork \(text.debugDescription) -> \(network) is inconsistent")
        }
        _ = network.broadcast
    }
    if let mac = MACAddress(text) {
        guard String(text.lowercased().map { $0 == "-" ? ":" : $0 }) == mac.description else {
            violated("MACAddress accepted \(text.debugDescription) as \(mac)")
        }
    }
}
