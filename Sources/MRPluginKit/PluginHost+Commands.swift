import EssentialsExtras
import PluginABI

/// One pending command call a handler answers, once, from any thread (ABI 1.2 `command_answer`).
public struct CommandReply: @unchecked Sendable {
    let host: PluginHost
    let ticket: OpaquePointer
    /// Copies of a reply share it: the host frees the ticket at the first answer, so a second is dropped.
    let answered = LockedValue(false)

    public func answer(_ object: [String: Any]) { send(Int32(MR_OK), object) }

    public func fail(_ message: String, status: Int32 = Int32(MR_ERR)) {
        send(status, ["error": message])
    }

    private func send(_ status: Int32, _ object: [String: Any]) {
        guard answered.withLock({ done in defer { done = true }; return !done }) else { return }
        CommandJSON.text(object).withCString { host.table.command_answer(ticket, status, $0) }
    }
}

/// JSON texts of command arguments and replies.
public enum CommandJSON {
    public static func text(_ object: [String: Any]) -> String {
        JSONText.text(object) ?? #"{"error":"reply is not JSON"}"#
    }

    /// The object of a JSON text; nil when it is not a JSON object.
    public static func object(_ text: String) -> [String: Any]? {
        guard text.utf8.count <= 1 << 20 else { return nil }
        return JSONText.parse(text) as? [String: Any]
    }
}

private final class CommandHandlerBox {
    let host: PluginHost
    let handler: ([String: Any], CommandReply) -> Void
    init(host: PluginHost, handler: @escaping ([String: Any], CommandReply) -> Void) {
        self.host = host
        self.handler = handler
    }
}

private final class CommandContinuation {
    let done: (Int32, [String: Any]) -> Void
    init(_ done: @escaping (Int32, [String: Any]) -> Void) { self.done = done }
}

extension PluginHost {
    /// True when the host has the ABI 1.2 command functions.
    public var hasCommands: Bool {
        let end = (MemoryLayout<mr_host_api>.offset(of: \mr_host_api.command_answer) ?? Int.max - 8) + 8
        return Int(table.size) >= end && table.command_call != nil
    }

    /// [control] Offers command `name`; `handler` gets the arguments object (empty when the text is not a JSON
    /// object) on the caller's thread and answers through the reply, now or later. The handler lives until the
    /// plugin instance is destroyed (commands vanish with the plugin; a restarted plugin registers again).
    @discardableResult
    public func offerCommand(_ name: String, _ handler: @escaping (_ args: [String: Any], _ reply: CommandReply) -> Void) -> Bool {
        guard hasCommands else {
            log(MR_LOG_WARNING, "the host has no commands (ABI < 1.2): '\(name)' is not offered")
            return false
        }
        let box = Unmanaged.passRetained(CommandHandlerBox(host: self, handler: handler)).toOpaque()
        let rc = name.withCString {
            table.command_register(host, $0, { user, _, args, ticket in
                guard let user, let ticket else { return }
                let box = Unmanaged<CommandHandlerBox>.fromOpaque(user).takeUnretainedValue()
                let parsed = args.flatMap { CommandJSON.object(String(cString: $0)) } ?? [:]
                box.handler(parsed, CommandReply(host: box.host, ticket: ticket))
            }, box)
        }
        if rc != MR_OK {
            log(MR_LOG_ERROR, "cannot offer command '\(name)': \(lastError)")
            Unmanaged<CommandHandlerBox>.fromOpaque(box).release()
            return false
        }
        OfferedCommands.keep(box, host: host)
        return true
    }

    /// [any thread] Calls command `name`; `done(status, reply)` runs once on `loop`. Returns false (without
    /// calling `done`) when no plugin offers it or the host has no commands.
    @discardableResult
    public func callCommand(_ name: String, _ args: [String: Any], loop: Int32,
                            _ done: @escaping (_ status: Int32, _ reply: [String: Any]) -> Void) -> Bool {
        guard hasCommands else { return false }
        let box = Unmanaged.passRetained(CommandContinuation(done)).toOpaque()
        let rc = name.withCString { n in
            CommandJSON.text(args).withCString { a in
                table.command_call(host, n, a, loop, { user, status, reply in
                    guard let user else { return }
                    let c = Unmanaged<CommandContinuation>.fromOpaque(user).takeRetainedValue()
                    c.done(status, reply.flatMap { CommandJSON.object(String(cString: $0)) } ?? [:])
                }, box)
            }
        }
        if rc != MR_OK {
            Unmanaged<CommandContinuation>.fromOpaque(box).release()
            return false
        }
        return true
    }
}
