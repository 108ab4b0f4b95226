/// The custom-MAC keys plugins read beside their own config: `runtimeConfig.mac` (the `mac` capability)
/// and `args.cni.mac` (the pod's annotation through Multus). Unknown keys inside are ignored.
public struct RuntimeMAC: Decodable, Sendable {
    public var mac: String?
}

/// `args` of a plugin that reads only `args.cni.mac` from it.
public struct ArgsWithMAC: Decodable, Sendable {
    public var cni: RuntimeMAC?
}
