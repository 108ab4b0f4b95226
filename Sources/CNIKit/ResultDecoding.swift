extension Result {
    /// Decodes result JSON written in the shape of spec `version`. Invalid JSON is code 6;
    /// a wrong shape or a bad address is code 7 naming the key; an unknown version is code 1.
    public static func decode(_ bytes: [UInt8], version: String) throws(CNIError) -> Result {
        try decode(JSONValue.parse(bytes), version: version)
    }

    /// Decodes a parsed result; `path` prefixes key names in errors (e.g. `prevResult`).
    public static func decode(_ json: JSONValue, version: String, path: String = "") throws(CNIError) -> Result {
        guard CNIVersion.all.contains(version) else { throw unknownVersion(version) }
        let reader = try JSONReader(json, path: path)
        var result = CNIVersion.isLegacy(version) ? try decodeLegacy(reader) : try decodeCurrent(reader)
        result.cniVersion = version
        return result
    }

    static func unknownVersion(_ version: String) -> CNIError {
        CNIError(.incompatibleVersion, "unknown CNI version \"\(version)\"",
                 details: "known versions: \(CNIVersion.all.joined(separator: ", "))")
    }

    /// The 0.3.0 and later shape: `interfaces`, `ips`, `routes`, `dns`.
    private static func decodeCurrent(_ reader: JSONReader) throws(CNIError) -> Result {
        var result = Result()
        for item in try reader.objects("interfaces") {
            result.interfaces.append(Interface(
                name: try item.requiredString("name"), mac: try item.string("mac") ?? "", mtu: try item.int("mtu"),
                sandbox: try item.string("sandbox"), socketPath: try item.string("socketPath"),
                pciID: try item.string("pciID")))
        }
        for item in try reader.objects("ips") {
            result.ips.append(try decodeIP(item))
        }
        for item in try reader.objects("routes") {
            var route = try decodeRoute(item)
            route.mtu = try item.int("mtu")
            route.advmss = try item.int("advmss")
            route.priority = try item.int("priority")
            route.table = try item.int("table")
            route.scope = try item.int("scope")
            result.routes.append(route)
        }
        if let dns = try reader.object("dns") { result.dns = try DNS(reading: dns) }
        return result
    }

    private static func decodeIP(_ item: JSONReader) throws(CNIError) -> IPConfig {
        let address = try cidr(item, "address")
        let ip = IPConfig(address: address.text, gateway: try gateway(item, "gateway"), interface: try item.int("interface"))
        if let version = try item.string("version") {
            let expected = address.family == .v4 ? "4" : "6"
            guard version == expected else {
                throw CNIError(.invalidConfig,
                               "\(item.keyPath("version")) is \"\(version)\" but the address is IPv\(expected)")
            }
        }
        if let index = ip.interface, index < 0 {
            throw CNIError(.invalidConfig, "\(item.keyPath("interface")) must not be negative")
        }
        return ip
    }

    /// `dst` and `gw`, the route keys every version has.
    static func decodeRoute(_ item: JSONReader) throws(CNIError) -> Route {
        Route(dst: try cidr(item, "dst").text, gw: try gateway(item, "gw"))
    }

    /// A required CIDR member.
    static func cidr(_ item: JSONReader, _ key: String) throws(CNIError) -> (text: String, family: IPAddress.Family) {
        let text = try item.requiredString(key)
        guard let cidr = IPNetwork(text) else {
            throw CNIError(.invalidConfig, "\(item.keyPath(key)) must be an address with a prefix length "
                + "such as 10.1.0.5/16, not \"\(text)\"")
        }
        return (text, cidr.family)
    }

    /// An optional plain address member.
    static func gateway(_ item: JSONReader, _ key: String) throws(CNIError) -> String? {
        guard let text = try item.string(key) else { return nil }
        guard IPAddress(text) != nil else {
            throw CNIError(.invalidConfig, "\(item.keyPath(key)) must be an IP address, not \"\(text)\"")
        }
        return text
    }
}
