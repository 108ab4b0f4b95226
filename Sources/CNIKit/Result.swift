@_exported public import NetworkTypes

/// The result of ADD (and a chained plugin's `prevResult`) in its canonical in-memory form:
/// the spec 1.1.0 superset. `encoded(as:)` writes it in the shape of any spec version.
public struct Result: Equatable, Sendable {
    /// The version it was decoded from, or is meant for; `encoded(as:)` sets the one it writes.
    public var cniVersion: String
    public var interfaces: [Interface]
    public var ips: [IPConfig]
    public var routes: [Route]
    public var dns: DNS

    public init(cniVersion: String = CNIVersion.latest, interfaces: [Interface] = [], ips: [IPConfig] = [],
                routes: [Route] = [], dns: DNS = DNS()) {
        self.cniVersion = cniVersion
        self.interfaces = interfaces
        self.ips = ips
        self.routes = routes
        self.dns = dns
    }

    /// An interface a plugin created or uses.
    public struct Interface: Equatable, Sendable {
        public var name: String
        /// The MAC address; "" when unknown.
        public var mac: String
        /// Since 1.1.0.
        public var mtu: Int?
        /// The netns path for interfaces inside the container; nil on the host.
        public var sandbox: String?
        /// Since 1.1.0: a vhost-user socket.
        public var socketPath: String?
        /// Since 1.1.0: the PCI address of a device.
        public var pciID: String?

        public init(name: String, mac: String = "", mtu: Int? = nil, sandbox: String? = nil,
                    socketPath: String? = nil, pciID: String? = nil) {
            self.name = name
            self.mac = mac
            self.mtu = mtu
            self.sandbox = sandbox
            self.socketPath = socketPath
            self.pciID = pciID
        }
    }

    /// An address assigned to an interface.
    public struct IPConfig: Equatable, Sendable {
        /// CIDR notation, e.g. `10.1.0.5/16`.
        public var address: String
        public var gateway: String?
        /// Index into `interfaces`.
        public var interface: Int?

        public init(address: String, gateway: String? = nil, interface: Int? = nil) {
            self.address = address
            self.gateway = gateway
            self.interface = interface
        }

        /// The family of `address` (nil if it does not parse).
        public var family: IPAddress.Family? { IPNetwork(address)?.family }
    }

    /// A route; the fields after `gw` exist since 1.1.0.
    public struct Route: Equatable, Sendable {
        /// CIDR notation, e.g. `0.0.0.0/0`.
        public var dst: String
        public var gw: String?
        public var mtu: Int?
        public var advmss: Int?
        public var priority: Int?
        public var table: Int?
        public var scope: Int?

        public init(dst: String, gw: String? = nil, mtu: Int? = nil, advmss: Int? = nil, priority: Int? = nil,
                    table: Int? = nil, scope: Int? = nil) {
            self.dst = dst
            self.gw = gw
            self.mtu = mtu
            self.advmss = advmss
            self.priority = priority
            self.table = table
            self.scope = scope
        }
    }
}

/// DNS settings, both in a config (`dns`) and in a result.
public struct DNS: Equatable, Sendable {
    public var nameservers: [String]
    public var domain: String?
    public var search: [String]
    public var options: [String]

    public init(nameservers: [String] = [], domain: String? = nil, search: [String] = [], options: [String] = []) {
        self.nameservers = nameservers
        self.domain = domain
        self.search = search
        self.options = options
    }

    /// True when no field is set: a config's `dns: {}` says nothing.
    public var isEmpty: Bool { nameservers.isEmpty && (domain ?? "").isEmpty && search.isEmpty && options.isEmpty }

    init(reading reader: JSONReader) throws(CNIError) {
        self.init(nameservers: try reader.strings("nameservers"), domain: try reader.string("domain"),
                  search: try reader.strings("search"), options: try reader.strings("options"))
    }

    var json: JSONValue {
        var object = JSONObjectBuilder()
        object.setNonEmpty("nameservers", nameservers.map(JSONValue.string))
        object.set("domain", domain)
        object.setNonEmpty("search", search.map(JSONValue.string))
        object.setNonEmpty("options", options.map(JSONValue.string))
        return object.json
    }
}
