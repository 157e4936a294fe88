import PluginABI
#if canImport(Glibc)
import Glibc
#endif

/// What a Swift plugin object does at each step of the ABI's lifecycle. With `DescriptorBuilder.make(…,
/// create:)` a plugin writes only this, not the C callbacks.
public protocol PluginLifecycle: AnyObject {
    /// [control] Open listeners, start proxies. MR_OK or an error status.
    func start() -> Int32
    /// [control] Apply a changed config table: MR_OK, or MR_RESTART to be stopped and started again.
    func reconfigure() -> Int32
    /// [control] Close what `start` opened; the host closes anything left.
    func stop()
}

public extension PluginLifecycle {
    func reconfigure() -> Int32 { Int32(MR_RESTART) }
}

public extension DescriptorBuilder {
    /// A descriptor whose callbacks drive the object `create` makes in init. Each plugin library links its
    /// own copy of this kit, so the one factory per process image is the plugin's own.
    static func make(name: String, version: String, description: String, license: String = "MIT",
                     configKeys: [(String, mr_config_type, String)] = [], serves: String? = nil,
                     create: @escaping (PluginHost) -> PluginLifecycle) -> UnsafePointer<mr_plugin_descriptor> {
        pluginFactory = create
        return make(
            name: name, version: version, description: description, license: license, configKeys: configKeys, serves: serves,
            initialize: { host, api, state in
                guard let host, let api, let factory = pluginFactory else { return Int32(MR_ERR_INVALID) }
                ConnectionBridge.bridgeAPI = api
                let plugin = PluginBox.retain(factory(PluginHost(host: host, api: api)) as AnyObject)
                OfferedCommands.instance(plugin, host: host)
                state?.pointee = plugin
                return Int32(MR_OK)
            },
            start: { s in lifecycle(s)?.start() ?? Int32(MR_ERR_INVALID) },
            reconfigure: { s in lifecycle(s)?.reconfigure() ?? Int32(MR_RESTART) },
            stop: { s in lifecycle(s)?.stop() },
            destroy: { s in
                OfferedCommands.destroyed(s)
                PluginBox.release(s, as: AnyObject.self)
            },
            status: { s in PluginStatusText.of(s) })
    }
}

/// A plugin object with a one-line status for plugin lists (the descriptor's `status`, any thread).
public protocol PluginStatusReporting: AnyObject {
    var statusLine: String { get }
}

enum PluginStatusText {
    /// One buffer per thread, as the ABI asks: valid until the next status call on the same thread.
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { free($0) }
        return key
    }()

    static func of(_ state: UnsafeMutableRawPointer?) -> UnsafePointer<CChar>? {
        guard let reporter = PluginBox.borrow(state, as: AnyObject.self) as? PluginStatusReporting else { return nil }
        let copy = strdup(reporter.statusLine)
        free(pthread_getspecific(key))
        pthread_setspecific(key, copy)
        return UnsafePointer(copy)
    }
}

private func lifecycle(_ state: UnsafeMutableRawPointer?) -> PluginLifecycle? {
    PluginBox.borrow(state, as: AnyObject.self) as? PluginLifecycle
}

/// A global, not a member: the C callbacks above cannot capture context.
nonisolated(unsafe) private var pluginFactory: ((PluginHost) -> PluginLifecycle)?
