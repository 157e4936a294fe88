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

    var entry: PluginEntry
    var descriptor: PluginDescriptor?
    var context: HostContext?
    var state: State

    init(entry: PluginEntry, state: State) {
        self.entry = entry
        self.state = state
    }

    /// The plugin's own status line, asked on the control thread.
    var statusLine: String? {
        guard let context, let fn = descriptor?.raw.status, let state = context.state, let p = fn(state) else { return nil }
        return String(cString: p)
    }

    func describe() -> [String: Any] {
        var d: [String: Any] = [
            "name": entry.name, "path": entry.path, "enabled": entry.enabled, "state": state.text,
        ]
        if let descriptor {
            d["plugin"] = descriptor.name
            d["version"] = descriptor.version
            d["abi"] = "\(descriptor.abiMajor).\(descriptor.abiMinor)"
            d["description"] = descriptor.description
            d["license"] = descriptor.license
            d["build_signature"] = descriptor.buildSignature
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
