import PluginABI

/// Builds one `conn_send_vec` call: ranges of shared buffers, and small inline runs kept in a reusable
/// scratch array. One builder per player, reused for every packet, so building allocates nothing in the
/// steady state.
///
/// Memory is per player, so a thousand players multiply it: the builder starts empty (the first frames
/// size it), the iovec array for the host call is a temporary (on the stack for ordinary counts), and
/// capacity grown by a burst (the GOP a new player is sent at once, a few hundred pieces) is let go after
/// that send instead of being kept at its high-water mark for the player's life.
public struct IovecBuilder {
    // Visible to inlinable code: `inline` is specialized in its callers (an unspecialized generic call per
    // packet header cost about 6 % of the server's CPU in the HTTP-FLV fan-out profile).
    @usableFromInline var scratch: [UInt8] = []
    @usableFromInline var pieces: [(buf: OpaquePointer?, offset: Int, len: Int)] = []

    /// Beyond these a send's capacity is a burst's, not the steady state's (a frame is two or three pieces
    /// and a dozen header bytes; one loop pass of a 100 ms merge is a few dozen pieces).
    static let keptPieces = 64
    static let keptScratch = 1024

    public init() {}

    public var isEmpty: Bool { pieces.isEmpty }
    var piecesForInspection: [(buf: OpaquePointer?, offset: Int, len: Int)] { pieces }
    var scratchForInspection: [UInt8] { scratch }
    var retainedCapacity: (pieces: Int, scratch: Int) { (pieces.capacity, scratch.capacity) }

    public mutating func range(_ buf: OpaquePointer, _ offset: Int, _ len: Int) {
        guard len > 0 else { return }
        // Adjacent ranges of the same buffer merge into one piece.
        if let last = pieces.last, last.buf == buf, last.offset + last.len == offset {
            pieces[pieces.count - 1].len += len
        } else {
            pieces.append((buf, offset, len))
        }
    }

    @inlinable
    public mutating func inline<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        guard !bytes.isEmpty else { return }
        let start = scratch.count
        scratch.append(contentsOf: bytes)
        if let last = pieces.last, last.buf == nil, last.offset + last.len == start {
            pieces[pieces.count - 1].len += bytes.count
        } else {
            pieces.append((nil, start, bytes.count))
        }
    }

    /// Sends everything gathered and empties the builder.
    public mutating func send(_ host: PluginHost, _ conn: OpaquePointer) {
        defer { reset() }
        guard !pieces.isEmpty else { return }
        scratch.withUnsafeBytes { raw in
            withUnsafeTemporaryAllocation(of: mr_iovec.self, capacity: pieces.count) { vec in
                for (i, p) in pieces.enumerated() {
                    if let b = p.buf {
                        vec.initializeElement(at: i, to: mr_iovec(buf: b, offset: p.offset, len: p.len, bytes: nil))
                    } else {
                        vec.initializeElement(at: i, to: mr_iovec(buf: nil, offset: 0, len: p.len,
                                                                  bytes: raw.baseAddress.map { $0 + p.offset }))
                    }
                }
                _ = host.table.conn_send_vec(conn, vec.baseAddress, pieces.count)
            }
        }
    }

    mutating func reset() {
        if pieces.capacity > Self.keptPieces { pieces = [] } else { pieces.removeAll(keepingCapacity: true) }
        if scratch.capacity > Self.keptScratch { scratch = [] } else { scratch.removeAll(keepingCapacity: true) }
    }
}

extension IovecBuilder {
    /// The bytes the gathered pieces add up to, reading buffers through `bytes` (tests, debugging).
    public func assembled(_ bytes: (OpaquePointer) -> UnsafeRawBufferPointer) -> [UInt8] {
        var out: [UInt8] = []
        for p in piecesForInspection {
            if let b = p.buf {
                out.append(contentsOf: bytes(b)[p.offset..<(p.offset + p.len)])
            } else {
                out.append(contentsOf: scratchForInspection[p.offset..<(p.offset + p.len)])
            }
        }
        return out
    }
}
