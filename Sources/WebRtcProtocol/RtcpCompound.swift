import MediaFormats
import RtpFormats

/// One packet of a compound RTCP packet as WebRTC uses it (RFC 3550 6, RFC 4585 6, RFC 5104 4). Sender and
/// receiver reports and BYE are RtpFormats' types; REMB and transport-wide CC are recognised and left for part 2.
public enum WebRtcRtcpPacket: Sendable, Equatable {
    case senderReport(RtcpSenderReport)
    case receiverReport(RtcpReceiverReport)
    /// CNAME per SSRC (other SDES items are skipped).
    case sourceDescription([RtcpCname])
    case bye([UInt32])
    case nack(RtcpNack)
    case pictureLossIndication(senderSsrc: UInt32, mediaSsrc: UInt32)
    case fullIntraRequest(RtcpFir)
    /// draft-alvestrand-rmcat-remb: the receiver's estimate in bit/s for these SSRCs.
    case remb(senderSsrc: UInt32, bitrate: UInt64, ssrcs: [UInt32])
    /// draft-holmer-rmcat-transport-wide-cc-extensions-01 feedback, not decoded yet.
    case transportWideFeedback(senderSsrc: UInt32, mediaSsrc: UInt32)
    case other(type: UInt8, format: UInt8)
}

public struct RtcpCname: Sendable, Equatable {
    public var ssrc: UInt32
    public var cname: String

    public init(ssrc: UInt32, cname: String) {
        self.ssrc = ssrc
        self.cname = cname
    }
}

public enum WebRtcRtcp {
    /// The packets of a compound RTCP datagram (after SRTCP decryption). Parsing stops at the first packet that
    /// is not version 2, runs past the end or is malformed; the packets before it are kept.
    public static func parse(_ bytes: ArraySlice<UInt8>) -> [WebRtcRtcpPacket] {
        var out: [WebRtcRtcpPacket] = []
        var i = bytes.startIndex
        while bytes.endIndex - i >= 4 {
            let b0 = bytes[i], type = bytes[i + 1]
            let length = ((Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])) + 1) * 4
            guard b0 >> 6 == 2, length <= bytes.endIndex - i else { break }
            let whole = bytes[i..<(i + length)]
            var body = bytes[(i + 4)..<(i + length)]
            if b0 & 0x20 != 0 {
                guard let pad = body.last, pad > 0, Int(pad) <= body.count else { break }
                body = body.dropLast(Int(pad))
            }
            guard let packet = parseOne(type: type, count: b0 & 0x1F, body: body, whole: whole) else { break }
            out.append(packet)
            i += length
        }
        return out
    }

    private static func parseOne(type: UInt8, count: UInt8, body: ArraySlice<UInt8>, whole: ArraySlice<UInt8>) -> WebRtcRtcpPacket? {
        switch type {
        case 200, 201, 203:
            // RtpFormats owns these three; it parses the one packet on its own.
            switch RtcpPacket.parseCompound(whole).first {
            case .senderReport(let sr): return .senderReport(sr)
            case .receiverReport(let rr): return .receiverReport(rr)
            case .bye(let ssrcs): return .bye(ssrcs)
            default: return nil
            }
        case 202:
            return parseSourceDescription(count: Int(count), body: body).map { .sourceDescription($0) }
        case RtcpFeedbackHeader.rtpfb, RtcpFeedbackHeader.psfb:
            var r = ByteReader(body)
            guard let sender = r.u32(), let media = r.u32() else { return nil }
            let fci = r.rest()
            switch (type, count) {
            case (RtcpFeedbackHeader.rtpfb, 1): return RtcpNack(sender: sender, media: media, fci: fci).map { .nack($0) }
            case (RtcpFeedbackHeader.rtpfb, 15): return .transportWideFeedback(senderSsrc: sender, mediaSsrc: media)
            case (RtcpFeedbackHeader.psfb, 1): return .pictureLossIndication(senderSsrc: sender, mediaSsrc: media)
            case (RtcpFeedbackHeader.psfb, 4):
                guard fci.count % 8 == 0 else { return nil }
                var f = ByteReader(fci)
                var entries: [(ssrc: UInt32, sequence: UInt8)] = []
                while let ssrc = f.u32(), let seq = f.u8(), f.take(3) != nil { entries.append((ssrc, seq)) }
                return .fullIntraRequest(RtcpFir(senderSsrc: sender, entries: entries))
            case (RtcpFeedbackHeader.psfb, 15):
                return parseRemb(sender: sender, fci: fci) ?? .other(type: type, format: count)
            default: return .other(type: type, format: count)
            }
        default:
            return .other(type: type, format: count)
        }
    }

    /// RFC 3550 6.5: chunks of SSRC then items (type, length, text) ended by a zero octet and padded to 4 bytes.
    private static func parseSourceDescription(count: Int, body: ArraySlice<UInt8>) -> [RtcpCname]? {
        var r = ByteReader(body)
        var out: [RtcpCname] = []
        for _ in 0..<count {
            guard let ssrc = r.u32() else { return nil }
            while true {
                guard let itemType = r.u8() else { return nil }
                if itemType == 0 { break }
                guard let length = r.u8(), let text = r.take(Int(length)) else { return nil }
                if itemType == 1 { out.append(RtcpCname(ssrc: ssrc, cname: String(decoding: text, as: UTF8.self))) }
            }
            // Skip to the chunk's 32-bit boundary.
            let used = r.offset - body.startIndex
            guard r.take((4 - used % 4) % 4) != nil else { return nil }
        }
        return out
    }

    /// REMB FCI: "REMB", SSRC count, 6-bit exponent and 18-bit mantissa, then the SSRCs.
    private static func parseRemb(sender: UInt32, fci: ArraySlice<UInt8>) -> WebRtcRtcpPacket? {
        var r = ByteReader(fci)
        guard let id = r.u32(), id == 0x5245_4D42, let n = r.u8(), let expMantissa = r.u24() else { return nil }
        let bitrate = UInt64(expMantissa & 0x3FFFF) << UInt64(expMantissa >> 18)
        var ssrcs: [UInt32] = []
        for _ in 0..<n {
            guard let s = r.u32() else { return nil }
            ssrcs.append(s)
        }
        return .remb(senderSsrc: sender, bitrate: bitrate, ssrcs: ssrcs)
    }

    /// SDES with one CNAME chunk and BYE, for the end of a session (RFC 3550 6.6).
    public static func goodbye(ssrc: UInt32, cname: String) -> [UInt8] {
        var out = RtcpReceiverReport(ssrc: ssrc, reports: []).encode(cname: cname)
        out += [0x81, 203, 0, 1] + bigEndian(UInt64(ssrc), bytes: 4)
        return out
    }
}
