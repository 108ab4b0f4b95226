import CNIKit
import Netlink

/// `vlan`, `vlanTrunk` and `preserveDefaultVlan`, validated: what the pod's port on the bridge carries,
/// as the reference plugin sets it since v1.8.0. An access port (`vlan`: untagged frames of the pod are in
/// that VLAN), a trunk (`vlanTrunk`: the pod sends and receives those VLANs tagged, and VLAN 1 untagged),
/// or both: a trunk whose native (untagged) VLAN is `vlan`.
struct PortVLANs: Equatable, Sendable {
    /// The access VLAN, or the trunk's native one (PVID, egress untagged); nil for none (`vlan` 0 or absent).
    var access: UInt16?
    /// The trunk's VLANs (tagged), sorted, overlapping and adjacent entries merged.
    var trunk: [ClosedRange<UInt16>]
    /// false (the default since reference v1.8.0) removes the VLANs the port joined with (the bridge's
    /// default PVID, 1 unless the bridge says otherwise) before it gets its own.
    var preserveDefault: Bool

    /// A trunk without `vlan` carries this VLAN untagged, whatever the bridge's default PVID (the
    /// reference's native VLAN).
    static let trunkNative: UInt16 = 1

    static let none = PortVLANs(access: nil, trunk: [], preserveDefault: false)

    var isEmpty: Bool { access == nil && trunk.isEmpty }

    init(access: UInt16?, trunk: [ClosedRange<UInt16>], preserveDefault: Bool) {
        self.access = access
        self.trunk = trunk
        self.preserveDefault = preserveDefault
    }

    init(_ config: BridgeConfig) throws(CNIError) {
        preserveDefault = config.preserveDefaultVlan ?? false
        let vlan = config.vlan ?? 0
        guard (0...4094).contains(vlan) else {
            throw CNIError(.invalidConfig, "vlan: \(vlan) is not a VLAN ID (1 to 4094, 0 or absent for none)")
        }
        access = vlan == 0 ? nil : UInt16(vlan)
        trunk = try PortVLANs.trunk(config.vlanTrunk ?? [])
        if let access, trunk.contains(where: { $0.contains(access) }) {
            throw CNIError(.invalidConfig, "vlan and vlanTrunk: VLAN \(access) cannot be both the trunk's native (untagged) VLAN and one of its tagged VLANs; take it out of vlanTrunk, or set another vlan")
        }
    }

    /// What ADD puts on the port, in this order (a `pvid` VLAN takes the PVID from the default one): the
    /// access or native VLAN, the trunk's VLANs, and for a trunk without `vlan` VLAN 1 as its native one.
    var additions: [BridgeVLANRange] {
        let native = access ?? (trunk.isEmpty ? nil : PortVLANs.trunkNative)
        let trunkRanges = trunk.map { BridgeVLANRange($0) }
        guard let native else { return trunkRanges }
        let untagged = BridgeVLANRange(native...native, pvid: true, untagged: true)
        return access == nil ? trunkRanges + [untagged] : [untagged] + trunkRanges
    }

    /// The configured VLANs by ID, with the flags ADD gives them.
    var configured: [UInt16: BridgeVLAN] {
        var result: [UInt16: BridgeVLAN] = [:]
        for range in additions {
            for id in range.ids { result[id] = BridgeVLAN(id: id, pvid: range.pvid, untagged: range.untagged) }
        }
        return result
    }

    /// Each entry is `{"id": N}` or `{"minID": A, "maxID": B}` with 1 <= A <= B <= 4094; the reference takes
    /// an entry with both forms (adding both) or with neither (adding nothing): both are refused here.
    private static func trunk(_ entries: [BridgeConfig.VLANTrunk]) throws(CNIError) -> [ClosedRange<UInt16>] {
        var ranges: [ClosedRange<Int>] = []
        for (index, entry) in entries.enumerated() {
            let name = "vlanTrunk[\(index)]"
            switch (entry.id, entry.minID, entry.maxID) {
            case (let id?, nil, nil):
                try check(id, "\(name).id")
                ranges.append(id...id)
            case (nil, let low?, let high?):
                try check(low, "\(name).minID")
                try check(high, "\(name).maxID")
                guard low <= high else {
                    throw CNIError(.invalidConfig, "\(name): minID \(low) is greater than maxID \(high)")
                }
                ranges.append(low...high)
            case (nil, let low?, nil):
                throw CNIError(.invalidConfig, "\(name): minID \(low) needs a maxID (a range is {\"minID\": A, \"maxID\": B})")
            case (nil, nil, let high?):
                throw CNIError(.invalidConfig, "\(name): maxID \(high) needs a minID (a range is {\"minID\": A, \"maxID\": B})")
            default:
                throw CNIError(.invalidConfig, "\(name): give either {\"id\": N} or {\"minID\": A, \"maxID\": B}, exactly one of the two")
            }
        }
        return merge(ranges).map { UInt16($0.lowerBound)...UInt16($0.upperBound) }
    }

    private static func check(_ id: Int, _ name: String) throws(CNIError) {
        guard (1...4094).contains(id) else {
            throw CNIError(.invalidConfig, "\(name): \(id) is not a VLAN ID (1 to 4094)")
        }
    }

    /// Sorted, with overlapping and adjacent ranges joined.
    static func merge(_ ranges: [ClosedRange<Int>]) -> [ClosedRange<Int>] {
        var merged: [ClosedRange<Int>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, range.lowerBound <= last.upperBound + 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged
    }

    /// "10", "10-20, 30" for messages.
    static func describe(_ ids: [UInt16]) -> String {
        merge(ids.map { Int($0)...Int($0) })
            .map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            .joined(separator: ", ")
    }
}
