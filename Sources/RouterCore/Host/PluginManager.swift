#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import NIOConcurrencyHelpers
import PluginABI

/// Loads, starts, reconfigures and stops plugins from a config document. Runs on the control thread only.
final class PluginManager: @unchecked Sendable {
    private let core: CoreServices
    private let logger: Logger
    private(set) var instances: [PluginInstance] = []
    private let describeLock = NIOLock()
    private var published: [PluginInstance] = []

    init(core: CoreServices) {
        self.core = core
        self.logger = core.logger
    }

    /// Any thread: the instances the control thread last published, described now (live counters).
    var descriptions: [[String: Any]] {
        describeLock.lock()
        let list = published
        describeLock.unlock()
        return list.map { $0.describe() }
    }

    /// What the running plugins declare they serve (ABI 1.3), in config order, by table name.
    var declarations: [(plugin: String, declaration: PluginDeclaration)] {
        describeLock.lock()
        let list = published
        describeLock.unlock()
        return list.filter { $0.state == .running }.map { ($0.entry.name, $0.descriptor?.declaration ?? .empty) }
    }

    /// Contexts of the running plugins (control-thread snapshot published with the descriptions).
    var runningContexts: [HostContext] {
        describeLock.lock()
        let list = published
        describeLock.unlock()
        return list.compactMap(\.context)
    }

    func publishDescriptions() {
        describeLock.lock()
        published = instances
        describeLock.unlock()
    }

    /// Brings the running set in line with `entries`: new and newly enabled plugins start, removed and
    /// disabled ones stop, changed ones are reconfigured (or restarted when they ask). Untouched plugins
    /// are not called at all.
    func apply(_ entries: [PluginEntry]) {
        let wanted = Set(entries.map(\.name))
        for instance in instances where !wanted.contains(instance.entry.name) {
            logger.info("plugin \(instance.entry.name): removed from the config, stopping")
            stop(instance)
        }
        instances.removeAll { !wanted.contains($0.entry.name) }
        for entry in entries {
            if let existing = instances.first(where: { $0.entry.name == entry.name }) {
                update(existing, to: entry)
            } else {
                let instance = PluginInstance(entry: entry, state: .disabled)
                instances.append(instance)
                if entry.enabled { start(instance) } else { logger.info("plugin \(entry.name): disabled") }
            }
        }
        instances.sort { a, b in
            (entries.firstIndex { $0.name == a.entry.name } ?? 0) < (entries.firstIndex { $0.name == b.entry.name } ?? 0)
        }
        publishDescriptions()
    }

    private func update(_ instance: PluginInstance, to entry: PluginEntry) {
        let old = instance.entry
        guard old != entry else { return }
        instance.entry = entry
        if !entry.enabled {
            if instance.state == .running { logger.info("plugin \(entry.name): disabled, stopping") }
            stop(instance)
            instance.state = .disabled
            return
        }
        guard instance.state == .running, let ctx = instance.context, old.path == entry.path else {
            // Not running (was disabled, refused or failed) or moved to another file: start afresh.
            stop(instance)
            start(instance)
            return
        }
        ctx.replaceConfig(entry.table)
        let result: Int32
        if let reconfigure = instance.descriptor?.raw.reconfigure {
            LastError.clear()
            result = reconfigure(ctx.state)
        } else {
            result = Int32(MR_RESTART)
        }
        switch Int(result) {
        case Int(MR_OK):
            logger.info("plugin \(entry.name): reconfigured")
        case Int(MR_RESTART):
            logger.info("plugin \(entry.name): restarting for its new config")
            stop(instance)
            start(instance)
        default:
            logger.error("plugin \(entry.name): reconfigure failed (\(result)): \(LastErrorText.current); it keeps running")
        }
    }

    private func start(_ instance: PluginInstance) {
        let entry = instance.entry
        let descriptor: PluginDescriptor
        do {
            descriptor = try PluginLoader.load(path: entry.path)
        } catch {
            instance.state = .refused(error.reason)
            logger.error("plugin \(entry.name) refused: \(error.description)")
            core.bus.events.emit(BusEvent(type: MR_EVENT_PLUGIN_STATE, protocolName: entry.name, detail: "refused"))
            return
        }
        instance.descriptor = descriptor
        if descriptor.name != entry.name {
            logger.notice("plugin table [\(entry.name)] loads plugin '\(descriptor.name)' from \(entry.path)")
        }
        let ctx = HostContext(name: entry.name, descriptor: descriptor, path: entry.path, config: entry.table, core: core)
        var state: UnsafeMutableRawPointer?
        guard let initFn = descriptor.raw.`init` else { return }
        LastError.clear()
        let rc = initFn(ctx.handle, HostAPITable.table, &state)
        guard rc == MR_OK else {
            instance.state = .refused("init failed (\(rc)): \(LastErrorText.current)")
            logger.error("plugin \(entry.name) refused: init failed (\(rc)): \(LastErrorText.current)")
            core.bus.events.emit(BusEvent(type: MR_EVENT_PLUGIN_STATE, protocolName: entry.name, detail: "refused"))
            ctx.releaseAll()
            return
        }
        ctx.state = state
        instance.context = ctx
        if let startFn = descriptor.raw.start {
            LastError.clear()
            let rc = startFn(state)
            guard rc == MR_OK else {
                let why = "start failed (\(rc)): \(LastErrorText.current)"
                logger.error("plugin \(entry.name) \(why)")
                stop(instance)
                instance.state = .failed(why)
                return
            }
        }
        instance.state = .running
        logger.info("plugin \(entry.name) \(descriptor.version) started (ABI \(descriptor.abiMajor).\(descriptor.abiMinor), \(descriptor.buildSignature))")
        core.bus.events.emit(BusEvent(type: MR_EVENT_PLUGIN_STATE, protocolName: entry.name, detail: "started"))
    }

    /// Stops a plugin: its `stop`, then the host closes what is left, then `destroy`.
    func stop(_ instance: PluginInstance) {
        guard let ctx = instance.context else { return }
        instance.context = nil
        if let stopFn = instance.descriptor?.raw.stop { stopFn(ctx.state) }
        ctx.releaseAll()
        instance.whileNoStatusRead {
            if let destroyFn = instance.descriptor?.raw.destroy { destroyFn(ctx.state) }
            ctx.state = nil
        }
        if case .running = instance.state { instance.state = .disabled }
        logger.info("plugin \(instance.entry.name) stopped")
        core.bus.events.emit(BusEvent(type: MR_EVENT_PLUGIN_STATE, protocolName: instance.entry.name, detail: "stopped"))
    }

    func stopAll() {
        for instance in instances.reversed() { stop(instance) }
        publishDescriptions()
    }
}

enum LastErrorText {
    static var current: String { LastError.get().map { String(cString: $0) } ?? "no message" }
}
