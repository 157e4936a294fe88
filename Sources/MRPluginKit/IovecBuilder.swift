import PluginABI

/// Builds one `conn_send_vec` call: ranges of shared buffers, and small inline runs kept in a reusable
/// scratch array. One builder per player, reused for every packet, so building allocates nothing in the
/// steady state.
///
/// The vector is built as pieces come (an inline piece holds its scratch offset in `offset` until `send`
/// points it into the scratch), so sending walks nothing but the vector it hands to the host.
///
/// Memory is per player, so a thousand players multiply it: the builder starts empty (the first frames
/// size it), and capacity grown by a burst (the GOP a new player is sent at once, a few hundred pieces) is
/// let go after that send instead of being kept at its high-water mark for the player's life.
public struct IovecBuilder {
    // Visible to inlinable code: `inline` is specialized in its callers (an unspecialized generic call per
    // packet header cost about 6 % of the server's CPU in the HTTP-FLV fan-out profile).
    @usableFromInline var scratch: [UInt8] = []
    @usableFromInline var vec: [mr_iovec] = []

    /// Beyond these a send's capacity is a burst's, not the steady state's: a frame is two to six pieces and a
    /// dozen header bytes, and a loop pass usually hands a player one or two frames. At 64 pieces and 1 KiB
    /// (before) a player kept about 1.4 KB after any burst of a few frames; a 100 ms merge's few dozen pieces
    /// now allocate per send (ten a second per player), which costs less than keeping them for every player.
    static let keptPieces = 16
    static let keptScratch = 256

    public init() {}

    public var isEmpty: Bool { vec.isEmpty }
    var retainedCapacity: (pieces: Int, scratch: Int) { (vec.capacity, scratch.capacity) }

    public mutating func range(_ buf: OpaquePointer, _ offset: Int, _ len: Int) {
        guard len > 0 else { return }
        // Adjacent ranges of the same buffer merge into one piece.
        let n = vec.count
        // `mr_iovec.buf` imports as an implicitly unwrapped optional: compare it as an optional.
        let lastBuf: OpaquePointer? = n > 0 ? vec[n - 1].buf : nil
        if lastBuf == buf, vec[n - 1].offset + vec[n - 1].len == offset {
            vec[n - 1].len += len
        } else {
            vec.append(mr_iovec(buf: buf, offset: offset, len: len, bytes: nil))
        }
    }

    /// Inline bytes from memory: one copy into the scratch (the rebase helpers' packet headers).
    @inlinable
    public mutating func inline(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        let start = scratch.count
        scratch.append(contentsOf: UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: bytes.count))
        addInline(start, bytes.count)
    }

    @inlinable
    public mutating func inline<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        guard !bytes.isEmpty else { return }
        let start = scratch.count
        scratch.append(contentsOf: bytes)
        addInline(start, bytes.count)
    }

    /// Records `len` scratch bytes at `start` as a piece, merged with an inline piece just before them.
    @inlinable
    mutating func addInline(_ start: Int, _ len: Int) {
        let n = vec.count
        if n > 0, vec[n - 1].buf == nil, vec[n - 1].offset + vec[n - 1].len == start {
            vec[n - 1].len += len
        } else {
            vec.append(mr_iovec(buf: nil, offset: start, len: len, bytes: nil))
        }
    }

    /// Sends everything gathered and empties the builder.
    public mutating func send(_ host: PluginHost, _ conn: OpaquePointer) {
        defer { reset() }
        guard !vec.isEmpty else { return }
        scratch.withUnsafeBytes { raw in
            vec.withUnsafeMutableBufferPointer { v in
                guard let first = v.baseAddress else { return }
                for i in v.indices where v[i].buf == nil {
                    v[i].bytes = raw.baseAddress.map { $0 + v[i].offset }
                    v[i].offset = 0
                }
                _ = host.table.conn_send_vec(conn, first, v.count)
            }
        }
    }

    mutating func reset() {
        if vec.capacity > Self.keptPieces { vec = [] } else { vec.removeAll(keepingCapacity: true) }
        if scratch.capacity > Self.keptScratch { scratch = [] } else { scratch.removeAll(keepingCapacity: true) }
    }
}

extension IovecBuilder {
    /// The bytes the gathered pieces add up to, reading buffers through `bytes` (tests, debugging). Only before
    /// `send`, while inline pieces still hold their scratch offsets.
    public func assembled(_ bytes: (OpaquePointer) -> UnsafeRawBufferPointer) -> [UInt8] {
        var out: [UInt8] = []
        for p in vec {
            if let b = p.buf {
                out.append(contentsOf: bytes(b)[p.offset..<(p.offset + p.len)])
            } else {
                out.append(contentsOf: scratch[p.offset..<(p.offset + p.len)])
            }
        }
        return out
    }
}
