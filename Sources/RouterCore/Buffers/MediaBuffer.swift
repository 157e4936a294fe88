import Glibc
import NIOConcurrencyHelpers
@_spi(CustomByteBufferAllocator) import NIOCore

/// The reference-counted buffer behind `mr_buf`.
///
/// Storage is a NIO `ByteBuffer`, so a slice shares its parent's storage and a socket write is a retain, not
/// a copy: fanning one frame out to N players writes the same storage N times. Foreign memory wrapped with a
/// free callback keeps its own bytes and is turned into a `ByteBuffer` only the first time it is sent (one
/// copy per buffer, never per player).
///
/// The data pointer is taken once, at creation, while the storage is uniquely owned: the bytes never move
/// afterwards because nothing mutates the `ByteBuffer` through Swift again.
public final class MediaBuffer: @unchecked Sendable {
    public let count: Int
    public let baseAddress: UnsafeMutableRawPointer
    private var storage: ByteBuffer?
    private let foreign: ForeignMemory?
    private let materializeLock = NIOLock()

    private static let allocator = ByteBufferAllocator()
    /// A zero-length buffer still needs a valid, non-null data pointer for C callers.
    nonisolated(unsafe) private static let emptyByte = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)

    /// A new writable buffer of `count` bytes (contents unspecified).
    public init(capacity count: Int) {
        var buffer = Self.exactBuffer(count)
        self.count = count
        self.baseAddress = count == 0
            ? Self.emptyByte
            : buffer.withUnsafeMutableReadableBytes { raw in raw.baseAddress ?? Self.emptyByte }
        self.storage = buffer
        self.foreign = nil
        LiveObjects.buffer(bytes: count, alive: true)
    }

    /// `count` writable bytes in storage of exactly that size. NIO rounds a new buffer's capacity up to a
    /// power of two, which for media frames (a ring holds about a thousand of them per format) wastes a
    /// third of the ring's memory on average; these buffers never grow, so the rounding buys nothing.
    private static func exactBuffer(_ count: Int) -> ByteBuffer {
        if count > 0, let raw = malloc(count) {
            // The default allocator frees with free(3), which is what malloc's memory needs.
            return ByteBuffer(takingOwnershipOf: UnsafeMutableRawBufferPointer(start: raw, count: count), allocator: allocator)
        }
        var buffer = allocator.buffer(capacity: max(count, 1))
        buffer.moveWriterIndex(forwardBy: count)
        return buffer
    }

    /// Copies `bytes`.
    public convenience init(copying bytes: UnsafeRawBufferPointer) {
        self.init(capacity: bytes.count)
        if let source = bytes.baseAddress, bytes.count > 0 {
            baseAddress.copyMemory(from: source, byteCount: bytes.count)
        }
    }

    public convenience init<Bytes: Collection>(bytes: Bytes) where Bytes.Element == UInt8 {
        let array = Array(bytes)
        self.init(capacity: array.count)
        array.withUnsafeBytes { raw in
            if let source = raw.baseAddress, raw.count > 0 { baseAddress.copyMemory(from: source, byteCount: raw.count) }
        }
    }

    /// Adopts a `ByteBuffer`'s readable bytes without copying.
    public init(adopting buffer: ByteBuffer) {
        var buffer = buffer
        self.count = buffer.readableBytes
        // Taking the mutable pointer makes the storage unique (copying once if it was shared), so later
        // writes through `baseAddress` by the creator cannot be seen by anybody else.
        self.baseAddress = count == 0
            ? Self.emptyByte
            : buffer.withUnsafeMutableReadableBytes { raw in raw.baseAddress ?? Self.emptyByte }
        self.storage = buffer
        self.foreign = nil
        LiveObjects.buffer(bytes: count, alive: true)
    }

    /// Wraps memory the caller owns; `free` runs when the last reference goes.
    public init(wrapping pointer: UnsafeMutableRawPointer, count: Int, free: @escaping @Sendable () -> Void) {
        self.count = count
        self.baseAddress = pointer
        self.storage = nil
        self.foreign = ForeignMemory(free: free)
        LiveObjects.buffer(bytes: count, alive: true)
    }

    private init(sliceOf parent: MediaBuffer, offset: Int, length: Int) {
        self.count = length
        self.baseAddress = length == 0 ? Self.emptyByte : parent.baseAddress + offset
        if let storage = parent.storage {
            self.storage = storage.getSlice(at: storage.readerIndex + offset, length: length)
            self.foreign = nil
        } else {
            self.storage = nil
            self.foreign = parent.foreign   // keeps the foreign memory alive
        }
        LiveObjects.buffer(bytes: length, alive: true)
    }

    deinit { LiveObjects.buffer(bytes: count, alive: false) }

    /// A view of `[offset, offset+length)` sharing storage, or nil when out of range.
    public func slice(offset: Int, length: Int) -> MediaBuffer? {
        guard offset >= 0, length >= 0, offset <= count, length <= count - offset else { return nil }
        return MediaBuffer(sliceOf: self, offset: offset, length: length)
    }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: baseAddress, count: count) }

    public func toArray() -> [UInt8] { Array(bytes) }

    /// The bytes as a `ByteBuffer` for a socket write: no copy for NIO-backed buffers.
    public var byteBuffer: ByteBuffer {
        // `storage` of a NIO-backed buffer is set once in init; only foreign buffers fill it later.
        if foreign == nil, let storage { return storage }
        return materializeLock.withLock {
            if let storage { return storage }
            var buffer = Self.allocator.buffer(capacity: count)
            buffer.writeBytes(bytes)
            storage = buffer
            return buffer
        }
    }
}

/// Owns foreign memory; runs the owner's free callback exactly once, when the last view goes.
final class ForeignMemory: Sendable {
    private let free: @Sendable () -> Void
    init(free: @escaping @Sendable () -> Void) { self.free = free }
    deinit { free() }
}
