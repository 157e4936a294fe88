import MediaFormats

/// PES packet header writing and parsing (ISO/IEC 13818-1 2.4.3.6-2.4.3.7). Timestamps are 33-bit 90 kHz values.
package enum TsPes {
    static let videoStreamId: UInt8 = 0xE0
    static let audioStreamId: UInt8 = 0xC0
    static let privateStream1: UInt8 = 0xBD

    /// `payloadLength` nil writes PES_packet_length 0, allowed for video only, for frames over 64 KB.
    package static func header(streamId: UInt8, pts: Int64, dts: Int64?, payloadLength: Int?) -> [UInt8] {
        let headerData = dts == nil ? 5 : 10
        var length = 0
        if let payloadLength { length = 3 + headerData + payloadLength }
        var out: [UInt8] = [0, 0, 1, streamId, UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)]
        out.reserveCapacity(9 + headerData)
        out.append(0x84)                         // '10', not scrambled, data_alignment_indicator: an AU starts here
        out.append(dts == nil ? 0x80 : 0xC0)     // PTS_DTS_flags
        out.append(UInt8(headerData))
        appendTimestamp(dts == nil ? 0x2 : 0x3, pts, to: &out)
        if let dts { appendTimestamp(0x1, dts, to: &out) }
        return out
    }

    /// Whether the largest PES_packet_length can describe a payload of this size with a PTS and a DTS.
    static func fitsLength(_ payloadLength: Int) -> Bool { 3 + 10 + payloadLength <= 0xFFFF }

    private static func appendTimestamp(_ prefix: UInt8, _ value: Int64, to out: inout [UInt8]) {
        let v = UInt64(truncatingIfNeeded: value) & 0x1_FFFF_FFFF
        out.append(prefix << 4 | UInt8(truncatingIfNeeded: (v >> 29) & 0x0E) | 1)
        out.append(UInt8(truncatingIfNeeded: v >> 22))
        out.append(UInt8(truncatingIfNeeded: (v >> 14) & 0xFE) | 1)
        out.append(UInt8(truncatingIfNeeded: v >> 7))
        out.append(UInt8(truncatingIfNeeded: (v << 1) & 0xFE) | 1)
    }

    static func readTimestamp(_ b: ArraySlice<UInt8>) -> Int64? {
        guard b.count >= 5 else { return nil }
        let s = b.startIndex
        let high = Int64((b[s] >> 1) & 0x07) << 30
        let mid = Int64(b[s + 1]) << 22 | Int64(b[s + 2] >> 1) << 15
        return high | mid | Int64(b[s + 3]) << 7 | Int64(b[s + 4] >> 1)
    }

    /// PES_packet_length from the first six bytes: nil while fewer are known, 0 when unbounded, -1 when the bytes
    /// are not a PES start.
    static func declaredLength(_ pes: [UInt8]) -> Int? {
        guard pes.count >= 6 else { return nil }
        guard pes[0] == 0, pes[1] == 0, pes[2] == 1 else { return -1 }
        return Int(pes[4]) << 8 | Int(pes[5])
    }
}

/// One complete PES packet as read from the stream.
struct TsPesPacket {
    let streamId: UInt8
    let pts: Int64?
    let dts: Int64?
    let payload: ArraySlice<UInt8>

    init?(_ bytes: ArraySlice<UInt8>) {
        var r = ByteReader(bytes)
        guard r.u24() == 1, let streamId = r.u8(), let length = r.u16() else { return nil }
        self.streamId = streamId
        var end = bytes.endIndex
        if length != 0 {
            guard r.remaining >= Int(length) else { return nil }
            end = r.offset + Int(length)
        }
        // Streams without the optional header: program_stream_map, padding, private_stream_2, ECM, EMM,
        // DSMCC, H.222.1 type E, program_stream_directory.
        if [0xBC, 0xBE, 0xBF, 0xF0, 0xF1, 0xF2, 0xF8, 0xFF].contains(streamId) {
            pts = nil
            dts = nil
            payload = bytes[r.offset..<end]
            return
        }
        guard let marker = r.u8(), marker & 0xC0 == 0x80, let flags = r.u8(), let headerLength = r.u8(),
              let header = r.take(Int(headerLength)), r.offset <= end else { return nil }
        let ptsDts = flags >> 6
        pts = ptsDts & 2 != 0 ? TsPes.readTimestamp(header) : nil
        dts = ptsDts == 3 ? TsPes.readTimestamp(header.dropFirst(5)) : nil
        payload = bytes[r.offset..<end]
    }
}
