import PluginABI

/// A Swift view of the host a plugin was given in `init`: the `mr_host *` and the function table.
/// Plugins keep one and call through it; nothing here holds Swift state of the core.
public struct PluginHost: @unchecked Sendable {
    public let host: OpaquePointer
    public let api: UnsafePointer<mr_host_api>

    public init(host: OpaquePointer, api: UnsafePointer<mr_host_api>) {
        self.host = host
        self.api = api
    }

    /// Inlined so a call through it loads one function pointer instead of copying the whole table.
    @inlinable public var table: mr_host_api { api.pointee }

    public func log(_ level: mr_log_level, _ message: String) {
        message.withCString { table.log(host, Int32(bitPattern: level.rawValue), $0) }
    }

    public var lastError: String { table.last_error().map { String(cString: $0) } ?? "" }

    // MARK: config

    public func string(_ key: String, default def: String) -> String {
        key.withCString { k in def.withCString { d in table.config_string(host, k, d).map { String(cString: $0) } ?? def } }
    }

    public func int(_ key: String, default def: Int) -> Int {
        key.withCString { Int(table.config_int(host, $0, Int64(def))) }
    }

    public func bool(_ key: String, default def: Bool) -> Bool {
        key.withCString { table.config_bool(host, $0, def ? 1 : 0) != 0 }
    }

    public func double(_ key: String, default def: Double) -> Double {
        key.withCString { table.config_double(host, $0, def) }
    }

    public func list(_ key: String) -> [String] {
        key.withCString { k in
            (0..<table.config_list_count(host, k)).compactMap { i in table.config_list_item(host, k, i).map { String(cString: $0) } }
        }
    }

    // MARK: loops

    public var loopCount: Int { Int(table.loop_count(host)) }
    public var currentLoop: Int { Int(table.loop_current(host)) }

    /// Runs `body` on loop `loop` (-1: the next, round-robin), never inline, so also from that loop to
    /// continue after the current callback; false when the host refused (the plugin is stopping), and
    /// `body` is then dropped. What `body` captures lives until it has run.
    @discardableResult
    public func onLoop(_ loop: Int32, _ body: @escaping () -> Void) -> Bool {
        let job = Unmanaged.passRetained(HostJob(body)).toOpaque()
        let rc = table.run_on_loop(host, loop, { user in
            guard let user else { return }
            Unmanaged<HostJob>.fromOpaque(user).takeRetainedValue().work()
        }, job)
        if rc != MR_OK { Unmanaged<HostJob>.fromOpaque(job).release() }
        return rc == MR_OK
    }

    /// Lets go of `object` on a later turn of `loop`, never inside the callback now running (its callbacks
    /// may still point at it). Refused (the plugin is stopping): the object is kept, not freed under a
    /// callback that may still use it.
    public func release(_ object: AnyObject, onLoop loop: Int32) {
        let job = Unmanaged.passRetained(HostJob { withExtendedLifetime(object) {} }).toOpaque()
        _ = table.run_on_loop(host, loop, { user in
            guard let user else { return }
            Unmanaged<HostJob>.fromOpaque(user).takeRetainedValue().work()
        }, job)
    }

    /// Runs `body` on a worker thread (blocking allowed there); false when the host refused the job.
    @discardableResult
    public func onWorker(_ body: @escaping () -> Void) -> Bool {
        let job = Unmanaged.passRetained(HostJob(body)).toOpaque()
        let rc = table.run_on_worker(host, { user in
            guard let user else { return }
            Unmanaged<HostJob>.fromOpaque(user).takeRetainedValue().work()
        }, nil, -1, job)
        if rc != MR_OK { Unmanaged<HostJob>.fromOpaque(job).release() }
        return rc == MR_OK
    }

    /// Runs `work` on a worker thread, then `done` on loop `loop`; false when the host refused the job
    /// (neither runs). Once the plugin has stopped, `done` is skipped and the job is kept, as the ABI says.
    @discardableResult
    public func onWorker(_ work: @escaping () -> Void, thenOnLoop loop: Int32, _ done: @escaping () -> Void) -> Bool {
        let job = Unmanaged.passRetained(HostJob(work, done: done)).toOpaque()
        let rc = table.run_on_worker(host, { user in
            guard let user else { return }
            Unmanaged<HostJob>.fromOpaque(user).takeUnretainedValue().work()
        }, { user in
            guard let user else { return }
            Unmanaged<HostJob>.fromOpaque(user).takeRetainedValue().done()
        }, loop, job)
        if rc != MR_OK { Unmanaged<HostJob>.fromOpaque(job).release() }
        return rc == MR_OK
    }

    public func stat(_ name: String, add delta: Int64) { name.withCString { table.stat_add(host, $0, delta) } }
    public func stat(_ name: String, set value: Int64) { name.withCString { table.stat_set(host, $0, value) } }
}

/// Closures carried through a C task's `void *user`.
private final class HostJob {
    let work: () -> Void
    let done: () -> Void
    init(_ work: @escaping () -> Void, done: @escaping () -> Void = {}) {
        self.work = work
        self.done = done
    }
}
