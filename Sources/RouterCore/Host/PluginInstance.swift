#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOConcurrencyHelpers
import PluginABI

/// A plugin table's runtime state: what was loaded, and whether it runs.
final class PluginInstance: @unchecked Sendable {
    enum State: Equatable {
        case disabled
        case running
        case refused(String)
        case failed(String)

        var text: String {
            switch self {
            case .disabled: return "disabled"
            case .running: return "running"
            case .refused(let why): return "refused: \(why)"
            case .failed(let why): return "failed: \(why)"
            }
        }
    }

    // Written on the control thread, read by lists from any thread.
    private let lock = NIOLock()
    private var _entry: PluginEntry
    private var _descriptor: PluginDescriptor?
    private var _context: HostContext?
    private var _state: State

    var entry: PluginEntry { get { locked { _entry } } set { locked { _entry = newValue } } }
    var descriptor: PluginDescriptor? { get { locked { _descriptor } } set { locked { _descriptor = newValue } } }
    var context: HostContext? { get { locked { _context } } set { locked { _context = newValue } } }
    var state: State { get { locked { _state } } set { locked { _state = newValue } } }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    init(entry: PluginEntry, state: State) {
        _entry = entry
        _state = state
    }

    /// The plugin's own status line (the ABI allows any thread). Held under `statusLock`, which `destroy`
    /// also takes: a status read from a management thread never runs into a plugin being destroyed.
    var statusLine: String? {
        statusLock.lock()
        defer { statusLock.unlock() }
        guard let context = self.context, let fn = descriptor?.raw.status, let state = context.state, let p = fn(state) else { return nil }
        return String(cString: p)
    }

    private let statusLock = NIOLock()

    /// Runs `body` (the plugin's destroy) while no status line is being read.
    func whileNoStatusRead(_ body: () -> Void) {
        statusLock.lock()
        defer { statusLock.unlock() }
        body()
    }

    func describe() -> [String: Any] {
        let (entry, descriptor, context, state) = locked { (_entry, _descriptor, _context, _state) }
        // A placeholder that runs does nothing: it says so rather than "running" (lists, metrics).
        let shown = state == .running && descriptor?.declaration.implemented == false ? "not implemented" : state.text
        var d: [String: Any] = [
            "name": entry.name, "path": entry.path, "enabled": entry.enabled, "state": shown,
        ]
        if let descriptor {
            d["plugin"] = descriptor.name
            d["version"] = descriptor.version
            d["abi"] = "\(descriptor.abiMajor).\(descriptor.abiMinor)"
            d["description"] = descriptor.description
            d["license"] = descriptor.license
            d["build_signature"] = descriptor.buildSignature
            d["config_keys"] = descriptor.configKeys.map(\.name)
            d["config_key_types"] = Dictionary(descriptor.configKeys.map { ($0.name, ConfigKeyType.name(ofABI: $0.type)) }, uniquingKeysWith: { a, _ in a })
            d["serves"] = descriptor.declaration.jsonValue
        }
        if let context {
            d["listeners"] = context.listenerPorts
            d["sessions"] = context.connectionCount
            d["stats"] = context.statsSnapshot
        }
        if let status = statusLine { d["status"] = status }
        return d
    }
}
