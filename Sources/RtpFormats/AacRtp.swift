import MediaFormats

/// AAC over RTP, RFC 3640 mpeg4-generic in AAC-hbr mode (sizelength=13, indexlength=3, indexdeltalength=3).
///
/// Packetizing puts one access unit in each packet behind a 16-bit AU-headers-length and one AU header; an access
/// unit bigger than the budget is fragmented (RFC 3640 3.2.3), every fragment repeating the header with the
/// whole AU's size. The marker is set on every packet that ends an access unit, so on all but leading fragments.
public struct AacRtpPacketizer: RtpPacketizer {
    /// The biggest AU the 13-bit AU-size can describe.
    public static let maxFrameSize = (1 << 13) - 1
    private static let auSectionSize = 4   // AU-headers-length + one 16-bit AU header

    private var writer: RtpPacketWriter
    private let maxPayload: Int

    /// Nil if `maxPayload` cannot hold the AU header section plus one byte.
    public init?(payloadType: UInt8, ssrc: UInt32, maxPayload: Int = 1400, firstSequence: UInt16 = 0) {
        guard maxPayload > Self.auSectionSize else { return nil }
        self.writer = RtpPacketWriter(payloadType: payloadType, ssrc: ssrc, firstSequence: firstSequence, maxPayload: maxPayload)
        self.maxPayload = min(maxPayload, RtpPacketWriter.maxPayloadLimit)
    }

    public var payloadType: UInt8 { writer.payloadType }
    public var ssrc: UInt32 { writer.ssrc }
    public var sequence: UInt16 { writer.sequence }

    /// `frame` is one raw AAC frame (no ADTS); frames too big for AU-size are not sent.
    public mutating func packetize(_ frame: ArraySlice<UInt8>, timestamp: UInt32, emit: (UnsafeRawBufferPointer) -> Void) {
        guard !frame.isEmpty, frame.count <= Self.maxFrameSize else { return }
        let size = frame.count
        let chunk = maxPayload - Self.auSectionSize
        var offset = frame.startIndex
        while offset < frame.endIndex {
            let end = min(offset + chunk, frame.endIndex)
            writer.send(marker: end == frame.endIndex, timestamp: timestamp, emit: emit) { out in
                out.append(0x00)
                out.append(0x10)                              // 16 bits of AU headers
                out.append(UInt8(size >> 5))                  // AU-size (13 bits) ...
                out.append(UInt8(truncatingIfNeeded: size << 3)) // ... then AU-Index 0
                out.append(contentsOf: frame[offset..<end])
            }
            offset = end
        }
    }
}

/// Rebuilds raw AAC frames from RFC 3640 packets: several AUs per packet (timestamps advancing by
/// `frameDuration` each) or one AU fragmented over several packets. AU-Index(-delta) is read but interleaving is
/// not undone: AUs come out in packet order. CTS/DTS/RAP/auxiliary fields are not supported (not in AAC-hbr).
public struct AacRtpDepacketizer: RtpDepacketizer {
    private let sizeLength: Int
    private let indexLength: Int
    private let indexDeltaLength: Int
    private let frameDuration: UInt32

    private var fragment: [UInt8] = []
    private var fragmentSize = 0
    private var fragmentTimestamp: UInt32?
    /// A fragmented AU may only start after a packet that ended an AU, else its first fragment may be lost.
    private var mayStartFragment = true

    /// AUs dropped: fragments that never completed, sizes that overran the packet.
    public private(set) var droppedFrames = 0
    /// Packets whose AU header section was unusable.
    public private(set) var malformedPackets = 0
    /// Bytes of the fragmented AU being reassembled (bounded by the largest AU-size).
    public var bufferedBytes: Int { fragment.count }

    /// The defaults are AAC-hbr; AAC-lbr is sizeLength 6, indexLength 2, indexDeltaLength 2. `frameDuration` is
    /// in RTP clock ticks: 1024 when the clock rate is the sampling rate of 1024-sample frames.
    public init?(sizeLength: Int = 13, indexLength: Int = 3, indexDeltaLength: Int = 3, frameDuration: UInt32 = 1024) {
        guard (1...16).contains(sizeLength), (0...8).contains(indexLength), (0...8).contains(indexDeltaLength) else { return nil }
        self.sizeLength = sizeLength
        self.indexLength = indexLength
        self.indexDeltaLength = indexDeltaLength
        self.frameDuration = frameDuration
    }

    public mutating func push(_ packet: RtpPacket) -> [RtpAccessUnit] {
        var out: [RtpAccessUnit] = []
        defer { if packet.marker { mayStartFragment = true } }
        guard let (sizes, data) = parse(packet.payload) else {
            malformedPackets += 1
            dropFragment()
            return out
        }
        if let ts = fragmentTimestamp {
            if sizes.count == 1, sizes[0] == fragmentSize, ts == packet.timestamp {
                continueFragment(data, into: &out)
                return out
            }
            dropFragment()
        }
        if sizes.count == 1 && sizes[0] > data.count {
            startFragment(size: sizes[0], data: data, timestamp: packet.timestamp)
            return out
        }
        var offset = data.startIndex
        for (i, size) in sizes.enumerated() {
            guard size <= data.endIndex - offset else {
                droppedFrames += sizes.count - i
                break
            }
            let ts = packet.timestamp &+ UInt32(truncatingIfNeeded: i) &* frameDuration
            if size > 0 { out.append(RtpAccessUnit(timestamp: ts, key: true, data: Array(data[offset..<(offset + size)]))) }
            offset += size
        }
        return out
    }

    public mutating func lost() {
        dropFragment()
        mayStartFragment = false
    }

    public mutating func takeParameterSets() -> [[UInt8]] { [] }

    /// AU sizes from the AU header section, and the data section after it.
    private func parse(_ p: ArraySlice<UInt8>) -> (sizes: [Int], data: ArraySlice<UInt8>)? {
        guard p.count >= 2 else { return nil }
        let headerBits = Int(p[p.startIndex]) << 8 | Int(p[p.startIndex + 1])
        let headerBytes = (headerBits + 7) / 8
        guard headerBits > 0, p.count - 2 >= headerBytes else { return nil }
        var reader = BitReader(Array(p[(p.startIndex + 2)..<(p.startIndex + 2 + headerBytes)]))
        var sizes: [Int] = []
        var used = 0
        while true {
            let indexBits = sizes.isEmpty ? indexLength : indexDeltaLength
            guard headerBits - used >= sizeLength + indexBits, let size = reader.bits(sizeLength), reader.skip(indexBits) else { break }
            sizes.append(Int(size))
            used += sizeLength + indexBits
        }
        guard !sizes.isEmpty else { return nil }
        return (sizes, p.dropFirst(2 + headerBytes))
    }

    private mutating func startFragment(size: Int, data: ArraySlice<UInt8>, timestamp: UInt32) {
        guard mayStartFragment else {
            droppedFrames += 1
            return
        }
        fragment.append(contentsOf: data)
        fragmentSize = size
        fragmentTimestamp = timestamp
    }

    private mutating func continueFragment(_ data: ArraySlice<UInt8>, into out: inout [RtpAccessUnit]) {
        guard let ts = fragmentTimestamp, data.count <= fragmentSize - fragment.count else { return dropFragment() }
        fragment.append(contentsOf: data)
        guard fragment.count == fragmentSize else { return }
        out.append(RtpAccessUnit(timestamp: ts, key: true, data: fragment))
        fragment = []
        fragmentTimestamp = nil
    }

    private mutating func dropFragment() {
        guard fragmentTimestamp != nil else { return }
        droppedFrames += 1
        fragment.removeAll(keepingCapacity: true)
        fragmentTimestamp = nil
    }
}
