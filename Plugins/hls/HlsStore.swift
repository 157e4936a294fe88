import MRPluginKit
import PluginABI

/// The segments of one stream, written by its muxer on the muxer's loop and read by requests on any loop.
/// Segment bytes are host buffers: a response borrows them, nothing is copied per request.
final class HlsStore: @unchecked Sendable {
    struct Segment {
        let sequence: Int
        let durationUs: Int64
        let discontinuity: Bool
        let ts: OpaquePointer?
        let fmp4: OpaquePointer?
    }

    /// A playlist request waiting for the first segment, answered on its own loop.
    final class Waiter: @unchecked Sendable {
        let exchange: OpaquePointer
        let loop: Int32
        let request: HlsRequest
        var done = false   // touched on `loop` only (the exchange's close callback and the answer)
        init(exchange: OpaquePointer, loop: Int32, request: HlsRequest) {
            self.exchange = exchange
            self.loop = loop
            self.request = request
        }
    }

    private struct State {
        var segments: [Segment] = []
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
    private let state: LockedValue<State>

    init(host: PluginHost, window: Int, keep: Int, segmentMs: Int) {
        self.host = host
        self.window = window
        self.keep = keep
        self.state = LockedValue(State(targetSeconds: max(1, (segmentMs + 999) / 1000)))
    }

    deinit {
        let all = state.withLock { s in s.segments.flatMap { [$0.ts, $0.fmp4] } + [s.initSegment] }
        for b in all { if let b { host.table.buf_release(b) } }
    }

    func touch() { state.withLock { $0.lastRequestUs = host.table.now_us() } }
    var lastRequestUs: Int64 { state.withLock { $0.lastRequestUs } }

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

    /// Adds a finished segment (the store takes the buffer references) and returns the waiters to answer.
    func add(_ segment: Segment) -> [Waiter] {
        let (evicted, waiters) = state.withLock { s -> ([Segment], [Waiter]) in
            s.segments.append(segment)
            s.targetSeconds = max(s.targetSeconds, Int((segment.durationUs + 999_999) / 1_000_000))
            var gone: [Segment] = []
            while s.segments.count > window + keep { gone.append(s.segments.removeFirst()) }
            // Discontinuities that leave the playlist window are counted in EXT-X-DISCONTINUITY-SEQUENCE.
            s.discontinuitySequence += gone.filter(\.discontinuity).count
            let w = s.waiters
            s.waiters = []
            return (gone, w)
        }
        for e in evicted {
            if let b = e.ts { host.table.buf_release(b) }
            if let b = e.fmp4 { host.table.buf_release(b) }
        }
        return waiters
    }

    /// The stream could not be muxed (not found, ended before a segment): waiters get 404.
    func fail() -> [Waiter] {
        state.withLock { s in
            s.failed = true
            defer { s.waiters = [] }
            return s.waiters
        }
    }

    var failed: Bool { state.withLock { $0.failed } }

    /// Registers `waiter` unless a segment exists already (then false: answer at once).
    func wait(_ waiter: Waiter) -> Bool {
        state.withLock { s in
            guard s.segments.isEmpty, !s.failed else { return false }
            s.waiters.append(waiter)
            return true
        }
    }

    /// Nil before the first segment, or for a variant this stream does not have.
    func playlist(_ variant: HlsRequest.Variant, query: String) -> String? {
        state.withLock { s in
            guard !s.segments.isEmpty, variant == .ts || s.hasFmp4 else { return nil }
            let all = s.segments
            let shown = all.suffix(window)
            // Segments kept beyond the window (for slow players) but no longer listed still count.
            let hidden = all.prefix(all.count - shown.count).filter(\.discontinuity).count
            return HlsPlaylist.text(shown.map { HlsPlaylist.Entry(sequence: $0.sequence, durationUs: $0.durationUs, discontinuity: $0.discontinuity) },
                                    variant: variant, targetSeconds: s.targetSeconds,
                                    discontinuitySequence: s.discontinuitySequence + hidden, query: query)
        }
    }

    var hasSegments: Bool { state.withLock { !$0.segments.isEmpty } }

    /// A retained reference to an item's bytes (caller releases), nil when it expired or never existed.
    func bytes(_ r: HlsRequest) -> OpaquePointer? {
        state.withLock { s -> OpaquePointer? in
            let b: OpaquePointer?
            switch r.item {
            case .playlist: b = nil
            case .initSegment: b = s.initSegment
            case .segment(let n): b = s.segments.first { $0.sequence == n }.flatMap { r.variant == .ts ? $0.ts : $0.fmp4 }
            }
            if let b { host.table.buf_retain(b) }
            return b
        }
    }
}
