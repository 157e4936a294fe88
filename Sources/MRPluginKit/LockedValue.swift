#if canImport(Glibc)
import Glibc
#endif

/// A value shared between loops behind a mutex, for state holding C handles (buffers, exchanges), which
/// the standard library's `Mutex` refuses because they are not `Sendable`. Keep critical sections short.
public final class LockedValue<Value>: @unchecked Sendable {
    private var value: Value
    /// Allocated once: a pthread mutex must not move, and a stored property's address is not stable.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init(_ value: Value) {
        self.value = value
        mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
