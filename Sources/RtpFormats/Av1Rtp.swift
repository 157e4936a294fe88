import MediaFormats

/// AV1 over RTP (AOM "RTP Payload Format for AV1" v1.0): a temporal unit's OBUs, without temporal delimiters,
/// tile lists and padding and with `obu_has_size_field` cleared, as OBU elements packed into payloads within the
/// budget behind the aggregation header (Z Y W N); an OBU that does not fit is fragmented across packets (Y, then
/// Z). Up to three elements per packet use W, which spares the last one its LEB128 length. N marks a temporal
/// unit with a sequence header (a new coded video sequence starts there); the marker ends the temporal unit.
public struct Av1RtpPacketizer: RtpPacketizer {
    private struct Fragment {
        var unit: Int
        var from: Int
        var count: Int
    }

    private var writer: RtpPacketWriter
    private let budget: Int

    /// Nil if `maxPayload` cannot hold the aggregation header, a one-byte length and one byte.
    public init?(payloadType: UInt8, ssrc: UInt32, maxPayload: Int = 1400, firstSequence: UInt16 = 0) {
        budget = min(maxPayload, RtpPacketWriter.maxPayloadLimit)
        guard budget >= 3 else { return nil }
        writer = RtpPacketWriter(payloadType: payloadType, ssrc: ssrc, firstSequence: firstSequence, maxPayload: budget)
    }

    public var payloadType: UInt8 { writer.payloadType }
    public var ssrc: UInt32 { writer.ssrc }
    public var sequence: UInt16 { writer.sequence }

    /// `frame` is a temporal unit in the low-overhead format (OBUs with sizes; the last may run to the end).
    public mutating func packetize(_ frame: ArraySlice<UInt8>, timestamp: UInt32, emit: (UnsafeRawBufferPointer) -> Void) {
        guard let all = Av1Obu.units(frame) else { return }
        let units = all.filter { !Av1Obu.dropped($0.type) }
        guard !units.isEmpty else { return }
        let packets = plan(units)
        let newSequence = units.contains { $0.type == Av1Obu.sequenceHeader }
        for (n, fragments) in packets.enumerated() {
            guard let first = fragments.first, let last = fragments.last else { continue }
            let continues = first.from > 0
            let continuesNext = last.from + last.count < Self.elementSize(units[last.unit])
            let w = fragments.count <= 3 ? fragments.count : 0
            let aggregation: UInt8 = (continues ? 0x80 : 0) | (continuesNext ? 0x40 : 0) | UInt8(w << 4) | (newSequence && n == 0 ? 0x08 : 0)
            writer.send(marker: n == packets.count - 1, timestamp: timestamp, emit: emit) { out in
                out.append(aggregation)
                for (k, f) in fragments.enumerated() {
                    if w == 0 || k < w - 1 { Av1Obu.appendLeb128(f.count, to: &out) }
                    Self.appendElement(units[f.unit], from: f.from, count: f.count, to: &out)
                }
            }
        }
    }

    /// Cuts the elements into packets, each element carrying its LEB128 length (W may later drop the last one).
    private func plan(_ units: [Av1Obu.Unit]) -> [[Fragment]] {
        var packets: [[Fragment]] = [[]]
        var used = 1
        for (k, u) in units.enumerated() {
            let total = Self.elementSize(u)
            var from = 0
            while from < total {
                let room = budget - used
                guard room >= 2 else {
                    packets.append([])
                    used = 1
                    continue
                }
                var n = min(total - from, room - 1)
                while Av1Obu.leb128Size(n) + n > room { n -= 1 }
                packets[packets.count - 1].append(Fragment(unit: k, from: from, count: n))
                used += Av1Obu.leb128Size(n) + n
                from += n
                if from < total {
                    packets.append([])
                    used = 1
                }
            }
        }
        return packets
    }

    static func elementSize(_ u: Av1Obu.Unit) -> Int { u.header.count + u.payload.count }

    /// Bytes `from..<from+count` of the OBU element: the header with `obu_has_size_field` cleared, the payload.
    static func appendElement(_ u: Av1Obu.Unit, from: Int, count: Int, to out: inout [UInt8]) {
        let h = u.header.count
        if from < h {
            for i in from..<min(from + count, h) {
                let b = u.header[u.header.startIndex + i]
                out.append(i == 0 ? b & ~Av1Obu.hasSizeField : b)
            }
        }
        let start = max(from, h) - h, end = from + count - h
        if end > start { out.append(contentsOf: u.payload.dropFirst(start).prefix(end - start)) }
    }
}

/// Rebuilds temporal units in the low-overhead format (each OBU with `obu_size`, temporal delimiters left out)
/// from the marker to the marker; fragments are joined by Z and Y. A loss drops the temporal unit being built and
/// the rest of its packets. A key unit is one with a sequence header (or N set).
public struct Av1RtpDepacketizer: RtpDepacketizer {
    /// Bound on one temporal unit: far above any frame of a sane AV1 stream.
    static let maxUnitBytes = 8 << 20

    private var unit: [UInt8] = []
    /// The OBU element continued in the next packet (Y), joined when it arrives with Z.
    private var fragment: [UInt8] = []
    private var fragmenting = false
    private var timestamp: UInt32 = 0
    private var assembling = false
    /// Packets of a dropped temporal unit are skipped: starting inside it would lose its first OBUs.
    private var skipping: UInt32?
    /// A loss between temporal units: the next packet's unit may have lost its start, so it is skipped.
    private var skipNext = false
    private var key = false
    public private(set) var malformedPackets = 0
    /// Temporal units dropped because a packet was lost or malformed, the next began first, or they grew past the bound.
    public private(set) var droppedFrames = 0

    public init() {}

    public mutating func push(_ packet: RtpPacket) -> [RtpAccessUnit] {
        let p = packet.payload
        if assembling, packet.timestamp != timestamp { drop() }
        if skipNext {
            skipNext = false
            skipping = packet.timestamp
        }
        if let s = skipping {
            guard s != packet.timestamp else { return [] }
            skipping = nil
        }
        guard let aggregation = p.first, let elements = Self.elements(p) else {
            malformedPackets += 1
            drop()
            return []
        }
        let z = aggregation & 0x80 != 0, y = aggregation & 0x40 != 0
        if !assembling {
            // The start of this temporal unit was lost.
            guard !z else {
                skipping = packet.timestamp
                return []
            }
            begin(packet.timestamp)
        }
        if aggregation & 0x08 != 0 { key = true }
        for (k, e) in elements.enumerated() {
            if k == 0, z {
                guard fragmenting else {
                    malformedPackets += 1
                    drop()
                    return []
                }
                fragment.append(contentsOf: e)
            } else {
                fragment.removeAll(keepingCapacity: true)
                fragment.append(contentsOf: e)
            }
            fragmenting = k == elements.count - 1 && y
            guard fragment.count + unit.count <= Self.maxUnitBytes else {
                drop()
                return []
            }
            if !fragmenting, !complete() {
                malformedPackets += 1
                drop()
                return []
            }
        }
        guard packet.marker, !fragmenting else { return [] }
        assembling = false
        guard !unit.isEmpty else { return [] }
        return [RtpAccessUnit(timestamp: timestamp, key: key, data: unit)]
    }

    public mutating func lost() {
        if !assembling { skipNext = true }
        drop()
    }

    public mutating func takeParameterSets() -> [[UInt8]] { [] }

    /// The OBU elements after the aggregation header; nil when a length runs past the payload, W names more
    /// elements than there are, or there are none.
    static func elements(_ p: ArraySlice<UInt8>) -> [ArraySlice<UInt8>]? {
        guard let aggregation = p.first else { return nil }
        let w = Int((aggregation >> 4) & 0x03)
        var out: [ArraySlice<UInt8>] = []
        var i = p.startIndex + 1
        while i < p.endIndex {
            if w != 0, out.count == w - 1 {
                out.append(p[i...])
                i = p.endIndex
                break
            }
            guard let size = Av1Obu.leb128(p, at: &i), size <= p.endIndex - i else { return nil }
            out.append(p[i..<(i + size)])
            i += size
        }
        guard !out.isEmpty, w == 0 || out.count == w else { return nil }
        return out
    }

    /// The whole OBU element in `fragment` goes into the unit with its size; false if it is malformed.
    private mutating func complete() -> Bool {
        var i = fragment.startIndex
        guard let u = Av1Obu.unit(fragment[...], at: &i) else { return false }
        if u.type == Av1Obu.sequenceHeader { key = true }
        if !Av1Obu.dropped(u.type) { Av1Obu.appendSized(u, to: &unit) }
        return true
    }

    private mutating func begin(_ timestamp: UInt32) {
        unit.removeAll(keepingCapacity: true)
        fragment.removeAll(keepingCapacity: true)
        fragmenting = false
        key = false
        self.timestamp = timestamp
        assembling = true
    }

    private mutating func drop() {
        if assembling {
            droppedFrames += 1
            skipping = timestamp
        }
        assembling = false
        fragmenting = false
        unit.removeAll(keepingCapacity: true)
        fragment.removeAll(keepingCapacity: true)
    }
}
