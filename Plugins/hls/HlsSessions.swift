import MRPluginKit
import PluginABI
import Synchronization

/// One HLS player, as ZLMediaKit counts them: HLS is a series of short requests, so a player is recognised
/// by its session cookie, else by the `mr_hls_session` token its playlist put in every URI, else (a client
/// that reloads the playlist by its first URL without cookies, as ffmpeg does) by its address and
/// User-Agent on the same stream. A session holds a paused bus reader, so the core counts the player like
/// any other (reader lists, none-reader events) at no cost on the frame path.
final class HlsSession: ReaderHandler, @unchecked Sendable {
    let id: String
    let key: String
    let clientKey: String
    let loop: Int32
    let lastSeenUs: Atomic<Int64>
    private let host: PluginHost
    private unowned let registry: HlsSessions
    private var reader: OpaquePointer?   // on `loop` only
    private lazy var box = ReaderBox(self)

    init(registry: HlsSessions, host: PluginHost, key: String, clientKey: String, loop: Int32) {
        self.registry = registry
        self.host = host
        self.key = key
        self.clientKey = clientKey
        self.loop = loop
        self.id = HlsSessions.newID()
        self.lastSeenUs = Atomic(host.table.now_us())
    }

    /// [loop] The paused reader that makes this player count.
    func open(_ r: HlsRequest, peer: String) -> Bool {
        let (rc, out) = host.openReader(vhost: r.vhost, app: r.app, stream: r.stream, protocolName: "hls", peer: peer, loop: loop, box: box)
        guard rc == MR_OK, let out else { return false }
        reader = out
        host.table.reader_set_paused(out, 1)
        return true
    }

    /// [loop]
    func close() {
        if let reader { host.table.reader_close(reader) }
        reader = nil
    }

    func frames(_ reader: OpaquePointer, _ frames: UnsafeBufferPointer<mr_frame>) {}

    func event(_ reader: OpaquePointer, _ event: mr_reader_event, detail: Int64) {
        switch event {
        case MR_READER_STARTED:
            // Pausing before the stream was found may not carry over: pause again once attached.
            self.reader = reader
            host.table.reader_set_paused(reader, 1)
        case MR_READER_NOT_FOUND, MR_READER_ENDED:
            // The host closes the reader next (CLOSED): the session must live until then, its box is the
            // reader's callback target.
            break
        case MR_READER_CLOSED:
            // The player's next playlist request makes a new session.
            self.reader = nil
            registry.remove(self)
        default:
            break
        }
    }
}

/// The live HLS sessions of the plugin, bounded per stream and in total, closed after `timeoutMs` without a
/// request (swept once a second on loop 0; each session is closed on its own loop).
final class HlsSessions: @unchecked Sendable {
    private struct State {
        var byID: [String: HlsSession] = [:]
        var byClient: [String: HlsSession] = [:]
        var perStream: [String: Int] = [:]
        var sweeping = false
    }

    private let host: PluginHost
    private let state = LockedValue(State())
    /// Set from the plugin's settings with every admission (reconfigure may change it).
    let timeoutMs = Atomic<Int>(10_000)

    init(host: PluginHost) { self.host = host }

    static let cookieName = HlsRequest.sessionParameter

    static func newID() -> String {
        var g = SystemRandomNumberGenerator()
        let hex = String(g.next() as UInt64, radix: 16) + String(g.next() as UInt64, radix: 16)
        return String(repeating: "0", count: max(0, 32 - hex.count)) + hex
    }

    /// The client's address without the port, for matching clients that keep no cookie.
    static func address(_ peer: String) -> String {
        if peer.hasPrefix("["), let end = peer.firstIndex(of: "]") { return String(peer[peer.index(after: peer.startIndex)..<end]) }
        guard let colon = peer.lastIndex(of: ":") else { return peer }
        return String(peer[..<colon])
    }

    static func clientKey(stream: String, peer: String, userAgent: String) -> String { "\(stream)\n\(address(peer))\n\(userAgent)" }

    /// The session of this request, if any; a match counts as activity.
    func find(key: String, token: String?, clientKey: String) -> HlsSession? {
        let s = state.withLock { st -> HlsSession? in
            if let token, let s = st.byID[token], s.key == key { return s }
            return st.byClient[clientKey]
        }
        s?.lastSeenUs.store(host.table.now_us(), ordering: .relaxed)
        return s
    }

    enum Admission { case admitted(HlsSession), full(String) }

    /// A new session for `key` unless a bound is reached; `open` is called with it before it is listed.
    func admit(key: String, clientKey: String, loop: Int32, maxPerStream: Int, maxTotal: Int) -> Admission {
        let session = HlsSession(registry: self, host: host, key: key, clientKey: clientKey, loop: loop)
        let outcome = state.withLock { st -> Admission in
            if st.byID.count >= maxTotal { return .full("\(maxTotal) HLS sessions") }
            if st.perStream[key, default: 0] >= maxPerStream { return .full("\(maxPerStream) HLS sessions of \(key)") }
            st.byID[session.id] = session
            st.byClient[clientKey] = session
            st.perStream[key, default: 0] += 1
            return .admitted(session)
        }
        startSweeping()
        return outcome
    }

    func remove(_ session: HlsSession) {
        state.withLock { st in
            guard st.byID.removeValue(forKey: session.id) != nil else { return }
            if st.byClient[session.clientKey] === session { st.byClient.removeValue(forKey: session.clientKey) }
            st.perStream[session.key, default: 1] -= 1
            if st.perStream[session.key] == 0 { st.perStream.removeValue(forKey: session.key) }
        }
    }

    var count: Int { state.withLock { $0.byID.count } }

    /// The sweep timer starts with the first session; timers end with the plugin, so `self` is unretained.
    private func startSweeping() {
        let start = state.withLock { st -> Bool in
            defer { st.sweeping = true }
            return !st.sweeping
        }
        guard start else { return }
        _ = host.table.timer_start(host.host, 0, 1000, 1000, { user, _ in
            guard let user else { return }
            Unmanaged<HlsSessions>.fromOpaque(user).takeUnretainedValue().sweep()
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    private func sweep() {
        let limit = host.table.now_us() - Int64(timeoutMs.load(ordering: .relaxed)) * 1000
        let expired = state.withLock { st in st.byID.values.filter { $0.lastSeenUs.load(ordering: .relaxed) < limit } }
        for s in expired { close(s) }
    }

    /// Leaves the registry now, closes the reader on the session's loop.
    func close(_ s: HlsSession) {
        remove(s)
        host.onLoop(s.loop) { s.close() }
    }

    /// Plugin stop: every session goes.
    func closeAll() {
        for s in state.withLock({ Array($0.byID.values) }) { close(s) }
    }
}
