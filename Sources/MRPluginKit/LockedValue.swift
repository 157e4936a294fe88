#if canImport(Glibc)
import Glibc
#endif

/// A value shared between loops behind a mutex, for state holding C handles (buffers, exchanges), which
/// the standard library's `Mutex` refuses because they are not `Sendable`. Keep critical sections short.
public final class LockedValue<Value>: @unchecked Sendable {
    private var value: Value
    private var mutex = pthread_mutex_t()

    public init(_ value: Value) {
        self.value = value
        pthread_mutex_init(&mutex, nil)
    }

    deinit { pthread_mutex_destroy(&mutex) }

    public func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body(&value)
    }
}
