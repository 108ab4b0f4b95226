import Attach
import Testing

@Suite struct OwnerMarkTests {
    @Test func roundTripsThroughTheAlias() {
        let overlay = OwnerMark(plugin: "layer2-overlay", network: "l2net", vni: 4242)
        #expect(overlay.description == "swift-cni plugin=layer2-overlay network=l2net vni=4242")
        #expect(OwnerMark(alias: overlay.description) == overlay)
        let bridge = OwnerMark(plugin: "bridge", network: "br-net")
        #expect(OwnerMark(alias: bridge.description) == bridge && bridge.vni == nil)
    }

    /// An admin's own alias, or one that only looks like ours, is no mark: it belongs to nobody we know.
    @Test(arguments: [nil, "uplink to the storage switch", "swift-cni", "swift-cni network=x", "swift-cni plugin=bridge",
                      "swift-cni plugin=layer2-overlay network=n vni=x", "swift-cnix plugin=bridge network=n"])
    func otherAliasesAreNoMark(alias: String?) {
        #expect(OwnerMark(alias: alias) == nil)
    }

    /// An alias holds 255 bytes: a very long network name is marked by a hash of it, the same every time.
    @Test func longNetworkNamesAreHashed() {
        let name = String(repeating: "n", count: 300)
        let mark = OwnerMark(plugin: "bridge", network: name)
        #expect(mark.network.hasPrefix("#") && mark.description.utf8.count < 255)
        #expect(mark == OwnerMark(plugin: "bridge", network: name) && mark != OwnerMark(plugin: "bridge", network: name + "x"))
        #expect(OwnerMark(alias: mark.description) == mark)
    }
}
