#if canImport(Glibc)
import Glibc
#endif
import PluginABI

/// Builds one `udp_send_batch` call: datagrams of shared buffer ranges and small inline runs, each to its
/// destination. Reused for every batch (one per socket), so building allocates nothing once warm.
public struct UdpBatchBuilder {
    // Visible to inlinable code: `inline` is specialized in its callers, not called as a generic per packet.
    @usableFromInline var scratch: [UInt8] = []
    private var addresses: [sockaddr_storage] = []
    private var addressLengths: [socklen_t] = []
    @usableFromInline var pieces: [(buf: OpaquePointer?, offset: Int, len: Int)] = []
    /// Per datagram: its address index and its first piece.
    @usableFromInline var datagrams: [(address: Int, firstPiece: Int)] = []
    private var vec: [mr_iovec] = []
    private var list: [mr_udp_datagram] = []

    public init() {}

    public var count: Int { datagrams.count }

    /// Starts a datagram to `address` (a sockaddr_in or sockaddr_in6, copied).
    public mutating func begin(to address: UnsafePointer<sockaddr>, length: socklen_t) {
        let len = min(Int(length), MemoryLayout<sockaddr_storage>.size)
        let same = addresses.last.map { last in
            withUnsafeBytes(of: last) { $0.baseAddress.map { memcmp($0, address, len) == 0 } ?? false } && addressLengths.last == socklen_t(len)
        } ?? false
        if !same {
            var storage = sockaddr_storage()
            withUnsafeMutableBytes(of: &storage) { $0.baseAddress?.copyMemory(from: address, byteCount: len) }
            addresses.append(storage)
            addressLengths.append(socklen_t(len))
        }
        datagrams.append((addresses.count - 1, pieces.count))
    }

    /// Adds `len` bytes of `buf` from `offset` to the current datagram (shared, not copied).
    public mutating func range(_ buf: OpaquePointer, _ offset: Int, _ len: Int) {
        guard len > 0, !datagrams.isEmpty else { return }
        pieces.append((buf, offset, len))
    }

    /// Adds a few bytes of the plugin's own (a header) to the current datagram; the host copies them.
    @inlinable
    public mutating func inline<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        guard !bytes.isEmpty, !datagrams.isEmpty else { return }
        let start = scratch.count
        scratch.append(contentsOf: bytes)
        pieces.append((nil, start, bytes.count))
    }

    /// Sends the datagrams (up to 1024 per call) and empties the builder.
    @discardableResult
    public mutating func send(_ host: PluginHost, _ sock: OpaquePointer, flags: UInt32 = 0) -> Int32 {
        defer {
            scratch.removeAll(keepingCapacity: true)
            addresses.removeAll(keepingCapacity: true)
            addressLengths.removeAll(keepingCapacity: true)
            pieces.removeAll(keepingCapacity: true)
            datagrams.removeAll(keepingCapacity: true)
            vec.removeAll(keepingCapacity: true)
            list.removeAll(keepingCapacity: true)
        }
        guard !datagrams.isEmpty else { return Int32(MR_OK) }
        guard host.hasABI13Transport, let sendBatch = host.table.udp_send_batch else { return Int32(MR_ERR_UNSUPPORTED) }
        return scratch.withUnsafeBytes { raw in
            for p in pieces {
                vec.append(mr_iovec(buf: p.buf, offset: p.buf == nil ? 0 : p.offset, len: p.len,
                                    bytes: p.buf == nil ? raw.baseAddress.map { UnsafeRawPointer($0 + p.offset) } : nil))
            }
            return addresses.withUnsafeBytes { addressBytes in
                vec.withUnsafeBufferPointer { v in
                    for (i, d) in datagrams.enumerated() {
                        let end = i + 1 < datagrams.count ? datagrams[i + 1].firstPiece : pieces.count
                        let to = addressBytes.baseAddress.map {
                            ($0 + d.address * MemoryLayout<sockaddr_storage>.stride).assumingMemoryBound(to: sockaddr.self)
                        }
                        list.append(mr_udp_datagram(to: to, to_len: addressLengths[d.address],
                                                    vec: v.baseAddress.map { $0 + d.firstPiece }, vec_count: end - d.firstPiece))
                    }
                    var status = Int32(MR_OK)
                    var at = 0
                    while at < list.count {
                        let n = min(1024, list.count - at)
                        let rc = list.withUnsafeBufferPointer { sendBatch(sock, $0.baseAddress.map { $0 + at }, n, flags) }
                        if rc != MR_OK { status = rc }
                        at += n
                    }
                    return status
                }
            }
        }
    }
}
