import MediaFormats
import MpegTS

/// Muxes bus frames into an MPEG-2 program stream (ISO/IEC 13818-1 2.5) as GB28181 expects it: one frame per
/// PS packet, each led by a pack header; the system header and program stream map come before every video
/// keyframe (and before the first packet), so a receiver joining at a keyframe finds them. The first H.264 or
/// H.265 track goes on stream id 0xE0 and the first AAC, G.711A or G.711U track on 0xC0; other tracks are
/// skipped. Timestamps: bus microseconds in 90 kHz ticks plus `TsMuxer.timestampOffset`, so that a DTS
/// before the first PTS stays positive.
public struct PsMuxer: Sendable {
    /// program_mux_rate in units of 50 bytes/s (2.5.3.4): 10 Mbit/s, above any camera's rate; 0 is forbidden.
    static let muxRate = 25_000
    /// The largest PES payload: PES_packet_length (16 bits) counts 3 flag bytes and up to 10 of PTS/DTS too.
    public static let maxPesPayload = 0xFFFF - 3 - 10

    private struct Stream {
        let track: Int
        let codec: Codec
        let streamId: UInt8
        let streamType: UInt8
        let nalFormat: TsNalFormat?
        var parameterSets: [UInt8: [[UInt8]]]
        let asc: AudioSpecificConfig?
    }

    private var streams: [Int: Stream] = [:]
    private let hasVideo: Bool
    private var headersWritten = false
    private var lastScr: Int64 = 0

    /// Position = bus track index; nil or a codec PS cannot carry here skips the track.
    public init(tracks: [MediaTrack?]) {
        var video = false, audio = false
        for (index, t) in tracks.enumerated() {
            guard let t else { continue }
            switch t.codec {
            case .h264, .h265:
                guard !video else { continue }
                video = true
                let format = TsNalFormat(t.codec)
                streams[index] = Stream(track: index, codec: t.codec, streamId: 0xE0, streamType: t.codec == .h264 ? 0x1B : 0x24,
                                        nalFormat: format, parameterSets: format?.parameterSets(config: t.config) ?? [:], asc: nil)
            case .aac:
                guard !audio, let asc = AudioSpecificConfig(t.config[...])
                    ?? AudioSpecificConfig(objectType: 2, sampleRate: t.sampleRate, channels: t.channels) else { continue }
                audio = true
                streams[index] = Stream(track: index, codec: .aac, streamId: 0xC0, streamType: 0x0F, nalFormat: nil, parameterSets: [:], asc: asc)
            case .pcma, .pcmu:
                guard !audio else { continue }
                audio = true
                streams[index] = Stream(track: index, codec: t.codec, streamId: 0xC0, streamType: t.codec == .pcma ? 0x90 : 0x91,
                                        nalFormat: nil, parameterSets: [:], asc: nil)
            default:
                continue
            }
        }
        hasVideo = video
    }

    /// No track this muxer can carry.
    public var isEmpty: Bool { streams.isEmpty }

    /// Whether frames of this bus track are muxed.
    public func carries(track: Int) -> Bool { streams[track] != nil }

    /// One PS packet holding the frame; nil when the track is skipped or the frame unreadable (NAL lengths
    /// running past the data, an AAC frame ADTS cannot describe).
    public mutating func mux(track: Int, pts: Int64, dts: Int64, key: Bool, data: ArraySlice<UInt8>) -> [UInt8]? {
        guard var stream = streams[track] else { return nil }
        let payload: [UInt8]
        switch stream.codec {
        case .h264, .h265:
            guard let format = stream.nalFormat,
                  let annexB = TsVideoAccessUnit.annexB(data, format: format, key: key, parameterSets: &stream.parameterSets) else { return nil }
            payload = annexB
        case .aac:
            guard let asc = stream.asc, data.count + 7 <= 0x1FFF else { return nil }
            payload = asc.adtsHeader(payloadLength: data.count) + data
        default:
            payload = Array(data)
        }
        streams[track] = stream
        let offset = TsClock.ticks(micros: TsMuxer.timestampOffset)
        let pts90 = (TsClock.ticks(micros: pts) &+ offset) & Self.mask33
        let dts90 = (TsClock.ticks(micros: dts) &+ offset) & Self.mask33
        // The SCR never goes backwards within the stream, though audio and video DTS interleave unevenly.
        let scr = dts90 < lastScr && lastScr &- dts90 < 90_000 ? lastScr : dts90
        lastScr = scr

        var out: [UInt8] = []
        out.reserveCapacity(payload.count + 64 + 64 * (payload.count / Self.maxPesPayload))
        out += Self.packHeader(scr: scr)
        if !headersWritten || (hasVideo ? stream.codec.isVideo && key : false) {
            out += systemHeader()
            out += streamMap()
            headersWritten = true
        }
        var first = true
        var rest = payload[...]
        repeat {
            let chunk = rest.prefix(Self.maxPesPayload)
            rest = rest.dropFirst(chunk.count)
            if first {
                out += TsPes.header(streamId: stream.streamId, pts: pts90, dts: dts90 != pts90 ? dts90 : nil, payloadLength: chunk.count)
            } else {
                // A continuation of the same access unit: no PTS (2.4.3.7: a PTS is present only where one starts).
                let length = 3 + chunk.count
                out += [0, 0, 1, stream.streamId, UInt8(length >> 8), UInt8(length & 0xFF), 0x80, 0x00, 0x00]
            }
            out += chunk
            first = false
        } while !rest.isEmpty
        return out
    }

    static let mask33: Int64 = (1 << 33) - 1

    /// pack_header (2.5.3.3, Table 2-38): SCR base in 90 kHz with extension 0, program_mux_rate, no stuffing.
    static func packHeader(scr: Int64) -> [UInt8] {
        let s = UInt64(truncatingIfNeeded: scr) & 0x1_FFFF_FFFF
        let rate = UInt32(muxRate)
        return [
            0, 0, 1, 0xBA,
            0x40 | UInt8((s >> 27) & 0x38) | 0x04 | UInt8((s >> 28) & 0x03),
            UInt8((s >> 20) & 0xFF),
            UInt8((s >> 12) & 0xF8) | 0x04 | UInt8((s >> 13) & 0x03),
            UInt8((s >> 5) & 0xFF),
            UInt8((s << 3) & 0xF8) | 0x04,   // SCR_extension bits 8..7 are 0
            0x01,                             // SCR_extension bits 6..0 = 0, marker
            UInt8((rate >> 14) & 0xFF), UInt8((rate >> 6) & 0xFF), UInt8((rate << 2) & 0xFC) | 0x03,
            0xF8,                             // reserved '11111', pack_stuffing_length 0
        ]
    }

    /// system_header (2.5.3.5, Table 2-40): one entry per muxed stream with its P-STD buffer bound.
    func systemHeader() -> [UInt8] {
        let ordered = streams.values.sorted { $0.streamId > $1.streamId }
        let audio = ordered.filter { !$0.codec.isVideo }.count
        let video = ordered.count - audio
        let rate = UInt32(Self.muxRate)
        let length = 6 + 3 * ordered.count
        var out: [UInt8] = [0, 0, 1, 0xBB, UInt8(length >> 8), UInt8(length & 0xFF),
                            0x80 | UInt8((rate >> 15) & 0x7F), UInt8((rate >> 7) & 0xFF), UInt8((rate << 1) & 0xFE) | 0x01,
                            UInt8(audio << 2),           // audio_bound, fixed_flag 0, CSPS_flag 0
                            0xE0 | UInt8(video),          // audio and video lock flags 1, marker, video_bound
                            0x7F]                         // packet_rate_restriction_flag 0, reserved
        for s in ordered {
            // Video: scale 1 (units of 1024 bytes), 400 KB; audio: scale 0 (units of 128 bytes), 4 KB.
            out += s.codec.isVideo ? [s.streamId, 0xE0 | UInt8(400 >> 8), UInt8(400 & 0xFF)] : [s.streamId, 0xC0, 32]
        }
        return out
    }

    /// program_stream_map (2.5.4.1, Table 2-41), version 0, no descriptors, with its CRC_32 (Annex A).
    func streamMap() -> [UInt8] {
        let ordered = streams.values.sorted { $0.streamId > $1.streamId }
        let mapLength = 4 * ordered.count
        let length = 6 + mapLength + 4
        var out: [UInt8] = [0, 0, 1, 0xBC, UInt8(length >> 8), UInt8(length & 0xFF),
                            0xA0,   // current_next_indicator 1, single_extension_stream_flag 0, reserved 1, version 0
                            0xFF,   // reserved, marker
                            0, 0,   // program_stream_info_length
                            UInt8(mapLength >> 8), UInt8(mapLength & 0xFF)]
        for s in ordered { out += [s.streamType, s.streamId, 0, 0] }
        let crc = Crc32Mpeg2.checksum(out)
        out += [UInt8(crc >> 24), UInt8((crc >> 16) & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8(crc & 0xFF)]
        return out
    }
}
