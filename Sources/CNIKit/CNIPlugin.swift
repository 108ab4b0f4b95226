/// A CNI plugin: one static function per command. Hand the type to `PluginMain.exit`.
/// Throw `CNIError` (or a `CNIErrorConvertible`) for errors with a spec code; any other
/// error is reported as an I/O failure (code 5) with its description.
public protocol CNIPlugin {
    /// The spec versions the plugin accepts in a config; default: `CNIVersion.all`.
    static var supportedVersions: [String] { get }
    /// Attaches the container; the result is printed in the config's `cniVersion`.
    static func add(_ call: Call) throws -> Result
    /// Detaches; must succeed when what ADD made is already gone.
    static func del(_ call: Call) throws
    /// Verifies that what ADD made is still as made (configs of 0.4.0 and later).
    static func check(_ call: Call) throws
    /// Reports readiness (1.1.0 and later); default: ready.
    static func status(_ call: Call) throws
    /// Removes leftovers of attachments not in `conf.validAttachments` (1.1.0 and later); default: nothing.
    static func gc(_ call: Call) throws
}

extension CNIPlugin {
    public static var supportedVersions: [String] { CNIVersion.all }
    public static func status(_ call: Call) throws {}
    public static func gc(_ call: Call) throws {}
}
