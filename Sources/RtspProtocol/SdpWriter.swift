import MediaFormats

/// Builds the SDP a server returns to DESCRIBE for a live stream. Kept to the fields ffmpeg, GStreamer and
/// VLC (live555) all read; anything they would ignore is left out.
public enum SdpWriter {
    /// Tracks whose codec has no RTP mapping here (nil, AV1, VP9, MP3) are skipped. Each track's control
    /// defaults to "trackID=<index in `tracks`>", so indices stay stable when some are skipped.
    public static func playDescription(tracks: [SdpTrack], sessionName: String = "MediaRouter",
                                       originAddress: String = "127.0.0.1", sessionId: UInt64 = 0,
                                       range: String? = "npt=now-") -> String {
        var lines = [
            "v=0",
            "o=- \(sessionId) 1 IN IP4 \(clean(originAddress))",
            "s=\(clean(sessionName).isEmpty ? "-" : clean(sessionName))",
            "c=IN IP4 0.0.0.0",
            "t=0 0",
            "a=control:*",
        ]
        if let range { lines.append("a=range:\(clean(range))") }
        for (index, track) in tracks.enumerated() {
            lines += mediaLines(track, index: index)
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// The m= section of one track; empty when the codec cannot be described.
    public static func mediaLines(_ track: SdpTrack, index: Int) -> [String] {
        guard let codec = track.codec else { return [] }
        let pt = track.payloadType
        var lines: [String]
        switch codec {
        case .h264:
            lines = ["m=video 0 RTP/AVP \(pt)", "a=rtpmap:\(pt) H264/90000", "a=fmtp:\(pt) " + h264Fmtp(track.config)]
        case .h265:
            lines = ["m=video 0 RTP/AVP \(pt)", "a=rtpmap:\(pt) H265/90000"]
            if let fmtp = h265Fmtp(track.config) { lines.append("a=fmtp:\(pt) " + fmtp) }
        case .aac:
            let asc = AudioSpecificConfig(track.config[...])
                ?? AudioSpecificConfig(objectType: 2, sampleRate: track.clockRate, channels: max(1, track.channels))
            let rate = asc?.sampleRate ?? track.clockRate
            let channels = asc.map { $0.channels > 0 ? $0.channels : max(1, track.channels) } ?? max(1, track.channels)
            lines = ["m=audio 0 RTP/AVP \(pt)", "a=rtpmap:\(pt) MPEG4-GENERIC/\(rate)/\(channels)"]
            var fmtp = "streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3"
            if let asc { fmtp += ";config=" + hexString(asc.bytes) }
            lines.append("a=fmtp:\(pt) " + fmtp)
        case .opus:
            // RFC 7587 6.1: always opus/48000/2; the real channel count goes in sprop-stereo.
            lines = ["m=audio 0 RTP/AVP \(pt)", "a=rtpmap:\(pt) opus/48000/2", "a=fmtp:\(pt) sprop-stereo=\(track.channels >= 2 ? 1 : 0)"]
        case .pcma, .pcmu:
            let rate = track.clockRate > 0 ? track.clockRate : 8000
            let suffix = track.channels > 1 ? "/\(track.channels)" : ""
            lines = ["m=audio 0 RTP/AVP \(pt)", "a=rtpmap:\(pt) \(codec == .pcma ? "PCMA" : "PCMU")/\(rate)\(suffix)"]
        case .av1, .vp9, .vp8, .mp3:
            return []
        }
        lines.append("a=control:\(clean(track.control ?? "trackID=\(index)"))")
        return lines
    }

    private static func h264Fmtp(_ config: [UInt8]) -> String {
        var fmtp = "packetization-mode=1"
        guard let record = AVCDecoderConfig(config[...]), let sps = record.sps.first, sps.count >= 4 else { return fmtp }
        fmtp += ";profile-level-id=" + hexString(Array(sps[1...3])).asciiUppercased()
        fmtp += ";sprop-parameter-sets=" + (record.sps + record.pps).map(Base64.encode).joined(separator: ",")
        return fmtp
    }

    private static func h265Fmtp(_ config: [UInt8]) -> String? {
        guard let record = HEVCDecoderConfig(config[...]) else { return nil }
        return ["sprop-vps=" + record.vps.map(Base64.encode).joined(separator: ","),
                "sprop-sps=" + record.sps.map(Base64.encode).joined(separator: ","),
                "sprop-pps=" + record.pps.map(Base64.encode).joined(separator: ",")].joined(separator: ";")
    }

    /// Caller-supplied text must not break the line structure.
    private static func clean(_ s: String) -> String {
        String(decoding: s.utf8.map { $0 == 13 || $0 == 10 ? 32 : $0 }, as: UTF8.self)
    }
}
