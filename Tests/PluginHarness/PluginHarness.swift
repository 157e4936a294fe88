import Foundation
import Logging
import NIOConcurrencyHelpers
import PluginABI
@_spi(PluginHarness) import RouterCore

/// A plugin `.so` built by the package, loaded into the test process on a real core (bus, loops, auth,
/// routes), with its sockets and timers faked: the test plays every peer and owns the clock, so a session's
/// state machine runs deterministically.
///
///     let h = try PluginHarness(plugin: "rtmp", config: "port = 0")
///     let c = try h.connect()
///     c.feed(bytes); h.runLoops()
///     c.takeSent()              // what the plugin answered
///     h.advance(ms: 10_000)     // its timers fire; no sleeping
///     h.shutdown()
///
/// Drive it from the test thread only (never from a loop). One harness at a time: `now_us` has no handle
/// and reads the newest harness's clock.
public final class PluginHarness: @unchecked Sendable {
    public let core: CoreServices
    public let name: String
    private let fakes: FakeHost
    private let plugin: InProcessPlugin
    /// The test's own plugin context on the bus (synthetic publishers and probes), on the real host table.
    private let embedded: EmbeddedHost
    private let probes = NIOLockedValueBox<[BusProbe]>([])
    private let finished = NIOLockedValueBox(false)

    /// Loads `libmrplugin_<plugin>.so` (or `path`) with `config` as the body of its plugins.conf table, and
    /// starts it. `threads` loops run the core (1 keeps every callback in one order).
    public init(plugin: String, config: String = "", threads: Int = 1, server: ServerSettings = ServerSettings(),
                path: String? = nil) throws {
        name = plugin
        let table = try ConfigDocument.parse(text: "[\(plugin)]\n\(config)\n", path: "harness:\(plugin)").plugin(plugin) ?? [:]
        var settings = server
        settings.threads = threads
        // Probes see every frame as it is written: holding audio for the next video frame is the core's
        // delivery timing (AudioHoldTests), which would make a probe's last audio frames arrive on a timer.
        settings.bus.coalesceAudio = false
        var logger = Logger(label: "harness")
        logger.logLevel = ProcessInfo.processInfo.environment["MR_HARNESS_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        let pollers = Pollers(threads: threads)
        let core = CoreServices(pollers: pollers, settings: settings, logger: logger)
        self.core = core
        fakes = FakeHost(pollers: pollers)
        embedded = EmbeddedHost(core: core, name: "harness")
        HarnessRegistry.loading(fakes)
        do {
            self.plugin = try InProcessPlugin(path: path ?? PluginBinaries.path(plugin), config: table, core: core,
                                              api: FakeHostTable.table)
        } catch {
            HarnessRegistry.unregister(fakes)
            embedded.close()
            core.shutdown()
            pollers.shutdown()
            throw HarnessError("\(error)")
        }
        HarnessRegistry.register(fakes, host: self.plugin.host)
        do {
            try self.plugin.start()
        } catch {
            shutdown()
            throw HarnessError("\(error)")
        }
    }

    deinit { shutdown() }

    // MARK: loops and time

    /// Lets every loop run what is queued, a few rounds, since a task may queue another hop (bus delivery,
    /// auth answers, a plugin's run_on_loop).
    public func runLoops(rounds: Int = 4) {
        for _ in 0..<rounds { for loop in core.pollers.loops { _ = try? loop.submit {}.wait() } }
    }

    /// Moves the plugin's clock forward: each timer due on the way fires on its loop, in due order, and the
    /// loops settle after each one. `advance(ms: 0)` fires what is due now.
    public func advance(ms: Int64) {
        fakes.advance(byMs: ms) { runLoops() }
        runLoops()
    }

    public var clock: VirtualClock { fakes.clock }

    // MARK: TCP and UDP

    /// The plugin's listeners, in the order it opened them.
    public var listeners: [FakeListener] { fakes.listeners }

    /// A client connects to the plugin's listener on `port` (its first open listener if nil); on_open has
    /// run when this returns.
    public func connect(port: UInt16? = nil, loop: Int? = nil) throws -> FakeConnection {
        guard let l = fakes.listeners.first(where: { !$0.isClosed && (port == nil || $0.port == port) }) else {
            throw HarnessError("the plugin has no open listener\(port.map { " on port \($0)" } ?? "")")
        }
        return fakes.accept(on: l, loop: loop)
    }

    /// Connections the plugin opened with tcp_connect (pulls, pushes), to accept or refuse.
    public var outgoing: [FakeConnection] { fakes.outgoing }

    /// The plugin's UDP sockets, in the order it bound them.
    public var udpSockets: [FakeUdpSocket] { fakes.udpSockets }

    // MARK: the bus

    /// Publishes a synthetic stream the plugin's players can read.
    public func publish(app: String, stream: String, tracks: [BusTrack], loop: Int = 0) throws -> BusPublisher {
        try BusPublisher(embedded: embedded, app: app, stream: stream, tracks: tracks, loopIndex: loop)
    }

    /// Reads a stream (one the plugin publishes, say) from the bus; waits `waitMs` for it to appear.
    public func read(app: String, stream: String, waitMs: Int32 = 3000, loop: Int = 0) throws -> BusProbe {
        let p = try BusProbe(embedded: embedded, app: app, stream: stream, loopIndex: loop, waitMs: waitMs)
        probes.withLockedValue { $0.append(p) }
        return p
    }

    /// The streams on the bus now, as the management API lists them.
    public var streams: [[String: Any]] { core.bus.describeStreams() }

    /// The plugin's counters.
    public var stats: [String: Int64] { plugin.stats }

    // MARK: teardown

    /// Stops the plugin as the core does (stop, the host closes what is left, destroy), then the core.
    /// Called by deinit if the test did not.
    public func shutdown() {
        let first = finished.withLockedValue { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else { return }
        plugin.stop { fakes.closeAll() }
        embedded.close()
        HarnessRegistry.unregister(fakes)
        core.shutdown()
        core.pollers.shutdown()
        probes.withLockedValue { $0.removeAll() }
    }
}
