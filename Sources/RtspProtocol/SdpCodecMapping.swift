import MediaFormats

/// Maps an rtpmap encoding plus fmtp to a codec and the bus's extradata (RFC 6184, RFC 7798, RFC 3640,
/// RFC 6416, RFC 7587, RFC 3551).
enum SdpCodecMapping {
    /// Static payload types usable without an rtpmap (RFC 3551 table 4) that this library supports.
    static func staticPayload(_ pt: UInt8) -> (name: String, clockRate: Int, channels: Int)? {
        switch pt {
        case 0: return ("PCMU", 8000, 1)
        case 8: return ("PCMA", 8000, 1)
        default: return nil
        }
    }

    static func codec(encoding: String, mediaType: String, fmtp: [String: String]) -> Codec? {
        let codec: Codec?
        switch encoding {
        case "H264": codec = .h264
        case "H265", "HEVC": codec = .h265
        case "MPEG4-GENERIC":
            // Only the AAC modes; CELP and the generic mode carry other payloads.
            let mode = fmtp["mode"]?.asciiLowercased()
            codec = mode == "aac-hbr" || mode == "aac-lbr" ? .aac : nil
        case "MP4A-LATM": codec = .aac
        case "PCMA": codec = .pcma
        case "PCMU": codec = .pcmu
        case "OPUS": codec = .opus
        default: codec = nil
        }
        guard let codec else { return nil }
        // An H264 "audio" track is nonsense: treat it as unsupported rather than feed a wrong decoder.
        guard codec.isVideo == (mediaType == "video") else { return nil }
        return codec
    }

    static func config(codec: Codec, encoding: String, fmtp: [String: String]) -> (config: [UInt8], latm: [UInt8]?) {
        switch codec {
        case .h264: return (h264(fmtp), nil)
        case .h265: return (h265(fmtp), nil)
        case .aac where encoding == "MP4A-LATM":
            // cpresent=1 means the StreamMuxConfig travels in-band; the fmtp config is then absent or stale.
            guard fmtp["cpresent"] != "1", let hex = fmtp["config"], let bytes = hexBytes(hex[...]), !bytes.isEmpty else { return ([], nil) }
            return ([], bytes)
        case .aac:
            guard let hex = fmtp["config"], let bytes = hexBytes(hex[...]), AudioSpecificConfig(bytes[...]) != nil else { return ([], nil) }
            return (bytes, nil)
        default:
            return ([], nil)
        }
    }

    private static func h264(_ fmtp: [String: String]) -> [UInt8] {
        guard let sets = fmtp["sprop-parameter-sets"], let nals = decodeList(sets) else { return [] }
        let sps = nals.filter { $0.count >= 4 && $0[0] & 0x1F == 7 }
        let pps = nals.filter { !$0.isEmpty && $0[0] & 0x1F == 8 }
        guard !sps.isEmpty, !pps.isEmpty, sps.count <= 31, pps.count <= 255 else { return [] }
        return AVCDecoderConfig(sps: sps, pps: pps).encode()
    }

    private static func h265(_ fmtp: [String: String]) -> [UInt8] {
        guard let v = fmtp["sprop-vps"].flatMap(decodeList), let s = fmtp["sprop-sps"].flatMap(decodeList),
              let p = fmtp["sprop-pps"].flatMap(decodeList), let v0 = v.first, let s0 = s.first, let p0 = p.first,
              var record = HEVCDecoderConfig(vps: v0, sps: s0, pps: p0) else { return [] }
        record.vps = v
        record.sps = s
        record.pps = p
        return record.encode()
    }

    /// Comma-separated base64 NAL units; nil if any is broken or empty, or they would not fit a config record.
    private static func decodeList(_ value: String) -> [[UInt8]]? {
        let parts = value.split(separator: ",", omittingEmptySubsequences: true)
        guard !parts.isEmpty, parts.count <= 32 else { return nil }
        var out: [[UInt8]] = []
        for part in parts {
            guard let nal = Base64.decode(part.trimmingSpaces()), !nal.isEmpty, nal.count <= 65535 else { return nil }
            out.append(nal)
        }
        return out
    }
}
