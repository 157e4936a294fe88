import MediaFormats
import MpegTS

/// Sizes of the program stream's own headers (ISO/IEC 13818-1 2.5.3).
enum PsHeaders {
    static let packStart: UInt8 = 0xBA
    static let endCode: UInt8 = 0xB9
    static let systemHeader: UInt8 = 0xBB
    static let streamMap: UInt8 = 0xBC
    static let privateStream1: UInt8 = 0xBD
    static let padding: UInt8 = 0xBE

    /// The whole pack_header from its start code (2.5.3.3): MPEG-2 ('01' after the start code) is 14 bytes
    /// plus pack_stuffing_length (low 3 bits of byte 13); MPEG-1 ('0010', ISO/IEC 11172-1 2.4.3.2) is 12.
    /// nil while too few bytes are known, -1 when the marker bits are neither.
    static func packHeaderLength(_ b: ArraySlice<UInt8>) -> Int? {
        let s = b.startIndex
        guard b.count >= 5 else { return nil }
        if b[s + 4] & 0xC0 == 0x40 {
            guard b.count >= 14 else { return nil }
            return 14 + Int(b[s + 13] & 0x07)
        }
        return b[s + 4] & 0xF0 == 0x20 ? 12 : -1
    }

    /// The stream_id -> stream_type entries of a program_stream_map packet (2.5.4.1), from its start code;
    /// nil when a length runs past the packet.
    static func streamMap(_ packet: ArraySlice<UInt8>) -> [UInt8: UInt8]? {
        var r = ByteReader(packet)
        guard r.u24() == 1, r.u8() == streamMap, let length = r.u16(), r.remaining >= Int(length),
              r.u8() != nil, r.u8() != nil,   // current_next_indicator, version; marker
              let infoLength = r.u16(), r.take(Int(infoLength)) != nil,
              let mapLength = r.u16(), let map = r.take(Int(mapLength)) else { return nil }
        var entries = ByteReader(map)
        var out: [UInt8: UInt8] = [:]
        while entries.remaining > 0 {
            guard let type = entries.u8(), let id = entries.u8(), let esInfo = entries.u16(),
                  entries.take(Int(esInfo)) != nil else { return nil }
            out[id] = type
        }
        return out
    }
}

/// The PTS/DTS and payload of one PES packet of a program stream (2.4.3.6), or of MPEG-1's form
/// (ISO/IEC 11172-1 2.4.3.3: stuffing bytes, optional STD buffer fields, then '0010'/'0011'/'00001111').
struct PsPesPacket {
    let pts: Int64?
    let dts: Int64?
    let payload: ArraySlice<UInt8>

    /// `bytes` from the start code to the packet's end.
    init?(_ bytes: ArraySlice<UInt8>) {
        var r = ByteReader(bytes)
        guard r.u24() == 1, r.u8() != nil, r.u16() != nil, let first = r.u8() else { return nil }
        if first & 0xC0 == 0x80 {
            guard let flags = r.u8(), let headerLength = r.u8(), let header = r.take(Int(headerLength)) else { return nil }
            pts = flags & 0x80 != 0 ? PesClock.readTimestamp(header) : nil
            dts = flags & 0xC0 == 0xC0 ? PesClock.readTimestamp(header.dropFirst(5)) : nil
            payload = bytes[r.offset...]
            return
        }
        // MPEG-1: back up to the byte just read and walk its fields.
        var i = r.offset - 1
        while i < bytes.endIndex, bytes[i] == 0xFF { i += 1 }
        guard i < bytes.endIndex else { return nil }
        if bytes[i] & 0xC0 == 0x40 { i += 2 }
        guard i < bytes.endIndex else { return nil }
        let b = bytes[i]
        if b & 0xF0 == 0x20 {
            pts = PesClock.readTimestamp(bytes[i...]); dts = nil; i += 5
        } else if b & 0xF0 == 0x30 {
            pts = PesClock.readTimestamp(bytes[i...]); dts = PesClock.readTimestamp(bytes[min(i + 5, bytes.endIndex)...]); i += 10
        } else if b == 0x0F {
            pts = nil; dts = nil; i += 1
        } else {
            return nil
        }
        guard i <= bytes.endIndex, pts != nil || b == 0x0F else { return nil }
        payload = bytes[i...]
    }
}
