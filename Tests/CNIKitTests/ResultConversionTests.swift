import Testing
@testable import CNIKit

/// A result using every 1.1.0 field, with one address per family so 0.2.0 can hold its addresses.
let richResult = Result(
    interfaces: [
        .init(name: "br0", mac: "0a:58:0a:00:00:01", mtu: 1450),
        .init(name: "eth0", mac: "0a:58:0a:00:00:05", mtu: 1450, sandbox: "/var/run/netns/pod",
              socketPath: "/run/vhost.sock", pciID: "0000:00:1f.6"),
    ],
    ips: [
        .init(address: "10.1.0.5/16", gateway: "10.1.0.1", interface: 1),
        .init(address: "fd00::5/64", gateway: "fd00::1", interface: 1),
    ],
    routes: [
        .init(dst: "0.0.0.0/0", gw: "10.1.0.1", mtu: 1400, advmss: 1360, priority: 10, table: 100, scope: 0),
        .init(dst: "::/0", gw: "fd00::1"),
    ],
    dns: DNS(nameservers: ["10.1.0.1"], domain: "example.org", search: ["example.org"], options: ["ndots:2"]))

/// What survives a trip through `version`.
func projected(_ result: Result, to version: String) -> Result {
    var result = result
    result.cniVersion = version
    if !CNIVersion.isAtLeast(version, "1.1.0") {
        for index in result.interfaces.indices {
            result.interfaces[index].mtu = nil
            result.interfaces[index].socketPath = nil
            result.interfaces[index].pciID = nil
        }
        result.routes = result.routes.map { Result.Route(dst: $0.dst, gw: $0.gw) }
    }
    if CNIVersion.isLegacy(version) {
        result.interfaces = []
        result.ips = result.ips.map { Result.IPConfig(address: $0.address, gateway: $0.gateway) }
    }
    return result
}

@Suite struct ResultConversionTests {
    static let pairs = CNIVersion.all.flatMap { from in CNIVersion.all.map { (from, $0) } }

    @Test(arguments: CNIVersion.all)
    func roundTripsInItsOwnVersion(version: String) throws {
        let text = try richResult.encoded(as: version)
        let decoded = try Result.decode(Array(text.utf8), version: version)
        #expect(decoded == projected(richResult, to: version))
    }

    @Test(arguments: pairs)
    func convertsBetweenEveryPair(from: String, to: String) throws {
        let first = try Result.decode(Array(try richResult.encoded(as: from).utf8), version: from)
        let second = try Result.decode(Array(try first.encoded(as: to).utf8), version: to)
        #expect(second == projected(projected(richResult, to: from), to: to))
    }

    @Test(arguments: CNIVersion.all)
    func shapeOfEachVersion(version: String) throws {
        let json = try richResult.json(as: version)
        #expect(json["cniVersion"] == .string(version))
        #expect(json["dns"]?["nameservers"] == .array([.string("10.1.0.1")]))
        if CNIVersion.isLegacy(version) {
            #expect(json["ips"] == nil && json["interfaces"] == nil)
            #expect(json["ip4"]?["ip"] == .string("10.1.0.5/16"))
            #expect(json["ip4"]?["routes"]?[0]?["dst"] == .string("0.0.0.0/0"))
            #expect(json["ip6"]?["gateway"] == .string("fd00::1"))
            #expect(json["ip6"]?["routes"]?[0]?["dst"] == .string("::/0"))
            return
        }
        #expect(json["ips"]?[0]?["address"] == .string("10.1.0.5/16"))
        #expect(json["ips"]?[1]?["interface"] == .number(1))
        let hasVersion = !CNIVersion.isAtLeast(version, "1.0.0")
        #expect((json["ips"]?[0]?["version"] == .string("4")) == hasVersion)
        #expect((json["ips"]?[1]?["version"] == .string("6")) == hasVersion)
        #expect(json["ips"]?[0]?["version"] == nil || hasVersion)
        let full = CNIVersion.isAtLeast(version, "1.1.0")
        #expect((json["interfaces"]?[1]?["mtu"] == .number(1450)) == full)
        #expect((json["interfaces"]?[1]?["pciID"] != nil) == full)
        #expect((json["routes"]?[0]?["table"] == .number(100)) == full)
        #expect(json["interfaces"]?[1]?["sandbox"] == .string("/var/run/netns/pod"))
    }

    @Test(arguments: ["0.1.0", "0.2.0"])
    func legacyRefusesWhatItCannotHold(version: String) {
        var twoV4 = richResult
        twoV4.ips.append(.init(address: "10.1.0.6/16"))
        var orphanRoute = richResult
        orphanRoute.ips.removeLast()
        for result in [twoV4, Result(interfaces: richResult.interfaces), orphanRoute] {
            #expect {
                try result.encoded(as: version)
            } throws: { error in
                let error = error as! CNIError
                return error.code == .incompatibleVersion && error.msg.contains("cannot be expressed in CNI \(version)")
            }
        }
    }

    @Test func l2OnlyResultEncodesFromZeroThree() throws {
        let result = Result(interfaces: [.init(name: "eth0", sandbox: "/var/run/netns/pod")])
        for version in CNIVersion.all where !CNIVersion.isLegacy(version) {
            let json = try result.json(as: version)
            #expect(json["ips"] == nil)
            #expect(json["interfaces"]?[0]?["mac"] == nil)
            #expect(json["dns"] == .object([:]))
        }
    }

    @Test func decodesReferenceShapes() throws {
        let legacy = #"{"cniVersion":"0.2.0","ip4":{"ip":"10.1.0.5/16","gateway":"10.1.0.1","routes":[{"dst":"0.0.0.0/0"}]},"dns":{}}"#
        #expect(try Result.decode(Array(legacy.utf8), version: "0.2.0")
            == Result(cniVersion: "0.2.0", ips: [.init(address: "10.1.0.5/16", gateway: "10.1.0.1")],
                      routes: [.init(dst: "0.0.0.0/0")]))
        let v040 = #"{"cniVersion":"0.4.0","interfaces":[{"name":"eth0","sandbox":"/x"}],"ips":[{"version":"4","address":"10.1.0.5/16","interface":0}]}"#
        #expect(try Result.decode(Array(v040.utf8), version: "0.4.0")
            == Result(cniVersion: "0.4.0", interfaces: [.init(name: "eth0", sandbox: "/x")],
                      ips: [.init(address: "10.1.0.5/16", interface: 0)]))
    }

    @Test(arguments: [
        (#"{"ips":[{"address":"10.1.0.5"}]}"#, "ips[0].address"),
        (#"{"ips":[{"address":"10.1.0.5/16","gateway":"nope"}]}"#, "ips[0].gateway"),
        (#"{"ips":[{"version":"6","address":"10.1.0.5/16"}]}"#, "ips[0].version"),
        (#"{"interfaces":[{"mac":"x"}]}"#, "interfaces[0].name"),
        (#"{"routes":[{"dst":"0.0.0.0/0","mtu":"big"}]}"#, "routes[0].mtu"),
        (#"{"dns":{"nameservers":"1.1.1.1"}}"#, "dns.nameservers"),
        (#"{"ips":{}}"#, "ips"),
        // An address cut short at a NUL by inet_pton used to pass (found by Fuzz/, networktypes).
        (#"{"ips":[{"address":"10.1.0.5\u0000junk/16"}]}"#, "ips[0].address"),
        (#"{"ips":[{"address":"10.1.0.5/16","gateway":"10.1.0.1\u0000"}]}"#, "ips[0].gateway"),
        (#"{"routes":[{"dst":"0.0.0.0\u0000/0"}]}"#, "routes[0].dst"),
    ])
    func invalidResultsNameTheKey(text: String, key: String) {
        #expect {
            try Result.decode(Array(text.utf8), version: "0.4.0")
        } throws: { error in
            let error = error as! CNIError
            return error.code == .invalidConfig && error.msg.hasPrefix(key)
        }
    }

    @Test func invalidJSONIsCode6AndUnknownVersionCode1() {
        #expect { try Result.decode(Array("{".utf8), version: "1.0.0") } throws: { ($0 as! CNIError).code == .decodeFailure }
        #expect { try Result.decode(Array("{}".utf8), version: "9.0.0") } throws: { ($0 as! CNIError).code == .incompatibleVersion }
        #expect { try richResult.encoded(as: "0.5.0") } throws: { ($0 as! CNIError).code == .incompatibleVersion }
    }
}
