import Foundation
import NIOConcurrencyHelpers
import NIOCore
import PluginABI
@_spi(PluginHarness) import RouterCore

/// One TCP connection of the plugin (`mr_conn *`) whose other end is the test: it feeds bytes to the
/// plugin's `on_data`, reads what the plugin sent (`conn_send`, `conn_send_vec`, `conn_send_bytes`) and
/// closes from its side; the plugin closes with `conn_close`. Callbacks run on a real loop of the core, as
/// the ABI promises, and each test call returns once the plugin's callback has.
public final class FakeConnection: @unchecked Sendable {
    public let id: UInt64
    public let loopIndex: Int
    public let peer: String
    public let local: String
    /// For a connection the plugin opened with `tcp_connect`: where it asked to go.
    public let remoteHost: String?
    public let remotePort: UInt16
    let loop: EventLoop
    private let peerText: UnsafeMutablePointer<CChar>
    private let localText: UnsafeMutablePointer<CChar>

    private struct State {
        var callbacks: mr_conn_callbacks
        var user: UnsafeMutableRawPointer?
        var opened = false
        /// on_close was delivered: the plugin's handle is dead.
        var closed = false
        var closeReason: Int32?
        /// The plugin called conn_close (abort or not).
        var closeRequested: Bool?
        var sent: [UInt8] = []
        var taken = 0
        var writable = true
        var reading = true
        var corked = false
        var nodelay = false
    }

    private let state: NIOLockedValueBox<State>

    init(id: UInt64, loopIndex: Int, loop: EventLoop, callbacks: mr_conn_callbacks, user: UnsafeMutableRawPointer?,
         remoteHost: String? = nil, remotePort: UInt16 = 0) {
        self.id = id
        self.loopIndex = loopIndex
        self.loop = loop
        self.remoteHost = remoteHost
        self.remotePort = remotePort
        let fakePort = 40_000 + Int(id % 20_000)
        peer = remoteHost.map { "\($0):\(remotePort)" } ?? "127.0.0.1:\(fakePort)"
        local = remoteHost == nil ? "127.0.0.1:0" : "127.0.0.1:\(fakePort)"
        peerText = strdup(peer)
        localText = strdup(local)
        state = NIOLockedValueBox(State(callbacks: callbacks, user: user))
    }

    deinit {
        free(peerText)
        free(localText)
    }

    var handle: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ handle: OpaquePointer?) -> FakeConnection? {
        guard let handle else { return nil }
        return Unmanaged<FakeConnection>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }

    // MARK: the test's side

    /// Everything the plugin sent so far.
    public var sent: [UInt8] { state.withLockedValue { $0.sent } }

    /// What the plugin sent since the last call.
    public func takeSent() -> [UInt8] {
        state.withLockedValue { s in
            defer { s.taken = s.sent.count }
            return Array(s.sent[s.taken...])
        }
    }

    public var isOpen: Bool { state.withLockedValue { $0.opened && !$0.closed } }
    public var isClosed: Bool { state.withLockedValue { $0.closed } }
    /// The plugin closed this connection (conn_close), as opposed to the test or the harness.
    public var closedByPlugin: Bool { state.withLockedValue { $0.closeRequested != nil } }
    /// The reason on_close carried (`mr_close_reason`), once delivered.
    public var closeReason: Int32? { state.withLockedValue { $0.closeReason } }
    public var isReading: Bool { state.withLockedValue { $0.reading } }
    public var isCorked: Bool { state.withLockedValue { $0.corked } }
    public var noDelay: Bool { state.withLockedValue { $0.nodelay } }

    /// Delivers `bytes` to the plugin's `on_data` in one call (nothing after the connection closed).
    public func feed(_ bytes: [UInt8]) {
        onLoop {
            let (cb, user, live) = self.state.withLockedValue { ($0.callbacks.on_data, $0.user, $0.opened && !$0.closed) }
            guard live, let cb else { return }
            bytes.withUnsafeBufferPointer { cb(user, self.handle, $0.baseAddress, $0.count) }
        }
    }

    public func feed(_ text: String) { feed(Array(text.utf8)) }

    /// The peer closes its end (EOF): the plugin gets on_close with MR_CLOSE_PEER.
    public func close() { onLoop { self.deliverClose(Int32(MR_CLOSE_PEER.rawValue), "closed by the peer") } }

    /// The socket's outbound queue crosses its high (false) or low (true) watermark: the plugin gets on_writable.
    public func setWritable(_ writable: Bool) {
        onLoop {
            let (cb, user, changed) = self.state.withLockedValue { s -> (FakeConnectionWritable?, UnsafeMutableRawPointer?, Bool) in
                let changed = s.writable != writable && s.opened && !s.closed
                s.writable = writable
                return (s.callbacks.on_writable, s.user, changed)
            }
            if changed, let cb { cb(user, self.handle, writable ? 1 : 0) }
        }
    }

    /// An outgoing connection the plugin asked for succeeds: on_open.
    public func accept() { open() }

    /// An outgoing connection the plugin asked for fails: on_close without a connection, MR_CLOSE_CONNECT_FAILED.
    public func refuse(_ message: String = "connection refused") {
        onLoop {
            let (cb, user, pending) = self.state.withLockedValue { s -> (FakeConnectionClose?, UnsafeMutableRawPointer?, Bool) in
                let pending = !s.opened && !s.closed
                if pending {
                    s.closed = true
                    s.closeReason = Int32(MR_CLOSE_CONNECT_FAILED.rawValue)
                }
                return (s.callbacks.on_close, s.user, pending)
            }
            if pending, let cb { message.withCString { cb(user, nil, Int32(MR_CLOSE_CONNECT_FAILED.rawValue), $0) } }
        }
    }

    // MARK: the plugin's side (host table entries)

    func open() {
        onLoop {
            let (cb, user, fresh) = self.state.withLockedValue { s -> (FakeConnectionOpen?, UnsafeMutableRawPointer?, Bool) in
                let fresh = !s.opened && !s.closed
                s.opened = true
                return (s.callbacks.on_open, s.user, fresh)
            }
            if fresh, let cb { cb(user, self.handle) }
        }
    }

    func setUser(_ user: UnsafeMutableRawPointer?) { state.withLockedValue { $0.user = user } }

    /// Appends what the plugin sends; the host's checks first (owner loop, open connection).
    func send(_ pieces: [[UInt8]]) -> Int32 {
        guard loop.inEventLoop else { return InProcessPlugin.fail(Int32(MR_ERR_THREAD), "send off the connection's loop") }
        return state.withLockedValue { s in
            guard s.opened, !s.closed, s.closeRequested == nil else {
                return InProcessPlugin.fail(Int32(MR_ERR_CLOSED), "connection is closed")
            }
            for p in pieces { s.sent += p }
            return Int32(MR_OK)
        }
    }

    func setCorked(_ on: Bool) { state.withLockedValue { $0.corked = on } }
    func setNoDelay(_ on: Bool) { state.withLockedValue { $0.nodelay = on } }
    func setReading(_ on: Bool) { state.withLockedValue { $0.reading = on } }
    var writable: Bool { state.withLockedValue { $0.writable } }
    var peerPointer: UnsafePointer<CChar> { UnsafePointer(peerText) }
    var localPointer: UnsafePointer<CChar> { UnsafePointer(localText) }

    /// conn_close: on_close follows from the loop, never inside the call; a second call is ignored.
    func requestClose(abort: Bool) {
        let first = state.withLockedValue { s -> Bool in
            guard s.closeRequested == nil, !s.closed else { return false }
            s.closeRequested = abort
            return true
        }
        guard first else { return }
        loop.execute { self.deliverClose(Int32(MR_CLOSE_LOCAL.rawValue), abort ? "aborted by the plugin" : "closed by the plugin") }
    }

    /// The harness is stopping the plugin: what is still open closes as the host closes it.
    func shutdown() { onLoop { self.deliverClose(Int32(MR_CLOSE_SHUTDOWN.rawValue), "server stopping") } }

    /// On the loop: the one on_close of an opened connection.
    private func deliverClose(_ reason: Int32, _ message: String) {
        let (cb, user, first) = state.withLockedValue { s -> (FakeConnectionClose?, UnsafeMutableRawPointer?, Bool) in
            guard s.opened, !s.closed else { return (nil, nil, false) }
            s.closed = true
            s.closeReason = reason
            return (s.callbacks.on_close, s.user, true)
        }
        if first, let cb { message.withCString { cb(user, handle, reason, $0) } }
    }

    private func onLoop(_ body: @escaping @Sendable () -> Void) {
        precondition(!loop.inEventLoop, "drive a fake connection from the test thread, not from a loop")
        _ = try? loop.submit(body).wait()
    }
}

typealias FakeConnectionOpen = @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?) -> Void
typealias FakeConnectionWritable = @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, Int32) -> Void
typealias FakeConnectionClose = @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, Int32, UnsafePointer<CChar>?) -> Void
