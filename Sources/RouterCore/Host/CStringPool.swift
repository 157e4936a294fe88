#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers

/// Owns C strings handed to plugins so they stay valid for as long as the ABI promises; freed as a group.
final class CStringPool: @unchecked Sendable {
    private let lock = NIOLock()
    private var strings: [String: UnsafeMutablePointer<CChar>] = [:]

    func intern(_ s: String) -> UnsafePointer<CChar> {
        lock.withLock {
            if let p = strings[s] { return UnsafePointer(p) }
            let p = strdup(s)!
            strings[s] = p
            return UnsafePointer(p)
        }
    }

    deinit { for p in strings.values { free(p) } }
}

/// A C string owned by a Swift object (a connection's peer address, for instance).
final class OwnedCString: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<CChar>
    init(_ s: String) { pointer = strdup(s)! }
    deinit { free(pointer) }
}
