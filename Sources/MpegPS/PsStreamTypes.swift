import MediaFormats

/// Stream types of a program stream map (ISO/IEC 13818-1 Table 2-34, and the values GB28181 devices and
/// the ireader/ZLMediaKit muxers use for G.711 and Opus), and the guesses for a stream no map described.
enum PsStreamTypes {
    static func codec(streamType: UInt8) -> Codec? {
        switch streamType {
        case 0x1B: return .h264
        case 0x24: return .h265
        case 0x0F: return .aac
        case 0x90: return .pcma
        case 0x91: return .pcmu
        case 0x9C: return .opus
        default: return nil
        }
    }

    static func isVideo(_ streamId: UInt8) -> Bool { (0xE0...0xEF).contains(streamId) }
    static func isAudio(_ streamId: UInt8) -> Bool { (0xC0...0xDF).contains(streamId) }

    /// Without a map (ffmpeg's `-f mpeg`, devices that send it only at the start): video is H.264 unless the
    /// first NAL unit reads as an H.265 header (forbidden bit 0, nuh_layer_id 0, temporal id 1: `xx 01`)
    /// of a parameter set, delimiter or IRAP slice; audio is AAC when it starts with an ADTS sync word (layer
    /// 0), none when with an MPEG audio one (layers I-III, ffmpeg's default: not a bus codec here), else
    /// G.711 A-law, GB28181's default audio.
    static func guess(streamId: UInt8, payload: ArraySlice<UInt8>) -> Codec? {
        if isAudio(streamId) {
            guard payload.count >= 2 else { return nil }
            let s = payload.startIndex
            guard payload[s] == 0xFF, payload[s + 1] & 0xE0 == 0xE0 else { return .pcma }
            return payload[s + 1] & 0x06 == 0 ? .aac : nil
        }
        guard isVideo(streamId) else { return nil }
        guard let nal = NalUnits.splitAnnexB(payload).first(where: { $0.count >= 2 }) else { return nil }
        let b0 = nal[nal.startIndex], b1 = nal[nal.startIndex + 1]
        let h265Type = (b0 >> 1) & 0x3F
        if b0 & 0x81 == 0, b1 == 0x01, (32...35).contains(h265Type) || (16...21).contains(h265Type) { return .h265 }
        return .h264
    }
}
