import Testing
import NetworkTypes

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

    @Test func parsesIPNetwork() {
        #expect(IPNetwork("10.1.0.5/16")?.prefixLength == 16)
        #expect(IPNetwork("fd00::/128")?.family == .v6)
        #expect(IPNetwork("0.0.0.0/0")?.family == .v4)
        for text in ["10.1.0.5", "10.1.0.5/33", "fd00::/129", "10.1.0.5/", "10.1.0.5/-1", "x/8", "10.1.0.5/1a"] {
            #expect(IPNetwork(text) == nil, "\(text)")
        }
    }
}

@Suite struct IPValueTests {
    @Test func parsesAndPrintsBothFamilies() throws {
        let v4 = try #require(IPAddress("10.1.1.2"))
        #expect(v4.isIPv4 && v4.bytes == [10, 1, 1, 2] && v4.description == "10.1.1.2")
        let v6 = try #require(IPAddress("FD00:0:0::1"))
        #expect(!v6.isIPv4 && v6.bytes.count == 16 && v6.description == "fd00::1")
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
        for bad in ["", "10.1.1", "10.1.1.256", "fd00:::1", "10.1.1.2/24", " 10.1.1.2"] {
            #expect(IPAddress(bad) == nil, "\(bad)")
        }
    }

    @Test func networksKeepHostBitsAndContain() throws {
        let net = try #require(IPNetwork("10.1.1.2/24"))
        #expect(net.description == "10.1.1.2/24")
        #expect(net.network.description == "10.1.1.0/24")
        #expect(net.contains(IPAddress("10.1.1.200")!) && !net.contains(IPAddress("10.1.2.1")!))
        #expect(!net.contains(IPAddress("::1")!))
        #expect(try #require(IPNetwork("fd00:1:2:3::9/61")).network.description == "fd00:1:2::/61")
        #expect(try #require(IPNetwork("0.0.0.0/0")).contains(IPAddress("192.0.2.1")!))
        for bad in ["10.1.1.2", "10.1.1.2/33", "fd00::1/129", "10.1.1.2/", "10.1.1.2/-1", "10.1.1.2/+8", "x/8"] {
            #expect(IPNetwork(bad) == nil, "\(bad)")
        }
    }
}

@Suite struct FirstHostTests {
    @Test(arguments: [("10.1.1.7/24", "10.1.1.1"), ("10.1.255.7/16", "10.1.0.1"), ("fd00::5/64", "fd00::1"),
                      ("192.168.0.255/31", "192.168.0.255")])
    func isTheNetworkPlusOne(network: String, host: String) {
        #expect(IPNetwork(network)?.firstHost.description == host)
    }
}

/// Found by Fuzz/ (networktypes, regression input Fuzz/corpus/networktypes/regression-ipaddress-nul-truncation):
/// inet_pton reads a C string, so text with a NUL parsed as whatever came before it.
@Suite struct EmbeddedNULTests {
    @Test(arguments: ["fd04::\0\0\0\u{0B}'", "10.1.1.2\0junk", "10.1.1.2\0", "\010.1.1.2"])
    func anAddressWithANULIsRefused(text: String) {
        #expect(IPAddress(text) == nil)
        #expect(IPNetwork("\(text)/24") == nil)
    }
}

/// Found by Fuzz/ (networktypes, regression input Fuzz/corpus/networktypes/regression-mac-plus-sign):
/// UInt8(_:radix:) takes a sign, so "8a:+8:..." parsed as 8a:08:...; Go's net.ParseMAC refuses it.
@Suite struct MACAddressTests {
    @Test(arguments: ["8a:+8:0A:00:00:05", "+a:00:00:00:00:01", "02:00:00:00:00:-1", "02-00-00-00-00-+1",
                      "02:00:00:00:00:\u{FF11}", "02:00:00:00:00:1", "02:00:00:00:00:001", "02:00:00:00:00"])
    func refusesAnythingButTwoHexDigitsPerByte(text: String) {
        #expect(MACAddress(text) == nil)
    }

    @Test(arguments: [("0a:58:0A:00:00:05", "0a:58:0a:00:00:05"), ("C2-11-22-33-44-5F", "c2:11:22:33:44:5f")])
    func acceptsBothSeparatorsAndCases(text: String, canonical: String) {
        #expect(MACAddress(text)?.description == canonical)
    }
}
