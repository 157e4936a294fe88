import MediaFormats

/// A bus track resolved into what the init segment and the fragments need, or nil when MP4 for browsers
/// cannot carry it: G.711 (no MSE decoder takes 'alaw'/'ulaw'), AV1 and VP9 (their av1C/vpcC records are
/// not built yet), and any track whose codec record is missing or unreadable, since Chrome rejects an init
/// segment with a broken sample entry as a whole.
struct Mp4TrackSetup: Sendable, Equatable {
    let trackID: UInt32
    let codec: Codec
    let timescale: UInt32
    let width: Int
    let height: Int
    /// The complete sample entry box for stsd.
    let sampleEntry: [UInt8]
    /// The RFC 6381 codecs parameter for MSE's isTypeSupported / addSourceBuffer.
    let codecString: String
    /// The duration of a frame whose successor is not known (end of stream, timestamps going backwards).
    let defaultDuration: UInt32

    var isVideo: Bool { codec.isVideo }

    init?(_ track: Mp4Track, trackID: UInt32) {
        self.trackID = trackID
        self.codec = track.codec
        switch track.codec {
        case .h264:
            guard let avc = AVCDecoderConfig(track.config[...]) else { return nil }
            // The SPS is what the decoder will see, so it wins over the track's announced size.
            let size = avc.parsedSPS.map { ($0.width, $0.height) } ?? (track.width, track.height)
            guard Self.validSize.contains(size.0), Self.validSize.contains(size.1) else { return nil }
            let record = Self.withFourByteLengths(track.config, at: 4)
            (timescale, width, height, defaultDuration) = (90000, size.0, size.1, 3600)
            sampleEntry = Mp4SampleEntry.visual("avc1", width: size.0, height: size.1, configBox: Mp4Box.box("avcC", record))
            codecString = Mp4CodecString.avc(record)
        case .h265:
            guard let hevc = HEVCDecoderConfig(track.config[...]), track.config.count > 22 else { return nil }
            let size = hevc.dimensions ?? (track.width, track.height)
            guard Self.validSize.contains(size.0), Self.validSize.contains(size.1) else { return nil }
            let record = Self.withFourByteLengths(track.config, at: 21)
            (timescale, width, height, defaultDuration) = (90000, size.0, size.1, 3600)
            // 'hvc1' rather than 'hev1': Safari only plays 'hvc1', and the others accept in-band parameter sets
            // under either name.
            sampleEntry = Mp4SampleEntry.visual("hvc1", width: size.0, height: size.1, configBox: Mp4Box.box("hvcC", record))
            codecString = Mp4CodecString.hevc(hevc.profileBytes)
        case .aac:
            let asc = track.config.isEmpty
                ? AudioSpecificConfig(objectType: 2, sampleRate: track.sampleRate, channels: track.channels)
                : AudioSpecificConfig(track.config[...])
            guard let asc, asc.sampleRate > 0, asc.sampleRate <= Int(UInt32.max) else { return nil }
            let channels = Self.aacChannels[asc.channels] ?? (track.channels > 0 ? track.channels : 2)
            // Timescale = the core rate: one frame is 1024 of its samples, with or without SBR.
            (timescale, width, height, defaultDuration) = (UInt32(asc.sampleRate), 0, 0, 1024)
            let esds = Mp4SampleEntry.esds(objectType: Mp4SampleEntry.aacObjectType, decoderSpecificInfo: asc.bytes)
            sampleEntry = Mp4SampleEntry.audio("mp4a", channels: channels, sampleRate: asc.sampleRate, configBox: esds)
            codecString = "mp4a.40.\(asc.objectType)"
        case .mp3:
            guard track.sampleRate > 0, track.sampleRate <= 48000 else { return nil }
            let channels = track.channels > 0 ? track.channels : 2
            // MPEG-1 Layer III frames hold 1152 samples, the MPEG-2/2.5 low rates 576.
            (timescale, width, height, defaultDuration) = (UInt32(track.sampleRate), 0, 0, track.sampleRate >= 32000 ? 1152 : 576)
            let esds = Mp4SampleEntry.esds(objectType: Mp4SampleEntry.mp3ObjectType, decoderSpecificInfo: [])
            sampleEntry = Mp4SampleEntry.audio("mp4a", channels: channels, sampleRate: track.sampleRate, configBox: esds)
            codecString = "mp4a.6B"
        case .opus:
            guard let opus = OpusConfig(config: track.config, channels: track.channels) else { return nil }
            (timescale, width, height, defaultDuration) = (48000, 0, 0, 960)
            sampleEntry = Mp4SampleEntry.audio("Opus", channels: opus.channels, sampleRate: 48000, configBox: opus.dOps)
            codecString = "opus"
        case .pcma, .pcmu, .av1, .vp9, .vp8:
            return nil
        }
    }

    /// Duration for a frame with no successor: Opus packets say how long they are, the rest use the nominal
    /// frame length (1/25 s of video, 1024 AAC samples, 1152 or 576 MP3 samples).
    func fallbackDuration(_ frame: ArraySlice<UInt8>) -> UInt32 {
        if codec == .opus, let n = OpusConfig.packetDuration(frame) { return UInt32(n) }
        return defaultDuration
    }

    /// tkhd and the sample entry hold sizes as 16-bit integers.
    private static let validSize = 1...0xFFFF

    /// channelConfiguration to channel count (ISO/IEC 14496-3 1.6.3.5); 0 means a PCE decides.
    private static let aacChannels: [Int: Int] = [1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 8, 11: 7, 12: 8, 13: 24, 14: 8]

    /// Bus samples always carry 4-byte NAL lengths, so the record must say lengthSizeMinusOne = 3 whatever the
    /// source's framing was; only those two bits change.
    private static func withFourByteLengths(_ record: [UInt8], at index: Int) -> [UInt8] {
        var r = record
        if r.indices.contains(index) { r[index] |= 0x03 }
        return r
    }
}
