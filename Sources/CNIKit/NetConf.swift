/// The keys every network config shares, decoded tolerantly (unknown keys are the plugin's).
/// Missing `name` or `type`, or any wrong type, is an invalid-config error (code 7) naming the key.
/// A missing `cniVersion` means 0.1.0, as in libcni.
public struct NetConf: Decodable, Equatable, Sendable {
    public var cniVersion: String
    public var name: String
    public var type: String
    public var capabilities: [String: Bool]?
    /// nil when absent or without a `type` (`"ipam": {}` means no IPAM).
    public var ipam: IPAMConfig?
    public var dns: DNS?
    public var runtimeConfig: JSONValue?
    public var args: JSONValue?
    /// The previous plugin's result in a chain, decoded in the shape of `cniVersion`.
    public var prevResult: Result?
    /// Where `Log` appends instead of stderr.
    public var logFile: String?
    public var logLevel: String?
    /// GC: the attachments to keep, from `cni.dev/valid-attachments` and `cni.dev/attachments`.
    public var validAttachments: [Attachment]?

    /// The `ipam` section: its `type` and the whole section as given.
    public struct IPAMConfig: Equatable, Sendable {
        public var type: String
        public var raw: JSONValue
    }

    /// A container interface GC must keep.
    public struct Attachment: Equatable, Hashable, Sendable {
        public var containerID: String
        public var ifname: String

        public init(containerID: String, ifname: String) {
            self.containerID = containerID
            self.ifname = ifname
        }
    }

    public init(from decoder: any Decoder) throws {
        self = try NetConf(json: JSONValue(from: decoder))
    }

    /// Parses and decodes config bytes: invalid JSON is code 6, a bad shape code 7.
    public static func parse(_ bytes: [UInt8]) throws(CNIError) -> NetConf {
        try NetConf(json: JSONValue.parse(bytes))
    }

    /// Decodes a parsed config.
    public init(json: JSONValue) throws(CNIError) {
        let reader = try JSONReader(json, path: "")
        cniVersion = try reader.string("cniVersion").flatMap { $0.isEmpty ? nil : $0 } ?? CNIVersion.implied
        name = try reader.requiredString("name")
        guard Environment.isIdentifier(name) else {
            throw CNIError(.invalidConfig, "name \"\(name)\" has invalid characters: "
                + "use letters, digits, '_', '.' or '-', starting with a letter or digit")
        }
        type = try reader.requiredString("type")
        capabilities = try Self.capabilities(reader)
        ipam = try Self.ipam(reader)
        dns = try reader.object("dns").map { (dns) throws(CNIError) in try DNS(reading: dns) }
        runtimeConfig = reader.value("runtimeConfig")
        args = reader.value("args")
        if let prev = reader.value("prevResult") {
            // The runtime converts prevResult to the config's version; one that says otherwise has another shape.
            if let version = try JSONReader(prev, path: "prevResult").string("cniVersion"), !version.isEmpty,
               version != cniVersion {
                throw CNIError(.invalidConfig, "prevResult.cniVersion \"\(version)\" differs from the config's cniVersion \"\(cniVersion)\": "
                    + "the runtime must pass the previous result in the config's version")
            }
            prevResult = try Result.decode(prev, version: cniVersion, path: "prevResult")
        }
        logFile = try reader.string("logFile")
        logLevel = try reader.string("logLevel")
        validAttachments = try Self.attachments(reader)
    }

    private static func capabilities(_ reader: JSONReader) throws(CNIError) -> [String: Bool]? {
        guard let object = try reader.object("capabilities") else { return nil }
        var capabilities: [String: Bool] = [:]
        for key in object.members.keys { capabilities[key] = try object.bool(key) ?? false }
        return capabilities
    }

    private static func ipam(_ reader: JSONReader) throws(CNIError) -> IPAMConfig? {
        guard let section = try reader.object("ipam"), let type = try section.string("type"), !type.isEmpty else {
            return nil
        }
        return IPAMConfig(type: type, raw: .object(section.members))
    }

    private static func attachments(_ reader: JSONReader) throws(CNIError) -> [Attachment]? {
        let keys = ["cni.dev/valid-attachments", "cni.dev/attachments"].filter { reader.value($0) != nil }
        guard !keys.isEmpty else { return nil }
        var attachments: [Attachment] = []
        for key in keys {
            for item in try reader.objects(key) {
                let attachment = Attachment(containerID: try item.requiredString("containerID"),
                                            ifname: try item.requiredString("ifname"))
                if !attachments.contains(attachment) { attachments.append(attachment) }
            }
        }
        return attachments
    }
}
