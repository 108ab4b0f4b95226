import Testing
@testable import CNIKit

@Suite struct IPAddressTests {
    @Test(arguments: [
        ("10.1.0.5", [10, 1, 0, 5] as [UInt8]),
        ("0.0.0.0", [0, 0, 0, 0]),
        ("255.255.255.255", [255, 255, 255, 255]),
    ])
    func parsesIPv4(text: String, bytes: [UInt8]) {
        #expect(IPAddress(text)?.bytes == bytes)
        #expect(IPAddress(text)?.family == .v4)
    }

    @Test(arguments: [
        ("::", [UInt8](repeating: 0, count: 16)),
        ("::1", [UInt8](repeating: 0, count: 15) + [1]),
        ("fd00::5", [0xfd, 0] + [UInt8](repeating: 0, count: 13) + [5]),
        ("2001:db8:0:0:0:0:2:1", [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1]),
        ("::ffff:10.1.0.5", [UInt8](repeating: 0, count: 10) + [0xff, 0xff, 10, 1, 0, 5]),
        ("fe80::", [0xfe, 0x80] + [UInt8](repeating: 0, count: 14)),
    ])
    func parsesIPv6(text: String, bytes: [UInt8]) {
        #expect(IPAddress(text)?.bytes == bytes)
        #expect(IPAddress(text)?.family == .v6)
    }

    @Test(arguments: ["", "10.1.0", "10.1.0.256", "10.1.0.05", "1.2.3.4.5", "a.b.c.d", "1::2::3", ":::", "12345::",
                      "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "fe80::1%eth0", "g::1", "::1.2.3", " 10.1.0.5"])
    func rejectsNonAddresses(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func parsesCIDR() {
        #expect(CIDR("10.1.0.5/16")?.prefixLength == 16)
        #expect(CIDR("fd00::/128")?.family == .v6)
        #expect(CIDR("0.0.0.0/0")?.family == .v4)
        for text in ["10.1.0.5", "10.1.0.5/33", "fd00::/129", "10.1.0.5/", "10.1.0.5/-1", "x/8", "10.1.0.5/1a"] {
            #expect(CIDR(text) == nil, "\(text)")
        }
    }
}
