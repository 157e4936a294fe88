import PluginABI

/// A plugin loaded into the calling process on an embedded core, given a host table its loader supplies:
/// a copy of the real one with some entries replaced. The plugin harness (Tests/PluginHarness) uses it to
/// drive a plugin's sessions over fake connections and a virtual clock. The steps are PluginManager's start
/// and stop, without a config document, events or listings. Control thread only, like the manager.
@_spi(PluginHarness) public final class InProcessPlugin: @unchecked Sendable {
    /// The table the core hands every plugin, for a loader to copy and override.
    public static var hostTable: mr_host_api { HostAPITable.table.pointee }

    /// Records `message` as the calling thread's `last_error` and returns `status`, as failing host calls do.
    public static func fail(_ status: Int32, _ message: String) -> Int32 { LastError.fail(Int(status), message) }

    /// Reads a size-prefixed ABI struct by the append-only rule (fields the writer did not know read as 0).
    public static func readSized<T>(_ pointer: UnsafePointer<T>) -> T { ABICopy.read(pointer) }

    public let name: String
    private let context: HostContext
    private let descriptor: PluginDescriptor
    // Control thread only, as the lifecycle calls themselves.
    private var stopped = false

    /// Loads the plugin at `path` and runs its `init` with `api`; a refusal (load or init) throws its reason.
    public init(path: String, config: [String: ConfigValue], core: CoreServices,
                api: UnsafePointer<mr_host_api>) throws(PluginLoadError) {
        descriptor = try PluginLoader.load(path: path)
        name = descriptor.name
        context = HostContext(name: descriptor.name, descriptor: descriptor, path: path, config: config, core: core)
        guard let initFn = descriptor.raw.`init` else { throw PluginLoadError(path: path, reason: "no init") }
        LastError.clear()
        var state: UnsafeMutableRawPointer?
        let rc = initFn(context.handle, api, &state)
        guard rc == MR_OK else {
            context.releaseAll()
            stopped = true
            throw PluginLoadError(path: path, reason: "init failed (\(rc)): \(LastErrorText.current)")
        }
        context.state = state
    }

    /// The `mr_host *` the plugin was given.
    public var host: OpaquePointer { context.handle }

    /// The plugin's counters (`stat_add`, `stat_set`).
    public var stats: [String: Int64] { context.statsSnapshot }

    /// The plugin's `start`; a failure throws its status and last error (call `stop` after it, as the core does).
    public func start() throws(PluginLoadError) {
        guard let startFn = descriptor.raw.start else { return }
        LastError.clear()
        let rc = startFn(context.state)
        guard rc == MR_OK else { throw PluginLoadError(path: context.path, reason: "start failed (\(rc)): \(LastErrorText.current)") }
    }

    /// The plugin's `stop`, then `closeRemaining` (what the loader's fakes still hold open: the host's own
    /// closing of connections), then the host's release of everything else, then `destroy`. Once.
    public func stop(closeRemaining: () -> Void = {}) {
        guard !stopped else { return }
        stopped = true
        if let stopFn = descriptor.raw.stop { stopFn(context.state) }
        closeRemaining()
        context.releaseAll()
        if let destroyFn = descriptor.raw.destroy { destroyFn(context.state) }
        context.state = nil
    }
}
