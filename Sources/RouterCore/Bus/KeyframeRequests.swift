import Atomics
import NIOConcurrencyHelpers
import NIOCore
import PluginABI

/// Readers' keyframe requests to one source's publisher (ABI 1.4): the handler the publisher set and the
/// per-source rate limit. The publisher sets it on its own thread while readers ask from theirs, hence a lock.
final class KeyframeRequests: Sendable {
    /// Readers of one source ask together: a keyframe answers all of them, so one request per interval.
    static let intervalUs: Int64 = 500_000

    enum Outcome: Equatable {
        case forwarded, limited, noHandler
    }

    /// The plugin's function and its context: C values the handler hands back unchanged, never mutated.
    private struct Handler: @unchecked Sendable {
        let fn: mr_task_fn
        let user: UnsafeMutableRawPointer?
        let loop: EventLoop
        let publisher: ObjectIdentifier
        let pluginAlive: ManagedAtomic<Bool>?
        let token: UInt64
    }

    private struct State {
        var handler: Handler?
        var lastForwardUs: Int64?
        var nextToken: UInt64 = 0
    }

    private let state = NIOLockedValueBox(State())
    /// Requests that reached the publisher, and those the rate limit absorbed (lists, metrics).
    let forwarded = ManagedAtomic<Int64>(0)
    let limited = ManagedAtomic<Int64>(0)

    func set(_ fn: mr_task_fn?, user: UnsafeMutableRawPointer?, loop: EventLoop, publisher: Publisher) {
        let alive = publisher.owner?.alive
        state.withLockedValue { s in
            s.nextToken += 1
            s.handler = fn.map { Handler(fn: $0, user: user, loop: loop, publisher: ObjectIdentifier(publisher),
                                          pluginAlive: alive, token: s.nextToken) }
        }
    }

    /// The publisher left (closed, replaced, its plugin stopped): its handler goes with it.
    func clear(publisher: Publisher) {
        state.withLockedValue { s in
            if s.handler?.publisher == ObjectIdentifier(publisher) { s.handler = nil }
        }
    }

    func clearAll() { state.withLockedValue { $0.handler = nil } }

    /// [any thread] Forwards to the handler's loop unless one went out within the interval.
    func request(nowUs: Int64) -> Outcome {
        let (picked, outcome): (Handler?, Outcome) = state.withLockedValue { s in
            guard let h = s.handler else { return (nil, .noHandler) }
            if let last = s.lastForwardUs, nowUs - last < Self.intervalUs { return (nil, .limited) }
            s.lastForwardUs = nowUs
            return (h, .forwarded)
        }
        guard let h = picked else {
            if outcome == .limited { limited.wrappingIncrement(ordering: .relaxed) }
            return outcome
        }
        forwarded.wrappingIncrement(ordering: .relaxed)
        h.loop.execute { [self] in
            // Cleared or replaced since (on this loop, so not while fn runs): the user pointer may be gone.
            guard state.withLockedValue({ $0.handler?.token == h.token }),
                  h.pluginAlive?.load(ordering: .relaxed) ?? true else { return }
            h.fn(h.user)
        }
        return .forwarded
    }
}
