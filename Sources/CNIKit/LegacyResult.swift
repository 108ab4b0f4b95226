/// The 0.1.0/0.2.0 result shape: one `ip4` and one `ip6` section, each with its own routes.
extension Result {
    static func decodeLegacy(_ reader: JSONReader) throws(CNIError) -> Result {
        var result = Result()
        for key in ["ip4", "ip6"] {
            guard let section = try reader.object(key) else { continue }
            let address = try cidr(section, "ip")
            guard (address.family == .v4) == (key == "ip4") else {
                throw CNIError(.invalidConfig, "\(section.keyPath("ip")) \"\(address.text)\" is not an IPv\(key.last!) address")
            }
            result.ips.append(IPConfig(address: address.text, gateway: try gateway(section, "gateway")))
            for route in try section.objects("routes") {
                result.routes.append(try decodeRoute(route))
            }
        }
        if let dns = try reader.object("dns") { result.dns = try DNS(reading: dns) }
        return result
    }

    /// Fails (code 1) when the result cannot be said in the legacy shape: no address, more than
    /// one address of a family, or a route whose family has no address to hang on.
    func legacyJSON(version: String) throws(CNIError) -> JSONValue {
        var object = JSONObjectBuilder()
        object.set("cniVersion", version)
        object.set("dns", dns.json)
        guard !ips.isEmpty else { throw legacyError(version, "it has no IP address") }
        for family in [IPAddress.Family.v4, .v6] {
            let key = family == .v4 ? "ip4" : "ip6"
            let matching = ips.filter { $0.family == family }
            guard matching.count <= 1 else {
                throw legacyError(version, "it has \(matching.count) IPv\(family == .v4 ? 4 : 6) addresses and \(key) holds one")
            }
            guard let ip = matching.first else { continue }
            var section = JSONObjectBuilder()
            section.set("ip", ip.address)
            section.set("gateway", ip.gateway)
            section.setNonEmpty("routes", routes.filter { IPNetwork($0.dst)?.family == family }.map(\.legacyJSON))
            object.set(key, section.json)
        }
        if let orphan = routes.first(where: { route in !ips.contains { $0.family == IPNetwork(route.dst)?.family } }) {
            throw legacyError(version, "the route to \(orphan.dst) has no address of its family")
        }
        return object.json
    }

    private func legacyError(_ version: String, _ reason: String) -> CNIError {
        CNIError(.incompatibleVersion, "the result cannot be expressed in CNI \(version): \(reason)",
                 details: "use cniVersion 0.3.0 or later")
    }
}

extension Result.Route {
    fileprivate var legacyJSON: JSONValue {
        var object = JSONObjectBuilder()
        object.set("dst", dst)
        object.set("gw", gw)
        return object.json
    }
}
