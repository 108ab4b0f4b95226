import CNIKit

/// The names a macvtap has in the node's namespace before it moves into the pod.
enum NodeName {
    /// The name macvtap-cni's device plugin gives the macvtap of device `deviceID` today
    /// (pkg/util TemporaryInterfaceName): `mvt` + the low 48 bits of XXH64(deviceID) in 12 hex digits.
    static func devicePlugin(_ deviceID: String) -> String {
        "mvt" + hex12(XXHash64.hash(deviceID))
    }

    /// Where to look for the device plugin's macvtap, in order: the hashed name, then `deviceID` itself
    /// when it is a valid interface name (what earlier device plugin releases named it).
    static func devicePluginCandidates(_ deviceID: String) -> [String] {
        var names = [devicePlugin(deviceID)]
        if (try? Environment.validateInterfaceName(deviceID, naming: "deviceID")) != nil, deviceID != names[0] {
            names.append(deviceID)
        }
        return names
    }

    /// The temporary name of a macvtap this plugin creates (standalone flow), derived from the attachment
    /// alone so that DEL and GC find a leftover without state: `mvs` + 12 hex digits of XXH64("containerID/ifname").
    static func standalone(containerID: String, ifname: String) -> String {
        "mvs" + hex12(XXHash64.hash("\(containerID)/\(ifname)"))
    }

    private static func hex12(_ hash: UInt64) -> String {
        let hex = String(hash & 0xFFFF_FFFF_FFFF, radix: 16)
        return String(repeating: "0", count: 12 - hex.count) + hex
    }
}
