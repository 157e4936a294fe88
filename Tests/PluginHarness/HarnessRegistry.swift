import NIOConcurrencyHelpers

/// Finds the fakes behind a plugin's `mr_host *` for the fake table's entries, which are C functions and
/// cannot capture them, and the clock that `now_us` (which gets no handle) reads: the newest harness's.
enum HarnessRegistry {
    private struct State {
        var byHost: [UInt: FakeHost] = [:]
        var current: FakeHost?
    }

    private static let state = NIOLockedValueBox(State())

    /// The fakes a plugin being loaded reaches before its handle is known (its init may already call in).
    static func loading(_ fakes: FakeHost) { state.withLockedValue { $0.current = fakes } }

    static func register(_ fakes: FakeHost, host: OpaquePointer) {
        state.withLockedValue { $0.byHost[UInt(bitPattern: host)] = fakes }
    }

    static func unregister(_ fakes: FakeHost) {
        state.withLockedValue { s in
            s.byHost = s.byHost.filter { $0.value !== fakes }
            if s.current === fakes { s.current = nil }
        }
    }

    static func fakes(_ host: OpaquePointer?) -> FakeHost? {
        state.withLockedValue { s in host.flatMap { s.byHost[UInt(bitPattern: $0)] } ?? s.current }
    }

    static var currentClock: VirtualClock? { state.withLockedValue { $0.current?.clock } }
}
