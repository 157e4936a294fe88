import PluginABI

/// Asks the core whether a publish or play may go ahead (its auth broker: a handler plugin, hooks, or the
/// default) and calls `done` on `loop` with the answer. Every protocol plugin asks the same way.
public struct AuthQuestion {
    public var action: mr_auth_action
    public var vhost: String?
    public var app: String
    public var stream: String
    public var protocolName: String
    public var peer: String
    public var query: String
    public var user: String?
    public var password: String?

    public init(action: mr_auth_action, vhost: String?, app: String, stream: String, protocolName: String, peer: String,
                query: String, user: String? = nil, password: String? = nil) {
        self.action = action
        self.vhost = vhost
        self.app = app
        self.stream = stream
        self.protocolName = protocolName
        self.peer = peer
        self.query = query
        self.user = user
        self.password = password
    }

    public func ask(_ host: PluginHost, loop: Int32, _ done: @escaping (_ allowed: Bool, _ reason: String) -> Void) {
        var request = mr_auth_request()
        request.size = UInt32(MemoryLayout<mr_auth_request>.size)
        request.action = Int32(bitPattern: action.rawValue)
        let box = Unmanaged.passRetained(AuthContinuation(done)).toOpaque()
        let rc = (vhost ?? "").withCString { v in app.withCString { a in stream.withCString { s in
            protocolName.withCString { proto in peer.withCString { p in query.withCString { q in
                withOptionalCString(user) { u in withOptionalCString(password) { pw in
                    request.key = mr_stream_key(vhost: v, app: a, stream: s)
                    request.protocol = proto
                    request.peer = p
                    request.query = q
                    request.user = u
                    request.password = pw
                    return host.table.auth_ask(host.host, &request, loop, { user, allowed, reason in
                        guard let user else { return }
                        let c = Unmanaged<AuthContinuation>.fromOpaque(user).takeRetainedValue()
                        c.done(allowed != 0, reason.map { String(cString: $0) } ?? "")
                    }, box)
                } }
            } } }
        } } }
        if rc != MR_OK {
            Unmanaged<AuthContinuation>.fromOpaque(box).release()
            done(false, "auth failed: \(host.lastError)")
        }
    }
}

private func withOptionalCString<T>(_ s: String?, _ body: (UnsafePointer<CChar>?) -> T) -> T {
    guard let s else { return body(nil) }
    return s.withCString { body($0) }
}

/// Carries a Swift closure through a C callback's `void *user`.
final class AuthContinuation {
    let done: (Bool, String) -> Void
    init(_ done: @escaping (Bool, String) -> Void) { self.done = done }
}

/// A retained box holding a weak reference, for C callbacks (timers) that may fire after their target is
/// gone: the target releases the box once its timers are cancelled, and a late callback finds nil.
public final class WeakBox<T: AnyObject> {
    public weak var value: T?
    public init(_ value: T) { self.value = value }

    public static func make(_ value: T) -> UnsafeMutableRawPointer { Unmanaged.passRetained(WeakBox(value)).toOpaque() }

    public static func value(_ user: UnsafeMutableRawPointer?) -> T? {
        guard let user else { return nil }
        return Unmanaged<WeakBox<T>>.fromOpaque(user).takeUnretainedValue().value
    }

    public static func release(_ user: UnsafeMutableRawPointer) { Unmanaged<WeakBox<T>>.fromOpaque(user).release() }
}
