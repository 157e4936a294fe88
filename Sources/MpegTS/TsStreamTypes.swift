import MediaFormats

/// How each codec is signalled in the PMT and PES (ISO/IEC 13818-1 Table 2-34 and the registrations players
/// look for).
enum TsStreamTypes {
    static let h264: UInt8 = 0x1B
    static let h265: UInt8 = 0x24
    static let adtsAac: UInt8 = 0x0F
    static let privateData: UInt8 = 0x06
    /// G.711 A-law / mu-law as GB28181 devices and the ireader/ZLMediaKit muxers label them. FFmpeg does not know
    /// these types (0x90 is a Blu-ray subtitle to it), so they are read, never written.
    static let g711a: UInt8 = 0x90
    static let g711u: UInt8 = 0x91

    static let registrationTag: UInt8 = 0x05
    static let dvbExtensionTag: UInt8 = 0x7F
    static let opusExtensionTag: UInt8 = 0x80

    /// stream_type, PES stream_id and ES descriptors for a muxed track; nil when TS cannot carry it here.
    static func muxSignalling(codec: Codec, opusChannelConfig: UInt8) -> (streamType: UInt8, streamId: UInt8, descriptors: [UInt8])? {
        switch codec {
        case .h264: return (h264, TsPes.videoStreamId, [])
        // The 'HEVC' registration is what FFmpeg writes; older demuxers predating stream_type 0x24 rely on it.
        case .h265: return (h265, TsPes.videoStreamId, registration("HEVC"))
        case .aac: return (adtsAac, TsPes.audioStreamId, [])
        // Opus as FFmpeg's mpegtsenc writes it (the Opus-in-TS draft): private data, 'Opus' registration, and a DVB
        // extension descriptor with the Opus tag and channel_config_code, which FFmpeg's demuxer needs to decode.
        case .opus: return (privateData, TsPes.privateStream1, registration("Opus") + [dvbExtensionTag, 2, opusExtensionTag, opusChannelConfig])
        default: return nil
        }
    }

    private static func registration(_ fourcc: String) -> [UInt8] { [registrationTag, 4] + Array(fourcc.utf8) }

    /// The codec of a PMT entry (and for Opus the channel count), nil for streams the bus does not carry.
    static func demuxCodec(streamType: UInt8, descriptors: ArraySlice<UInt8>, programDescriptors: ArraySlice<UInt8>) -> (codec: Codec, channels: Int)? {
        switch streamType {
        case h264: return (.h264, 0)
        case h265: return (.h265, 0)
        case adtsAac: return (.aac, 0)
        case g711a: return (.pcma, 1)
        case g711u: return (.pcmu, 1)
        case privateData:
            let all = Self.descriptors(descriptors) + Self.descriptors(programDescriptors)
            guard all.contains(where: { $0.tag == registrationTag && Array($0.body) == Array("Opus".utf8) }) else { return nil }
            var channels = 2
            if let ext = all.first(where: { $0.tag == dvbExtensionTag && $0.body.first == opusExtensionTag }), ext.body.count >= 2 {
                let code = ext.body[ext.body.startIndex + 1]
                // 0 is dual mono, 1...8 the channel count, 0x81...0x88 Vorbis-mapped channel counts.
                if (1...8).contains(code) { channels = Int(code) } else if (0x81...0x88).contains(code) { channels = Int(code & 0x0F) }
            }
            return (.opus, channels)
        default:
            return nil
        }
    }

    /// A descriptor loop; stops at the first descriptor that runs past the end.
    static func descriptors(_ bytes: ArraySlice<UInt8>) -> [(tag: UInt8, body: ArraySlice<UInt8>)] {
        var r = ByteReader(bytes)
        var out: [(tag: UInt8, body: ArraySlice<UInt8>)] = []
        while let tag = r.u8(), let length = r.u8(), let body = r.take(Int(length)) { out.append((tag, body)) }
        return out
    }
}
