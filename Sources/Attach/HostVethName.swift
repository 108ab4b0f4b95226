/// The node-side name of a pod's veth, derived from the attachment alone (container id + ifname),
/// so DEL and GC find it without the pod's namespace and without state: `veth` + 11 hex digits of
/// the FNV-1a hash of "containerID/ifname" (15 bytes, the kernel's limit).
public enum HostVethName {
    public static func derive(containerID: String, ifname: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(containerID)/\(ifname)".utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        let padded = String(repeating: "0", count: max(0, 16 - hex.count)) + hex
        return "veth" + padded.prefix(11)
    }
}
