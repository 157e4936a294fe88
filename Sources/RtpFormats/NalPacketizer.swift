import MediaFormats

/// Packetizes length-prefixed access units the same way for H.264 and H.265: NAL units that fit are packed
/// greedily into aggregation packets (sent as single NAL unit packets when only one fits), a NAL unit bigger than
/// the budget is fragmented into full-size fragments, and the last packet of the access unit carries the marker.
struct NalPacketizer<Format: NalRtpFormat>: Sendable {
    private(set) var writer: RtpPacketWriter
    let maxPayload: Int

    init?(payloadType: UInt8, ssrc: UInt32, maxPayload: Int, firstSequence: UInt16) {
        // A fragment must carry at least one byte after its headers.
        guard maxPayload > Format.fragmentHeaderSize else { return nil }
        self.writer = RtpPacketWriter(payloadType: payloadType, ssrc: ssrc, firstSequence: firstSequence, maxPayload: maxPayload)
        self.maxPayload = min(maxPayload, RtpPacketWriter.maxPayloadLimit)
    }

    mutating func packetize(_ frame: ArraySlice<UInt8>, timestamp: UInt32, emit: (UnsafeRawBufferPointer) -> Void) {
        // A malformed bus frame cannot be split into NAL units reliably: send nothing rather than garbage.
        guard let nals = NalUnits.splitLengthPrefixed(frame), !nals.isEmpty else { return }
        var pending = 0..<0      // NAL units waiting to be aggregated
        var pendingSize = 0      // aggregation packet payload size so far, header included
        for (i, nal) in nals.enumerated() {
            let last = i == nals.count - 1
            if nal.count > maxPayload {
                flush(nals, pending, marker: false, timestamp: timestamp, emit: emit)
                pending = i..<i
                fragment(nal, marker: last, timestamp: timestamp, emit: emit)
                continue
            }
            if !pending.isEmpty && pendingSize + 2 + nal.count > maxPayload {
                flush(nals, pending, marker: false, timestamp: timestamp, emit: emit)
                pending = i..<i
            }
            let size = (pending.isEmpty ? Format.aggregationHeaderSize : pendingSize) + 2 + nal.count
            if size <= maxPayload {
                pending = (pending.isEmpty ? i : pending.lowerBound)..<(i + 1)
                pendingSize = size
            } else {
                single(nal, marker: last, timestamp: timestamp, emit: emit)
                pending = (i + 1)..<(i + 1)
            }
        }
        flush(nals, pending, marker: true, timestamp: timestamp, emit: emit)
    }

    private mutating func flush(_ nals: [ArraySlice<UInt8>], _ range: Range<Int>, marker: Bool, timestamp: UInt32,
                                emit: (UnsafeRawBufferPointer) -> Void) {
        if range.count == 1 {
            single(nals[range.lowerBound], marker: marker, timestamp: timestamp, emit: emit)
        } else if range.count > 1 {
            writer.send(marker: marker, timestamp: timestamp, emit: emit) { out in
                Format.appendAggregationHeader(for: nals[range], to: &out)
                for nal in nals[range] {
                    out.append(UInt8(truncatingIfNeeded: nal.count >> 8))
                    out.append(UInt8(truncatingIfNeeded: nal.count))
                    out.append(contentsOf: nal)
                }
            }
        }
    }

    private mutating func single(_ nal: ArraySlice<UInt8>, marker: Bool, timestamp: UInt32, emit: (UnsafeRawBufferPointer) -> Void) {
        writer.send(marker: marker, timestamp: timestamp, emit: emit) { $0.append(contentsOf: nal) }
    }

    private mutating func fragment(_ nal: ArraySlice<UInt8>, marker: Bool, timestamp: UInt32, emit: (UnsafeRawBufferPointer) -> Void) {
        let chunk = maxPayload - Format.fragmentHeaderSize
        var offset = nal.startIndex + Format.nalHeaderSize   // the NAL header travels inside the FU headers
        var start = true
        while offset < nal.endIndex {
            let end = min(offset + chunk, nal.endIndex)
            let isEnd = end == nal.endIndex
            writer.send(marker: marker && isEnd, timestamp: timestamp, emit: emit) { out in
                Format.appendFragmentHeader(of: nal, start: start, end: isEnd, to: &out)
                out.append(contentsOf: nal[offset..<end])
            }
            start = false
            offset = end
        }
    }
}
