/// tuning's sysctl keys (Netlink's SysctlKey, compiled in): the input is an interface name, a NUL,
/// then the key. Property: an accepted key's path, read as the kernel reads it (bytes, split on '/',
/// cut at a NUL), starts with `net`, has no empty, `.` or `..` component and no NUL or newline byte.
func fuzzOne(_ bytes: [UInt8]) {
    guard let nul = bytes.firstIndex(of: 0) else { return }
    let ifname = String(decoding: bytes[..<nul], as: UTF8.self)
    // Only names CNI_IFNAME validation lets through reach SysctlKey.
    let nameBytes = Array(ifname.utf8)
    guard !nameBytes.isEmpty, nameBytes.count <= 15, ifname != ".", ifname != "..",
          !nameBytes.contains(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: ":") || $0 <= 0x20 || $0 == 0x7f })
    else { return }
    let text = String(decoding: bytes[(nul + 1)...], as: UTF8.self)
    guard let key = try? SysctlKey(text, ifname: ifname) else { return }
    let path = Array(key.path.utf8)
    guard !path.contains(0), !path.contains(UInt8(ascii: "\n")), !path.contains(UInt8(ascii: "\r")) else {
        violated("SysctlKey \(text.debugDescription) kept a NUL or newline byte in \(key.path.debugDescription)")
    }
    let components = path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
    guard components.first.map(Array.init) == Array("net".utf8),
          !components.contains(where: { $0.isEmpty || $0.elementsEqual(".".utf8) || $0.elementsEqual("..".utf8) })
    else {
        violated("SysctlKey \(text.debugDescription) with ifname \(ifname.debugDescription) accepted the path \(key.path.debugDescription)")
    }
}
