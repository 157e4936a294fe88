#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import PluginABI

/// `udp_send_batch`: the datagrams are checked and assembled first (a bad one sends nothing), then
/// queued on the channel, which writes them with sendmmsg; runs that qualify go out as one GSO send.
enum UdpBatch {
    static let maxDatagrams = 1024
    static let maxPieces = 64
    static let maxDatagramBytes = 65_507

    struct Datagram {
        let address: SocketAddress
        let payload: ByteBuffer
    }

    /// A sockaddr_in or sockaddr_in6 as NIO's address; nil for another family or a short length.
    static func address(_ to: UnsafePointer<sockaddr>, _ len: socklen_t) -> SocketAddress? {
        switch Int32(to.pointee.sa_family) {
        case AF_INET where len >= MemoryLayout<sockaddr_in>.size:
            return UnsafeRawPointer(to).withMemoryRebound(to: sockaddr_in.self, capacity: 1) { SocketAddress($0.pointee) }
        case AF_INET6 where len >= MemoryLayout<sockaddr_in6>.size:
            return UnsafeRawPointer(to).withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { SocketAddress($0.pointee) }
        default:
            return nil
        }
    }

    /// Checks and assembles every datagram; a message for the first bad one.
    static func prepare(_ list: UnsafeBufferPointer<mr_udp_datagram>, allocator: ByteBufferAllocator,
                        buffer: (OpaquePointer?) -> MediaBuffer?) -> Result<[Datagram], BatchError> {
        var out: [Datagram] = []
        out.reserveCapacity(list.count)
        for (i, d) in list.enumerated() {
            guard let to = d.to, let address = address(to, d.to_len) else { return .failure(.init("datagram \(i): bad address")) }
            guard d.vec_count <= maxPieces, d.vec_count == 0 || d.vec != nil else {
                return .failure(.init("datagram \(i): at most \(maxPieces) pieces"))
            }
            let pieces = UnsafeBufferPointer(start: d.vec, count: d.vec_count)
            var total = 0
            for (j, v) in pieces.enumerated() {
                if let b = buffer(v.buf) {
                    guard v.offset <= b.count, v.len <= b.count - v.offset else {
                        return .failure(.init("datagram \(i): range \(j) is outside its buffer"))
                    }
                } else {
                    guard v.bytes != nil || v.len == 0 else { return .failure(.init("datagram \(i): no bytes at piece \(j)")) }
                }
                guard v.len <= maxDatagramBytes else { return .failure(.init("datagram \(i) is over \(maxDatagramBytes) bytes")) }
                total += v.len
            }
            guard total <= maxDatagramBytes else { return .failure(.init("datagram \(i) is over \(maxDatagramBytes) bytes")) }
            out.append(Datagram(address: address, payload: assemble(pieces, total: total, allocator: allocator, buffer: buffer)))
        }
        return .success(out)
    }

    /// One range of a shared buffer is sent as a slice of it; anything else is copied into one buffer.
    private static func assemble(_ pieces: UnsafeBufferPointer<mr_iovec>, total: Int, allocator: ByteBufferAllocator,
                                 buffer: (OpaquePointer?) -> MediaBuffer?) -> ByteBuffer {
        if pieces.count == 1, let b = buffer(pieces[0].buf) {
            let whole = b.byteBuffer
            return whole.getSlice(at: whole.readerIndex + pieces[0].offset, length: pieces[0].len) ?? ByteBuffer()
        }
        var out = allocator.buffer(capacity: total)
        for v in pieces where v.len > 0 {
            if let b = buffer(v.buf) {
                let whole = b.byteBuffer
                if var part = whole.getSlice(at: whole.readerIndex + v.offset, length: v.len) { out.writeBuffer(&part) }
            } else {
                out.writeBytes(UnsafeRawBufferPointer(start: v.bytes, count: v.len))
            }
        }
        return out
    }

    /// Owner loop. Sends (or, corked, queues) the datagrams in order. MR_ERR_BUSY when some were dropped for
    /// a full queue, MR_ERR_IO when a GSO send failed for a reason a plain send would have had too.
    static func send(_ datagrams: [Datagram], on sock: UdpSocket, segmentation: Bool) -> Int32 {
        var dropped = 0
        var lostTo: Int32?
        var i = 0
        while i < datagrams.count {
            let run = segmentation && sock.segmentationUsable ? runLength(datagrams, from: i) : 1
            if run >= 2 {
                switch sendRun(datagrams[i..<(i + run)], on: sock) {
                case .sent: sock.segmentedSends += 1
                case .failed(let e): lostTo = e
                case .wouldBlock, .refused:
                    for d in datagrams[i..<(i + run)] where !sock.enqueue(d.payload, to: d.address) { dropped += 1 }
                }
            } else if !sock.enqueue(datagrams[i].payload, to: datagrams[i].address) {
                dropped += 1
            }
            i += run
        }
        if !sock.corked { sock.flush() }
        if dropped > 0 { return LastError.fail(MR_ERR_BUSY, "send queue full: \(dropped) datagrams dropped") }
        if let lostTo { return LastError.fail(MR_ERR_IO, "GSO send failed: \(String(cString: strerror(lostTo)))") }
        return Int32(MR_OK)
    }

    /// Datagrams from `start` that one GSO send may carry: same destination, the first one's size, except
    /// the last, which may be shorter (the kernel's rule).
    static func runLength(_ datagrams: [Datagram], from start: Int) -> Int {
        let first = datagrams[start]
        let size = first.payload.readableBytes
        guard size > 0 else { return 1 }
        var n = 1
        var bytes = size
        while start + n < datagrams.count, n < UdpSegmentSend.maxSegments {
            let next = datagrams[start + n]
            let len = next.payload.readableBytes
            guard len > 0, len <= size, bytes + len <= UdpSegmentSend.maxBytes, next.address == first.address else { break }
            n += 1
            bytes += len
            if len < size { break }
        }
        return n
    }

    private static func sendRun(_ run: ArraySlice<Datagram>, on sock: UdpSocket) -> UdpSegmentSend.Outcome {
        // Whatever is queued goes first, so the run keeps its place; a backlog the kernel has not taken
        // yet means the run must queue behind it.
        sock.flush()
        guard sock.queueIsEmpty, let first = run.first else { return .wouldBlock }
        var payload = sock.channel.allocator.buffer(capacity: run.reduce(0) { $0 + $1.payload.readableBytes })
        for d in run { var p = d.payload; payload.writeBuffer(&p) }
        let outcome = UdpSegmentSend.send(descriptor: sock.descriptor, to: first.address, payload: payload,
                                          segmentSize: first.payload.readableBytes)
        if case .refused(let e) = outcome {
            sock.segmentationUsable = false
            sock.owner?.logger.debug("udp port \(sock.port): GSO refused (\(String(cString: strerror(e)))); plain datagrams from now on")
        }
        return outcome
    }
}

struct BatchError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
