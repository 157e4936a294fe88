import Logging
import NIOConcurrencyHelpers
import NIOCore
import PluginABI

/// Named commands plugins offer each other and the management API (ABI 1.2). A call goes to the handler on
/// the caller's thread; the answer may come from anywhere, and is delivered once on the caller's loop, with a
/// timeout so a handler that never answers cannot leave a caller waiting forever.
final class CommandBroker: @unchecked Sendable {
    struct Entry {
        let fn: mr_command_fn
        let user: UnsafeMutableRawPointer?
        let owner: HostContext
    }

    private let lock = NIOLock()
    private var commands: [String: Entry] = [:]
    private var timeoutMs: Int
    private let logger: Logger

    init(timeoutMs: Int, logger: Logger) {
        self.timeoutMs = timeoutMs
        self.logger = logger
    }

    func configure(timeoutMs: Int) { lock.withLock { self.timeoutMs = timeoutMs } }

    static func validName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.utf8.allSatisfy { c in
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2E || c == 0x5F || c == 0x2D
            }
    }

    /// Management endpoints: offered by any plugin, first come first served.
    static let endpointPrefix = "api."

    /// A command belongs to its plugin's namespace, `<table name>.`, so two plugins never contend for a name
    /// and a caller knows whom it asks; only `api.<endpoint>` names are shared.
    static func inNamespace(_ name: String, of plugin: String) -> Bool {
        name.hasPrefix(endpointPrefix) || (name.hasPrefix(plugin + ".") && name.utf8.count > plugin.utf8.count + 1)
    }

    func register(_ name: String, _ entry: Entry) -> Int32 {
        guard Self.validName(name) else {
            return LastError.fail(MR_ERR_INVALID, "command name '\(name)' must be 1-64 letters, digits, '.', '_' or '-'")
        }
        guard Self.inNamespace(name, of: entry.owner.name) else {
            return LastError.fail(MR_ERR_INVALID, "command name '\(name)' must start with '\(entry.owner.name).' (the plugin's "
                                  + "table name) or be a management endpoint 'api.<name>'")
        }
        return lock.withLock {
            if let other = commands[name], other.owner !== entry.owner {
                return LastError.fail(MR_ERR_BUSY, "command '\(name)' is offered by plugin \(other.owner.name)")
            }
            commands[name] = entry
            return Int32(MR_OK)
        }
    }

    func removeAll(ownedBy owner: HostContext) {
        lock.withLock { commands = commands.filter { $0.value.owner !== owner } }
    }

    /// Names and owners, sorted, for listings.
    func list() -> [(name: String, plugin: String)] {
        lock.withLock { commands.map { ($0.key, $0.value.owner.name) } }.sorted { $0.name < $1.name }
    }

    /// Returns false (and does not call `done`) when no plugin offers `name`.
    func call(_ name: String, args: String, loop: EventLoop, done: @escaping @Sendable (Int32, String) -> Void) -> Bool {
        let (entry, timeout) = lock.withLock { (commands[name], timeoutMs) }
        guard let entry, entry.owner.alive.load(ordering: .relaxed) else { return false }
        let ticket = CommandTicket(loop: loop) { done($0.status, $0.reply) }
        ticket.setTimeout(loop.scheduleTask(in: .milliseconds(Int64(timeout))) { [logger] in
            if ticket.resolve((Int32(MR_ERR), #"{"error":"timeout"}"#)) {
                logger.warning("command \(name): no answer from plugin \(entry.owner.name) in \(timeout) ms")
            }
        })
        let retained = Unmanaged.passRetained(ticket)
        name.withCString { n in
            args.withCString { a in entry.fn(entry.user, n, a, OpaquePointer(retained.toOpaque())) }
        }
        return true
    }
}
