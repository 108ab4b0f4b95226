import CNIKit

/// Config decoding as a plugin sees it: the common keys (NetConf, including prevResult in the config's
/// version) and each plugin's own struct through `Call.decode`. Properties: every failure is a CNIError
/// with a spec code for bad input (1, 6 or 7) and a message; parsed JSON re-serialises to the same value.
func fuzzOne(_ bytes: [UInt8]) {
    let json: JSONValue
    do { json = try JSONValue.parse(bytes) } catch {
        guard error.code == .decodeFailure else { violated("invalid JSON gave code \(error.code.rawValue)") }
        return
    }
    // What a plugin prints and logs (prevResult, runtimeConfig) must read back as the same value.
    let text = json.serialized()
    guard let again = try? JSONValue.parse(Array(text.utf8)), again == json else {
        violated("\(text) does not parse back to the value it came from")
    }
    let conf: NetConf
    do { conf = try NetConf.parse(bytes) } catch {
        expectInputError(error)
        return
    }
    let environment = addEnvironment
    // The log goes nowhere: a fuzzed logFile must not be written.
    let call = Call(environment: environment, stdin: bytes, conf: conf, log: Log(level: .error, file: nil))
    do { _ = try call.decode(TuningConfig.self) } catch { expectInputError(error) }
    do { _ = try call.decode(BridgeConfig.self) } catch { expectInputError(error) }
    do { _ = try call.decode(MacvtapConfig.self) } catch { expectInputError(error) }
    do { _ = try call.decode(OverlayConfig.self) } catch { expectInputError(error) }
    if let prev = conf.prevResult {
        // The chained plugin prints prevResult back in the config's version.
        do { _ = try prev.encoded(as: conf.cniVersion) } catch { expectInputError(error) }
    }
}

func expectInputError(_ error: CNIError) {
    guard [1, 6, 7].contains(error.code.rawValue), !error.msg.isEmpty else {
        violated("bad input gave \(error)")
    }
}

let addEnvironment = try! Environment.parse([
    "CNI_COMMAND": "ADD", "CNI_CONTAINERID": "c0ffee", "CNI_NETNS": "/var/run/netns/pod", "CNI_IFNAME": "eth0",
    "CNI_PATH": "/opt/cni/bin",
])
