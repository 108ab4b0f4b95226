extension Result {
    /// Encodes for stdout in the shape of spec `version`:
    /// 0.1.0/0.2.0 legacy `ip4`/`ip6`; 0.3.x/0.4.0 with `ips[].version` "4"/"6"; 1.0.0 without it;
    /// 1.1.0 adding interface `mtu`/`socketPath`/`pciID` and route `mtu`/`advmss`/`priority`/`table`/`scope`.
    /// Fails with code 1 for an unknown version or a result the legacy shape cannot hold.
    public func encoded(as version: String) throws(CNIError) -> String {
        try json(as: version).serialized(pretty: true)
    }

    /// The result as a JSON value in the shape of spec `version`.
    public func json(as version: String) throws(CNIError) -> JSONValue {
        guard CNIVersion.all.contains(version) else { throw Self.unknownVersion(version) }
        if CNIVersion.isLegacy(version) { return try legacyJSON(version: version) }
        let full = CNIVersion.isAtLeast(version, "1.1.0")
        let withIPVersion = !CNIVersion.isAtLeast(version, "1.0.0")
        var object = JSONObjectBuilder()
        object.set("cniVersion", version)
        object.setNonEmpty("interfaces", interfaces.map { $0.json(full: full) })
        object.setNonEmpty("ips", ips.map { $0.json(withVersion: withIPVersion) })
        object.setNonEmpty("routes", routes.map { $0.json(full: full) })
        object.set("dns", dns.json)
        return object.json
    }
}

extension Result.Interface {
    fileprivate func json(full: Bool) -> JSONValue {
        var object = JSONObjectBuilder()
        object.set("name", name)
        object.set("mac", mac.isEmpty ? nil : mac)
        object.set("sandbox", sandbox)
        if full {
            object.set("mtu", mtu)
            object.set("socketPath", socketPath)
            object.set("pciID", pciID)
        }
        return object.json
    }
}

extension Result.IPConfig {
    fileprivate func json(withVersion: Bool) -> JSONValue {
        var object = JSONObjectBuilder()
        if withVersion { object.set("version", family == .v6 ? "6" : "4") }
        object.set("address", address)
        object.set("gateway", gateway)
        object.set("interface", interface)
        return object.json
    }
}

extension Result.Route {
    fileprivate func json(full: Bool) -> JSONValue {
        var object = JSONObjectBuilder()
        object.set("dst", dst)
        object.set("gw", gw)
        if full {
            object.set("mtu", mtu)
            object.set("advmss", advmss)
            object.set("priority", priority)
            object.set("table", table)
            object.set("scope", scope)
        }
        return object.json
    }
}
