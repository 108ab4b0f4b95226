import CNIKit

/// One whole invocation through PluginMain: the input is NUL-separated CNI_COMMAND, CNI_CONTAINERID,
/// CNI_IFNAME, CNI_NETNS, CNI_ARGS, then the config. Properties: stdout gets exactly one JSON
/// document; exit code 0 with a result (ADD) or nothing, or 1 with an error object carrying a code.
func fuzzOne(_ bytes: [UInt8]) {
    var fields: [[UInt8]] = []
    var rest = bytes[...]
    while fields.count < 5, let nul = rest.firstIndex(of: 0) {
        fields.append(Array(rest[..<nul]))
        rest = rest[(nul + 1)...]
    }
    let text = { (index: Int) in fields.indices.contains(index) ? String(decoding: fields[index], as: UTF8.self) : "" }
    let names = ["CNI_COMMAND", "CNI_CONTAINERID", "CNI_IFNAME", "CNI_NETNS", "CNI_ARGS"]
    var environment = ["CNI_PATH": "/nonexistent"]
    for (index, name) in names.enumerated() where fields.indices.contains(index) { environment[name] = text(index) }
    var outputs: [String] = []
    let code = PluginMain.run(FuzzPlugin.self, environment: environment, stdin: Array(rest)) { outputs.append($0) }
    guard outputs.count <= 1 else { violated("\(outputs.count) outputs") }
    guard let output = outputs.first else {
        guard code == 0, ["DEL", "CHECK", "STATUS", "GC"].contains(text(0)) else {
            violated("no output with exit code \(code) for \(text(0).debugDescription)")
        }
        return
    }
    guard let json = try? JSONValue.parse(Array(output.utf8)) else { violated("stdout is not JSON: \(output)") }
    if code == 1 {
        guard json["code"]?.intValue != nil, json["msg"]?.stringValue?.isEmpty == false else {
            violated("error without code or msg: \(output)")
        }
    } else if code != 0 {
        violated("exit code \(code)")
    }
}

/// Decodes every plugin's config; never throws and returns a result every version can say, so
/// PluginMain never logs (a fuzzed logFile must not be written). prevResult conversion is the
/// config target's.
enum FuzzPlugin: CNIPlugin {
    static func add(_ call: Call) throws -> Result {
        decodeAll(call)
        return Result(cniVersion: call.conf.cniVersion, ips: [.init(address: "10.1.0.5/16", gateway: "10.1.0.1")])
    }
    static func del(_ call: Call) throws { decodeAll(call) }
    static func check(_ call: Call) throws { decodeAll(call) }

    static func decodeAll(_ call: Call) {
        _ = try? call.decode(TuningConfig.self)
        _ = try? call.decode(BridgeConfig.self)
        _ = try? call.decode(MacvtapConfig.self)
    }
}
