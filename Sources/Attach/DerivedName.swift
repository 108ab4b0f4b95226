/// Interface names derived from what they belong to, so DEL and GC find them without state:
/// a prefix and hex digits of the FNV-1a hash of a key, 15 bytes in all (the kernel's limit).
public enum DerivedName {
    public static func make(prefix: String, key: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        let padded = String(repeating: "0", count: max(0, 16 - hex.count)) + hex
        return prefix + padded.prefix(15 - prefix.utf8.count)
    }
}

/// The node-side name of a pod's veth: `veth` + 11 hex digits of "containerID/ifname".
public enum HostVethName {
    public static func derive(containerID: String, ifname: String) -> String {
        DerivedName.make(prefix: "veth", key: "\(containerID)/\(ifname)")
    }
}
