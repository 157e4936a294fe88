#if canImport(Glibc)
import Glibc
#endif

/// `mr_host_api.last_error`: one message per thread, valid until that thread's next failing host call.
enum LastError {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { free($0) }
        return key
    }()

    static func set(_ message: String) {
        if let old = pthread_getspecific(key) { free(old) }
        pthread_setspecific(key, strdup(message))
    }

    static func clear() {
        if let old = pthread_getspecific(key) { free(old) }
        pthread_setspecific(key, nil)
    }

    static func get() -> UnsafePointer<CChar>? {
        guard let p = pthread_getspecific(key) else { return nil }
        return UnsafePointer(p.assumingMemoryBound(to: CChar.self))
    }

    /// Records `message` and returns `status`, for `return fail(MR_ERR_..., "...")` in host functions.
    static func fail(_ status: Int, _ message: String) -> Int32 {
        set(message)
        return Int32(status)
    }
}
