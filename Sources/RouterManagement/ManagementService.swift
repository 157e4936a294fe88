#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import MRPluginKit
import PluginABI
import RouterCore

/// The management side of the server: the ZLMediaKit-compatible API and web hooks (and, beside them,
/// metrics). It sits in the executable, not in a plugin, because it reaches the core's own state (sessions,
/// config file, plugin list) and its HTTP client needs SwiftNIO, which plugins never link. It still talks to
/// the bus and to plugins through the same C host table plugins use, with a host context of its own.
public final class ManagementService: @unchecked Sendable {
    let server: MediaRouterServer
    var core: CoreServices { server.core }
    let embedded: EmbeddedHost
    let host: PluginHost
    /// The hook service's own host context: commands carry their owner's name, so `hook.post` is offered by
    /// a context named "hook" ([hook] is the core's table: no plugin can take the name).
    let hookEmbedded: EmbeddedHost
    let hookHost: PluginHost
    let api: ApiRouter
    let loopLag: LoopLagProbe
    private(set) lazy var metrics = MetricsExporter(self)
    let snaps = SnapMaker()
    let logger: Logger
    let startedAt = Date()
    /// Set at the end of init: it needs the service itself (for bodies that read streams and plugins).
    private(set) var hooks: HookService?

    public init(server: MediaRouterServer, logger: Logger) {
        self.server = server
        self.logger = logger
        embedded = EmbeddedHost(core: server.core, name: "api")
        host = PluginHost(host: embedded.host, api: embedded.api)
        hookEmbedded = EmbeddedHost(core: server.core, name: "hook")
        hookHost = PluginHost(host: hookEmbedded.host, api: hookEmbedded.api)
        let core = server.core
        api = ApiRouter(host: host, settings: server.config.api, logger: logger, commandList: { core.commandList() })
        loopLag = LoopLagProbe(pollers: server.core.pollers)
        hooks = HookService(self)
    }

    /// [control] Registers the endpoints and the route; follows config reloads.
    public func start() {
        MediaEndpoints.register(self)
        SessionEndpoints.register(self)
        ServerEndpoints.register(self)
        PluginEndpoints.register(self)
        ProxyEndpoints.register(self)
        SnapEndpoints.register(self)
        _ = api.register()
        metrics.register()
        loopLag.start()
        hooks?.start(server.config)
        server.onApplied { [weak self] config in
            self?.api.apply(config.api)
            self?.hooks?.apply(config)
        }
    }

    /// Before the server stops: the hooks' HTTP client closes its connections on the core's loops.
    public func stop() {
        hooks?.stop()
        loopLag.stop()
        embedded.close()
        hookEmbedded.close()
    }
}
