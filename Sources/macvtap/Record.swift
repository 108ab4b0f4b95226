/// What ADD did for one attachment, kept per network under `dataDir` (0600) so DEL and GC can undo it
/// even when the config's details are gone: which flow, the macvtap's node-side name, and (device-plugin
/// flow) the values to give the device back with.
struct AttachmentRecord: Codable, Equatable {
    var containerID: String
    var ifname: String
    var netns: String
    /// The pod namespace's identity at ADD (`PodNamespace.identity`): GC touches only that namespace, and
    /// ADD's sweep (`Leftovers`) removes the record once it is gone.
    var netnsID: String?
    /// True when the device plugin made the macvtap (it goes back to the node); false when we did (it is deleted).
    var devicePlugin: Bool
    /// The device plugin's name for it, or our temporary name.
    var nodeName: String
    var originalMAC: String?
    var originalMTU: UInt32?
    var originalPromiscuous: Bool?
}
