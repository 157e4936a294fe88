import HlsFormats
import MRPluginKit
import PluginABI

/// The segments of one stream, written by its muxer on the muxer's loop and read by requests on any loop.
/// Segment bytes are host buffers: a response borrows them, nothing is copied per request. An fMP4 segment
/// is the list of its LL-HLS parts (sent one after the other), so parts and segments share their bytes.
final class HlsStore: @unchecked Sendable {
    struct Part {
        let buf: OpaquePointer
        let durationUs: Int64
        let independent: Bool
    }

    struct Segment {
        let sequence: Int
        let durationUs: Int64
        let discontinuity: Bool
        let ts: OpaquePointer?
        let parts: [Part]
        var buffers: [OpaquePointer] { parts.map(\.buf) + (ts.map { [$0] } ?? []) }
    }

    /// The segment being muxed: its number is known (numbers are given in order) and its parts are served
    /// as they complete.
    private struct Building {
        let sequence: Int
        let discontinuity: Bool
        var parts: [Part] = []
    }

    /// A request waiting on the muxer (the first segment, a blocking playlist reload, a hinted part),
    /// answered on its own loop.
    final class Waiter: @unchecked Sendable {
        let exchange: OpaquePointer
        let loop: Int32
        let request: HlsRequest
        let session: String?
        /// Past this a blocking request is answered anyway (503); nil for the first-segment wait, which the
        /// stream's own patience bounds.
        let deadlineUs: Int64?
        var done = false   // touched on `loop` only (the exchange's close callback and the answer)
        init(exchange: OpaquePointer, loop: Int32, request: HlsRequest, session: String?, deadlineUs: Int64?) {
            self.exchange = exchange
            self.loop = loop
            self.request = request
            self.session = session
            self.deadlineUs = deadlineUs
        }
    }

    enum Readiness { case ready, wait, notFound, badRequest, full }

    private struct State {
        var segments: [Segment] = []
        var building: Building?
        var initSegment: OpaquePointer?
        var waiters: [Waiter] = []
        var lastRequestUs: Int64 = 0
        var failed = false
        var targetSeconds: Int
        var discontinuitySequence = 0
        var hasFmp4 = false
    }

    private let host: PluginHost
    private let window: Int
    private let keep: Int
    let partMs: Int
    let lowLatency: Bool
    /// Requests parked on one stream; more are answered 503 at once (each holds a connection).
    static let maxWaiters = 4096
    /// How far ahead of the newest part a blocking request may ask (RFC 8216bis: the Advance Part Limit).
    private static let advanceParts = 3
    private let state: LockedValue<State>

    init(host: PluginHost, window: Int, keep: Int, segmentMs: Int, partMs: Int, lowLatency: Bool) {
        self.host = host
        self.window = window
        self.keep = keep
        self.partMs = partMs
        self.lowLatency = lowLatency
        self.state = LockedValue(State(targetSeconds: max(1, (segmentMs + 999) / 1000)))
    }

    deinit {
        let all = state.withLock { s in s.segments.flatMap(\.buffers) + (s.building?.parts.map(\.buf) ?? []) + [s.initSegment].compactMap { $0 } }
        for b in all { host.table.buf_release(b) }
    }

    func touch() { state.withLock { $0.lastRequestUs = host.table.now_us() } }
    var lastRequestUs: Int64 { state.withLock { $0.lastRequestUs } }
    var targetSeconds: Int { state.withLock { $0.targetSeconds } }

    /// The fMP4 init segment, or nil when this stream has no fMP4 variant.
    func setInit(_ bytes: [UInt8]?) {
        let buf = bytes.flatMap { host.buffer($0) }
        let old = state.withLock { s -> OpaquePointer? in
            defer {
                s.initSegment = buf
                s.hasFmp4 = buf != nil
            }
            return s.initSegment
        }
        if let old { host.table.buf_release(old) }
    }

    /// The muxer started segment `sequence`; parts added next belong to it.
    func begin(sequence: Int, discontinuity: Bool) {
        let dropped = state.withLock { s -> [Part] in
            defer { s.building = Building(sequence: sequence, discontinuity: discontinuity) }
            return s.building?.parts ?? []
        }
        for p in dropped { host.table.buf_release(p.buf) }
    }

    /// Adds a completed part of the segment being muxed (the store takes the buffer reference); returns the
    /// waiters it satisfies.
    func addPart(_ part: Part) -> [Waiter] {
        let orphan = state.withLock { s -> Bool in
            guard s.building != nil else { return true }
            s.building?.parts.append(part)
            return false
        }
        if orphan { host.table.buf_release(part.buf) }
        return takeReady()
    }

    struct Finished {
        var waiters: [Waiter]
        /// Numbers of the segments that left the store.
        var evicted: [Int]
        /// The new segment with one more reference on each buffer (when asked), for the disk writer.
        var segment: Segment?
    }

    /// Closes the segment being muxed with its parts, `ts` (the store takes the reference) and `durationUs`.
    func finishSegment(durationUs: Int64, ts: OpaquePointer?, retain: Bool) -> Finished {
        let (added, evicted) = state.withLock { s -> (Segment?, [Segment]) in
            guard let b = s.building else { return (nil, []) }
            s.building = nil
            let segment = Segment(sequence: b.sequence, durationUs: durationUs, discontinuity: b.discontinuity, ts: ts, parts: b.parts)
            s.segments.append(segment)
            s.targetSeconds = max(s.targetSeconds, Int((durationUs + 999_999) / 1_000_000))
            var gone: [Segment] = []
            while s.segments.count > window + keep { gone.append(s.segments.removeFirst()) }
            // Discontinuities that leave the playlist window are counted in EXT-X-DISCONTINUITY-SEQUENCE.
            s.discontinuitySequence += gone.filter(\.discontinuity).count
            if retain { for b in segment.buffers { host.table.buf_retain(b) } }
            return (segment, gone)
        }
        if added == nil, let ts { host.table.buf_release(ts) }
        for e in evicted { for b in e.buffers { host.table.buf_release(b) } }
        return Finished(waiters: takeReady(), evicted: evicted.map(\.sequence), segment: retain ? added : nil)
    }

    /// The stream could not be muxed (not found, ended): every waiter is answered (404).
    func fail() -> [Waiter] {
        state.withLock { s in
            s.failed = true
            defer { s.waiters = [] }
            return s.waiters
        }
    }

    var failed: Bool { state.withLock { $0.failed } }
    var hasSegments: Bool { state.withLock { !$0.segments.isEmpty } }

    /// Whether `r` (a playlist or a part) can be answered now; registers `waiter` when it has to wait.
    func wait(_ waiter: Waiter) -> Readiness {
        state.withLock { s in
            let r = readiness(waiter.request, s)
            guard r == .wait else { return r }
            guard s.waiters.count < Self.maxWaiters else { return .full }
            s.waiters.append(waiter)
            return .wait
        }
    }

    func readiness(_ r: HlsRequest) -> Readiness { state.withLock { readiness(r, $0) } }

    /// Waiters whose deadline passed (they are answered 503, or 404 for a part).
    func expired(now: Int64) -> [Waiter] {
        state.withLock { s in
            let gone = s.waiters.filter { ($0.deadlineUs ?? .max) < now }
            if !gone.isEmpty { s.waiters.removeAll { ($0.deadlineUs ?? .max) < now } }
            return gone
        }
    }

    private func takeReady() -> [Waiter] {
        state.withLock { s in
            guard !s.waiters.isEmpty else { return [] }
            let snapshot = s
            let ready = s.waiters.filter { readiness($0.request, snapshot) != .wait }
            if !ready.isEmpty { s.waiters.removeAll { readiness($0.request, snapshot) != .wait } }
            return ready
        }
    }

    /// The newest position of the stream: the segment being muxed and how many of its parts are out.
    private func edge(_ s: State) -> (sequence: Int, parts: Int)? {
        if let b = s.building { return (b.sequence, b.parts.count) }
        return s.segments.last.map { ($0.sequence + 1, 0) }
    }

    private func readiness(_ r: HlsRequest, _ s: State) -> Readiness {
        if s.failed { return .notFound }
        switch r.item {
        case .initSegment, .segment:
            return .ready
        case .playlist:
            guard let last = s.segments.last else { return .wait }
            guard lowLatency, r.variant == .fmp4, case .at(let msn, let part) = r.block, let edge = edge(s) else {
                return r.block == .invalid ? .badRequest : .ready
            }
            if msn > edge.sequence + 2 { return .badRequest }
            if let part, msn == edge.sequence, part >= edge.parts + Self.advanceParts { return .badRequest }
            if last.sequence >= msn || edge.sequence > msn { return .ready }
            if let part, edge.sequence == msn, edge.parts > part { return .ready }
            return .wait
        case .part(let n, let p):
            if let seg = s.segments.first(where: { $0.sequence == n }) { return p < seg.parts.count ? .ready : .notFound }
            guard let edge = edge(s) else { return .notFound }
            if n == edge.sequence { return p < edge.parts ? .ready : p < edge.parts + Self.advanceParts ? .wait : .notFound }
            return n == edge.sequence + 1 && p == 0 ? .wait : .notFound
        }
    }

    /// Nil before the first segment, or for a variant this stream does not have. `session` goes into every
    /// URI for players that do not keep cookies.
    func playlist(_ variant: HlsRequest.Variant, uriQuery: String, lowLatency ll: Bool) -> String? {
        state.withLock { s in
            guard !s.segments.isEmpty, variant == .ts || s.hasFmp4 else { return nil }
            let all = s.segments
            let shown = all.suffix(window)
            // Segments kept beyond the window (for slow players) but no longer listed still count.
            let hidden = all.prefix(all.count - shown.count).filter(\.discontinuity).count
            let lowLatency = ll && lowLatency && variant == .fmp4
            // RFC 8216bis 4.4.4.9: parts older than three target durations from the live edge are left out.
            var recentUs = s.building.map { $0.parts.reduce(0) { $0 + $1.durationUs } } ?? 0
            let horizonUs = 3 * Int64(s.targetSeconds) * 1_000_000
            var entries: [HlsPlaylist.Entry] = []
            for seg in shown.reversed() {
                let parts = lowLatency && recentUs < horizonUs ? seg.parts.map { HlsPlaylist.PartEntry(durationUs: $0.durationUs, independent: $0.independent) } : []
                recentUs += seg.durationUs
                entries.append(HlsPlaylist.Entry(sequence: seg.sequence, durationUs: seg.durationUs, discontinuity: seg.discontinuity, parts: parts))
            }
            var edge: HlsPlaylist.LiveEdge?
            if lowLatency, let b = s.building ?? (s.segments.last.map { Building(sequence: $0.sequence + 1, discontinuity: false) }) {
                edge = HlsPlaylist.LiveEdge(partTargetUs: Int64(partMs) * 1000, sequence: b.sequence, discontinuity: b.discontinuity,
                                            parts: b.parts.map { HlsPlaylist.PartEntry(durationUs: $0.durationUs, independent: $0.independent) })
            }
            return HlsPlaylist.text(Array(entries.reversed()), variant: variant, targetSeconds: s.targetSeconds,
                                    discontinuitySequence: s.discontinuitySequence + hidden, query: uriQuery, edge: edge)
        }
    }

    /// Retained references to an item's bytes, in order (caller releases); nil when it expired or never existed.
    func buffers(_ r: HlsRequest) -> [OpaquePointer]? {
        state.withLock { s -> [OpaquePointer]? in
            let bufs: [OpaquePointer]?
            switch r.item {
            case .playlist: bufs = nil
            case .initSegment: bufs = s.initSegment.map { [$0] }
            case .segment(let n):
                bufs = s.segments.first { $0.sequence == n }.flatMap { seg in r.variant == .ts ? seg.ts.map { [$0] } : seg.parts.map(\.buf) }
            case .part(let n, let p):
                let parts = s.segments.first { $0.sequence == n }?.parts ?? (s.building?.sequence == n ? s.building?.parts : nil)
                bufs = parts.flatMap { p < $0.count ? [$0[p].buf] : nil }
            }
            guard let bufs, !bufs.isEmpty else { return nil }
            for b in bufs { host.table.buf_retain(b) }
            return bufs
        }
    }
}
