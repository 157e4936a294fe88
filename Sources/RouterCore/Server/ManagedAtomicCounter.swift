import Atomics

/// A process-wide increasing id source.
public final class ManagedAtomicCounter: Sendable {
    private let value = ManagedAtomic<UInt64>(0)
    public init() {}
    public func next() -> UInt64 { value.loadThenWrappingIncrement(ordering: .relaxed) }
}
