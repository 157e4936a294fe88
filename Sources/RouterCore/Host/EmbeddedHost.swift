import PluginABI

/// A plugin context for code that embeds the core (benchmarks, tools, tests): it drives the core through
/// the same C host table a loaded plugin gets, so what it measures is what plugins pay.
public final class EmbeddedHost: @unchecked Sendable {
    public let core: CoreServices
    private let context: HostContext

    public init(core: CoreServices, name: String) {
        self.core = core
        var raw = mr_plugin_descriptor()
        raw.size = UInt32(MemoryLayout<mr_plugin_descriptor>.size)
        context = HostContext(name: name, descriptor: PluginDescriptor(raw), path: "-", config: [:], core: core)
    }

    public var host: OpaquePointer { context.handle }
    public var api: UnsafePointer<mr_host_api> { UnsafePointer(HostAPITable.table) }

    /// Closes everything opened through this host, as a plugin stop would.
    public func close() { context.releaseAll() }
}
