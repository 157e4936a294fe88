import Dispatch
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOConcurrencyHelpers

/// The running server: pollers, core services, plugins, and the reload paths (SIGHUP, file change,
/// host call). Every plugin lifecycle call happens on one serial control queue.
public final class MediaRouterServer: @unchecked Sendable {
    public let core: CoreServices
    private let manager: PluginManager
    private let control = DispatchQueue(label: "mediarouter.control")
    private let configPath: String
    private let executableDir: String
    private var current: ServerConfig
    private var watcher: ConfigWatcher?
    private var trimmer: HeapTrimmer?
    private var logger: Logger
    public let logLevel: NIOLockedValueBox<Logger.Level>

    public init(config: ServerConfig, configPath: String, executableDir: String, logger: Logger,
                logLevel: NIOLockedValueBox<Logger.Level>) {
        self.current = config
        self.snapshot = NIOLockedValueBox(config)
        self.configPath = configPath
        self.executableDir = executableDir
        self.logger = logger
        self.logLevel = logLevel
        let pollers = Pollers(threads: config.settings.threads)
        self.core = CoreServices(pollers: pollers, settings: config.settings, logger: logger)
        self.manager = PluginManager(core: core)
        core.describePlugins = { [weak manager] in manager?.descriptions ?? [] }
        core.requestReload = { [weak self] in self?.reload(reason: "requested by a plugin") }
    }

    /// The config now applied.
    /// Readable from any thread, loops included (never waits on the control queue, which may be waiting on
    /// the loops during a reload).
    public var config: ServerConfig { snapshot.withLockedValue { $0 } }
    private let snapshot: NIOLockedValueBox<ServerConfig>
    public var configFile: String { configPath }

    /// Checks a config text as a reload would, without applying it; nil when it is valid. With
    /// `untrusted` (text from the management API), library paths must be the running ones: validating loads
    /// each enabled plugin's library to read its keys, and a caller must not make the server load another.
    public func validate(text: String, untrusted: Bool = false) -> ConfigError? {
        do {
            let document = try ConfigDocument.parse(text: text, path: configPath)
            if untrusted {
                let running = config.document
                if document.server["plugin_dir"] != running.server["plugin_dir"] {
                    return ConfigError(file: configPath, line: document.line(table: "server", key: "plugin_dir"), table: "server",
                                       key: "plugin_dir", message: "cannot be changed through the API")
                }
                for (name, table) in document.plugins where table["path"] != nil && table["path"] != running.plugin(name)?["path"] {
                    return ConfigError(file: configPath, line: document.line(table: name, key: "path"), table: name, key: "path",
                                       message: "a plugin library path cannot be set through the API")
                }
            }
            _ = try ServerConfig.validate(document, executableDir: executableDir)
            return nil
        } catch {
            return error
        }
    }

    /// Stops the plugins and replaces the process with a new run of the same executable and arguments
    /// (the management API's restartServer). Returns only if exec failed.
    public func restartProcess() {
        stop()
        let args = CommandLine.arguments
        var cArgs = args.map { strdup($0) } + [nil]
        // The calling thread (a worker) may block signals, and the mask survives exec: the new process
        // starts with none blocked, so SIGTERM and SIGHUP work there.
        var none = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, nil)
        execv("/proc/self/exe", &cArgs)
        logger.error("restart failed: exec: \(String(cString: strerror(errno)))")
        exit(1)
    }

    /// Open TCP connections of every plugin.
    public func sessions() -> [SessionInfo] { manager.runningContexts.flatMap(\.sessionList) }

    /// Closes a connection by id (whichever plugin has it); false if none has.
    public func kickSession(_ id: UInt64) -> Bool { manager.runningContexts.contains { $0.kick(id) } }

    /// Runs after each applied config (start and reloads), on the control queue.
    public func onApplied(_ body: @escaping @Sendable (ServerConfig) -> Void) { control.sync { appliedHandlers.append(body) } }
    private var appliedHandlers: [@Sendable (ServerConfig) -> Void] = []

    public func start() {
        control.sync {
            for w in current.warnings { logger.warning("\(w)") }
            logger.info("MediaRouter \(HostAPITable.serverVersion) starting: \(core.pollers.count) loops, config \(configPath)")
            manager.apply(current.plugins)
            manager.publishDescriptions()
            if current.settings.watchConfig { startWatcher(intervalMs: current.settings.watchIntervalMs) }
            trimmer = HeapTrimmer(queue: control)
            // Every plugin has started or been refused: listeners are bound (what a supervisor or a test waits for).
            logger.notice("ready (plugins started)")
        }
    }

    /// Validates the file again and applies the difference; a bad file changes nothing.
    public func reload(reason: String) {
        control.async { self.reloadOnControl(reason: reason) }
    }

    /// For tests and the CLI: reload and wait for it to finish. Returns the error if the file was refused.
    @discardableResult
    public func reloadNow(reason: String) -> ConfigError? { control.sync { reloadOnControl(reason: reason) } }

    @discardableResult
    private func reloadOnControl(reason: String) -> ConfigError? {
        logger.info("reloading \(configPath) (\(reason))")
        let next: ServerConfig
        do {
            next = try ServerConfig.load(path: configPath, executableDir: executableDir)
        } catch {
            logger.error("config not applied, keeping the running one: \(error)")
            return error
        }
        for w in next.warnings { logger.warning("\(w)") }
        if next.settings.threads != current.settings.threads {
            logger.warning("[server] threads changed to \(next.settings.threads): takes effect at the next restart")
        }
        if next.settings.logLevel != current.settings.logLevel {
            logLevel.withLockedValue { $0 = next.settings.logLevel }
            logger.info("log level is now \(next.settings.logLevel)")
        }
        core.apply(next.settings)
        manager.apply(next.plugins)
        if next.settings.watchConfig != current.settings.watchConfig || next.settings.watchIntervalMs != current.settings.watchIntervalMs {
            watcher?.stop()
            watcher = nil
            if next.settings.watchConfig { startWatcher(intervalMs: next.settings.watchIntervalMs) }
        }
        current = next
        snapshot.withLockedValue { $0 = next }
        manager.publishDescriptions()
        for h in appliedHandlers { h(next) }
        logger.info("config applied")
        return nil
    }

    private func startWatcher(intervalMs: Int) {
        watcher = ConfigWatcher(path: configPath, intervalMs: intervalMs, queue: control) { [weak self] in
            self?.reloadOnControl(reason: "file changed")
        }
    }

    /// The plugins as of the last start or reload (states are read live); any thread.
    public var pluginDescriptions: [[String: Any]] { manager.descriptions }

    /// What the running plugins serve (their ABI 1.3 declarations), by table name; any thread.
    public var pluginDeclarations: [(plugin: String, declaration: PluginDeclaration)] { manager.declarations }

    public func stop() {
        control.sync {
            watcher?.stop()
            watcher = nil
            trimmer?.stop()
            trimmer = nil
            logger.info("stopping")
            manager.stopAll()
        }
        core.shutdown()
        core.pollers.shutdown()
        logger.info("stopped")
    }
}
