import Foundation
import Testing

/// The bad-input catalog, run against every plugin of `ReliabilityPlugin.all` directly (no libcni, which
/// would refuse some of it first): each bad input gets the spec's code, a message naming the field or
/// variable, a non-zero exit, and leaves the world exactly as it was — links and their settings in the
/// node and pod netns, addresses, sysctls, nftables, records, tuning backups, host-local allocations.
///
/// Codes: undecodable JSON 6; unsupported cniVersion 1; a missing or invalid CNI_* variable (CNI_NETNS
/// not a network namespace, a CNI_ARGS pair without `=`) 4 naming it; a bad value of a config key,
/// `args.cni`, `runtimeConfig` or a CNI_ARGS `MAC=`, a missing `name`/`type`, a refused combination 7
/// naming the key. MTU 0 means "keep the MTU": valid.
extension BlackBox {
    @Suite(.enabled(if: ReliabilityKnobs.oursEnabled, "ours-only: the reference answers most of this with 999"))
    struct ReliabilityBadInput {
        /// The inputs every plugin must refuse alike (plus the valid borderline ones).
        static func common(_ plugin: ReliabilityPlugin) -> [BadInput] {
            var cases: [BadInput] = [
                // The config as a whole.
                BadInput(name: "malformed JSON", code: 6, naming: ["JSON"]) { $0.rawStdin = #"{"cniVersion": "1.0.0", "name": "#},
                BadInput(name: "empty stdin", code: 6, naming: ["JSON"]) { $0.rawStdin = "" },
                BadInput(name: "config not an object", code: 7, naming: ["object"]) { $0.rawStdin = "[1, 2]" },
                .config("missing name", code: 7, naming: ["name"]) { $0.removeValue(forKey: "name") },
                .config("name of the wrong type", code: 7, naming: ["name"]) { $0["name"] = 5 },
                .config("name with a space", code: 7, naming: ["name"]) { $0["name"] = "my net" },
                .config("missing type", code: 7, naming: ["type"]) { $0.removeValue(forKey: "type") },
                .config("mtu of the wrong type", code: 7, naming: ["mtu"]) { $0["mtu"] = "1500" },
                .config("mtu 67", code: 7, naming: ["mtu", "67"]) { $0["mtu"] = 67 },
                .config("mtu 70000", code: 7, naming: ["mtu", "70000"]) { $0["mtu"] = 70000 },
                .config("mtu -1", code: 7, naming: ["mtu"]) { $0["mtu"] = -1 },
                .config("mtu 1.5", code: 7, naming: ["mtu"]) { $0["mtu"] = 1.5 },
                .config("runtimeConfig not an object", code: 7, naming: ["runtimeConfig"]) { $0["runtimeConfig"] = "mac" },
                .config("args.cni not an object", code: 7, naming: ["args.cni"]) { $0["args"] = ["cni": 5] },
                .config("capabilities of the wrong type", code: 7, naming: ["capabilities"]) { $0["capabilities"] = ["mac": "yes"] },
                // Tenant input that reaches for the node (the hostile-NAD suite has the whole attacks).
                .config("logFile a path", code: 7, naming: ["logFile", "/etc/ld.so.preload"]) { $0["logFile"] = "/etc/ld.so.preload" },
                .config("dataDir outside the state directories", code: 7, naming: ["dataDir", "/etc/cni/net.d"]) {
                    $0["dataDir"] = "/etc/cni/net.d"
                },
                .config("dataDir with ..", code: 7, naming: ["dataDir"]) { $0["dataDir"] = "/var/lib/cni/../../etc" },
                // Versions.
                .config("unknown cniVersion", code: 1, naming: ["cniVersion", "9.9.9"]) { $0["cniVersion"] = "9.9.9" },
                .config("ancient cniVersion 0.0.1", code: 1, naming: ["cniVersion", "0.0.1"]) { $0["cniVersion"] = "0.0.1" },
                .config("cniVersion not a version", code: 1, naming: ["cniVersion", "one"]) { $0["cniVersion"] = "one" },
                .config("cniVersion of the wrong type", code: 7, naming: ["cniVersion"]) { $0["cniVersion"] = 1 },
                BadInput(name: "CHECK in 0.3.1", code: 1, naming: ["CHECK", "0.4.0"]) {
                    $0.environment["CNI_COMMAND"] = "CHECK"
                    $0.config["cniVersion"] = "0.3.1"
                    if var prev = $0.config["prevResult"] as? [String: Any] {
                        prev["cniVersion"] = "0.3.1"
                        $0.config["prevResult"] = prev
                    }
                },
                .config("prevResult of another version", code: 7, naming: ["prevResult", "0.2.0"]) {
                    $0["prevResult"] = ["cniVersion": "0.2.0", "ip4": ["ip": "10.1.2.3/24"]]
                },
                .config("prevResult with a bad address", code: 7, naming: ["prevResult.ips[0].address"]) {
                    var prev = $0["prevResult"] as? [String: Any] ?? ["cniVersion": "1.0.0"]
                    prev["ips"] = [["address": "10.1.2.300/24"]]
                    $0["prevResult"] = prev
                },
                // The environment.
                .env("no CNI_COMMAND", code: 4, naming: ["CNI_COMMAND"]) { $0.removeValue(forKey: "CNI_COMMAND") },
                .env("unknown CNI_COMMAND", code: 4, naming: ["CNI_COMMAND", "ATTACH"]) { $0["CNI_COMMAND"] = "ATTACH" },
                .env("no CNI_CONTAINERID", code: 4, naming: ["CNI_CONTAINERID"]) { $0.removeValue(forKey: "CNI_CONTAINERID") },
                .env("CNI_CONTAINERID starting with -", code: 4, naming: ["CNI_CONTAINERID"]) { $0["CNI_CONTAINERID"] = "-abc" },
                .env("CNI_CONTAINERID with /", code: 4, naming: ["CNI_CONTAINERID"]) { $0["CNI_CONTAINERID"] = "../../etc" },
                .env("no CNI_IFNAME", code: 4, naming: ["CNI_IFNAME"]) { $0.removeValue(forKey: "CNI_IFNAME") },
                .env("empty CNI_IFNAME", code: 4, naming: ["CNI_IFNAME"]) { $0["CNI_IFNAME"] = "" },
                .env("CNI_IFNAME of 16 bytes", code: 4, naming: ["CNI_IFNAME"]) { $0["CNI_IFNAME"] = "eth0123456789abc" },
                .env("CNI_IFNAME with /", code: 4, naming: ["CNI_IFNAME"]) { $0["CNI_IFNAME"] = "a/b" },
                .env("CNI_IFNAME with a space", code: 4, naming: ["CNI_IFNAME"]) { $0["CNI_IFNAME"] = "eth 0" },
                .env("CNI_IFNAME with :", code: 4, naming: ["CNI_IFNAME"]) { $0["CNI_IFNAME"] = "eth0:1" },
                .env("CNI_IFNAME ..", code: 4, naming: ["CNI_IFNAME"]) { $0["CNI_IFNAME"] = ".." },
                .env("no CNI_NETNS", code: 4, naming: ["CNI_NETNS"]) { $0.removeValue(forKey: "CNI_NETNS") },
                .env("CNI_NETNS a regular file", code: 4, naming: ["CNI_NETNS", "/etc/hostname"]) { $0["CNI_NETNS"] = "/etc/hostname" },
                .env("CNI_NETNS nowhere", code: 4, naming: ["CNI_NETNS", "/var/run/netns/scni-nowhere"]) {
                    $0["CNI_NETNS"] = "/var/run/netns/scni-nowhere"
                },
                .env("CNI_NETNS a directory", code: 4, naming: ["CNI_NETNS"]) { $0["CNI_NETNS"] = "/tmp" },
                .env("CNI_NETNS a mount namespace", code: 4, naming: ["CNI_NETNS", "/proc/self/ns/mnt"]) {
                    $0["CNI_NETNS"] = "/proc/self/ns/mnt"
                },
                .env("empty CNI_PATH", code: 4, naming: ["CNI_PATH"]) { $0["CNI_PATH"] = "" },
                .env("CNI_ARGS pair without =", code: 4, naming: ["CNI_ARGS", "bogus"]) { $0["CNI_ARGS"] = "IgnoreUnknown=1;bogus" },
                .env("CNI_ARGS pair without key", code: 4, naming: ["CNI_ARGS"]) { $0["CNI_ARGS"] = "IgnoreUnknown=1;=x" },
                .env("CNI_ARGS IgnoreUnknown not a boolean", code: 4, naming: ["IgnoreUnknown"]) { $0["CNI_ARGS"] = "IgnoreUnknown=maybe" },
            ]
            let badMACs = [("multicast", "01:00:5e:00:00:01"), ("broadcast", "ff:ff:ff:ff:ff:ff"),
                           ("all-zero", "00:00:00:00:00:00"), ("five octets", "02:00:00:00:00"),
                           ("seven octets", "02:00:00:00:00:00:01"), ("not hex", "02:00:00:00:00:zz")]
            for (what, mac) in badMACs {
                cases.append(.env("CNI_ARGS MAC \(what)", code: 7, naming: ["CNI_ARGS MAC", mac]) {
                    $0["CNI_ARGS"] = ($0["CNI_ARGS"] ?? "IgnoreUnknown=1") + ";MAC=\(mac)"
                })
                for field in plugin.macFields {
                    cases.append(.config("\(field) \(what)", code: 7, naming: [field, mac]) { set(&$0, field, mac) })
                }
            }
            for field in plugin.macFields {
                cases.append(.config("\(field) of the wrong type", code: 7, naming: [field]) { set(&$0, field, 2) })
            }
            // Valid: 0 keeps the MTU.
            cases.append(.config("mtu 0 keeps the MTU", code: nil, naming: []) { $0["mtu"] = 0 })
            return cases
        }

        /// Sets a dot-separated path (`args.cni.mac`) in a config.
        static func set(_ config: inout [String: Any], _ path: String, _ value: Any) {
            let keys = path.split(separator: ".").map(String.init)
            func assign(_ object: inout [String: Any], _ keys: ArraySlice<String>) {
                guard let key = keys.first else { return }
                if keys.count == 1 { object[key] = value; return }
                var inner = object[key] as? [String: Any] ?? [:]
                assign(&inner, keys.dropFirst())
                object[key] = inner
            }
            assign(&config, keys[...])
        }

        @Test(arguments: ReliabilityPlugin.all)
        func catalog(_ plugin: ReliabilityPlugin) throws {
            let world = try ReliabilityWorld(plugin)
            var baseline = try world.snapshot()
            for input in Self.common(plugin) + plugin.extraCases {
                let identity = PodIdentity.random()
                var call = try world.invocation(identity: identity)
                input.change(&call)
                let out = try world.run(call)
                guard let code = input.code else {
                    #expect(out.succeeded, "\(plugin.type) \(input.name): a valid input failed: \(out)")
                    if plugin.type != "tuning" || input.name.hasPrefix("mtu 0") {
                        let mtu = (out.json?["interfaces"] as? [[String: Any]])?.first { $0["sandbox"] != nil }?["mtu"] as? Int
                        #expect(mtu == nil || mtu == plugin.mtuForZero, "\(plugin.type) \(input.name): MTU \(mtu ?? 0), \(plugin.mtuForZero) expected")
                    }
                    let del = try world.del(identity)
                    #expect(del.succeeded, "\(plugin.type) \(input.name): DEL: \(del)")
                    baseline = try world.snapshot()
                    continue
                }
                #expect(!out.succeeded && out.output.status != 0, "\(plugin.type) \(input.name): accepted: \(out)")
                #expect(out.errorCode == code, "\(plugin.type) \(input.name): code \(out.errorCode.map(String.init) ?? "none"), \(code) expected: \(out)")
                let message = (out.errorMessage ?? "") + " " + (out.json?["details"] as? String ?? "")
                for name in input.naming {
                    #expect(message.lowercased().contains(name.lowercased()),
                            "\(plugin.type) \(input.name): the message does not name \"\(name)\": \(message)")
                }
                #expect(out.output.stdout.contains("\"code\""), "\(plugin.type) \(input.name): no error JSON on stdout: \(out)")
                if out.succeeded { _ = try world.del(identity) }  // keep the next cases meaningful
                let after = try world.snapshot()
                if after != baseline {
                    Issue.record("\(plugin.type) \(input.name): the world changed:\n\(after.difference(from: baseline))")
                    baseline = after
                }
            }
        }
    }
}
