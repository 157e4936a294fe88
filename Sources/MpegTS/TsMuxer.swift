import MediaFormats

/// Muxes bus frames into 188-byte TS packets. PIDs: PMT 0x1000, elementary streams 0x100 + bus track index.
///
/// Timing: PTS/DTS are the bus microseconds in 90 kHz ticks plus `timestampOffset`, so that DTS before the first
/// PTS (B-frames) and a bus clock starting at zero stay positive; values wrap at 33 bits. The PCR runs `pcrLead`
/// behind the DTS of the frame it precedes, the margin a decoder has to receive a frame before decoding it. With no
/// I/O there is no clock but the frames: PCRs are at most 100 ms apart as long as some track delivers a frame at
/// least that often (a frame of another track brings a PCR-only packet on the PCR PID when one is due).
public struct TsMuxer: Sendable {
    /// Microseconds added to every bus timestamp (one second: 90 000 ticks).
    public static let timestampOffset: Int64 = 1_000_000
    /// PCR = DTS - 0.5 s. Less than FFmpeg's 0.7 s to keep live latency down in players that pace on the PCR,
    /// enough for audio arriving up to that much behind video on the bus.
    static let pcrLead: Int64 = 45_000
    /// ISO/IEC 13818-1 2.7.2 allows at most 0.1 s between PCRs.
    static let pcrInterval: Int64 = 9_000
    /// Without video there are no keyframes to put the tables before.
    static let audioOnlyTableInterval: Int64 = 45_000
    /// A PCR this far behind the last one is a new timeline (source restart), flagged as a discontinuity.
    static let pcrBackwardJump: Int64 = 90_000

    /// Where the PAT points; FFmpeg's default too.
    public static let pmtPid: UInt16 = 0x1000
    /// Bus track i goes on PID 0x100 + i, so a demuxer can map PIDs back to bus tracks.
    public static let firstElementaryPid: UInt16 = 0x100

    private struct Stream {
        let codec: Codec
        let streamId: UInt8
        var writer: TsPacketWriter
        let nalFormat: TsNalFormat?
        var parameterSets: [UInt8: [[UInt8]]] = [:]
        let adts: AudioSpecificConfig?
    }

    private var streams: [Stream?]
    private let pcrTrack: Int?
    private let hasVideo: Bool
    private let patSection: [UInt8]
    private let pmtSection: [UInt8]
    private var patWriter = TsPacketWriter(pid: Ts.patPid)
    private var pmtWriter = TsPacketWriter(pid: TsMuxer.pmtPid)
    private var lastPcr: Int64?
    private var lastTables: Int64?
    private var tablesWritten = false

    /// Position = bus track index; nil, an unsupported codec (G.711, AV1, VP9, MP3) or a config the format
    /// cannot carry (AAC that ADTS cannot describe, Opus beyond stereo) skips the track.
    public init(tracks: [TsTrack?]) {
        var streams: [Stream?] = []
        var pmtStreams: [TsPsi.Stream] = []
        var pmtLength = 13   // section_length without stream entries
        for (index, track) in tracks.enumerated() {
            let pid = Self.firstElementaryPid + UInt16(truncatingIfNeeded: index)
            // A PMT section may not exceed 1021 bytes after its length field; tracks beyond that are skipped.
            guard let track, pid < Ts.nullPid, pid != Self.pmtPid, let (stream, entry) = Self.makeStream(track, pid: pid),
                  pmtLength + 5 + entry.descriptors.count <= TsSectionAssembler.maxSectionLength else {
                streams.append(nil)
                continue
            }
            pmtLength += 5 + entry.descriptors.count
            streams.append(stream)
            pmtStreams.append(entry)
        }
        let video = streams.firstIndex { $0?.codec.isVideo == true }
        pcrTrack = video ?? streams.firstIndex { $0 != nil }
        hasVideo = video != nil
        self.streams = streams
        patSection = TsPsi.pat(pmtPid: Self.pmtPid)
        let pcrPid = pcrTrack.map { Self.firstElementaryPid + UInt16($0) } ?? Ts.nullPid
        pmtSection = TsPsi.pmt(pcrPid: pcrPid, streams: pmtStreams)
    }

    private static func makeStream(_ track: TsTrack, pid: UInt16) -> (Stream, TsPsi.Stream)? {
        var adts: AudioSpecificConfig?
        var opusChannels: UInt8 = 0
        switch track.codec {
        case .aac:
            let asc = AudioSpecificConfig(track.config[...])
                ?? AudioSpecificConfig(objectType: 2, sampleRate: track.sampleRate, channels: track.channels)
            guard let asc, let writable = AdtsHeader.writableConfig(asc) else { return nil }
            adts = writable
        case .opus:
            // An OpusHead (RFC 7845 5.1) says the channel count; FFmpeg writes codes above 2 only with a Vorbis
            // mapping table, which the bus does not give us.
            var channels = track.channels
            if track.config.count >= 19, track.config.starts(with: Array("OpusHead".utf8)) { channels = Int(track.config[9]) }
            guard channels <= 2 else { return nil }
            opusChannels = channels == 1 ? 1 : 2
        default:
            break
        }
        guard let signalling = TsStreamTypes.muxSignalling(codec: track.codec, opusChannelConfig: opusChannels) else { return nil }
        let format = TsNalFormat(track.codec)
        let stream = Stream(codec: track.codec, streamId: signalling.streamId, writer: TsPacketWriter(pid: pid), nalFormat: format,
                            parameterSets: format?.parameterSets(config: track.config) ?? [:], adts: adts)
        return (stream, TsPsi.Stream(streamType: signalling.streamType, pid: pid, descriptors: signalling.descriptors))
    }

    /// No muxable track.
    public var isEmpty: Bool { pcrTrack == nil }

    /// PAT + PMT (two packets); what a player needs before anything else.
    public mutating func header() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(2 * Ts.packetSize)
        writeTables(into: &out)
        return out
    }

    private mutating func writeTables(into out: inout [UInt8]) {
        patWriter.writeSection(patSection, into: &out)
        pmtWriter.writeSection(pmtSection, into: &out)
        tablesWritten = true
    }

    /// Appends the TS packets of one frame to `out`. Returns false, writing nothing, when the track is skipped or
    /// the frame cannot be carried (lengths running past the data, an AAC frame over ADTS's 8 KB, audio over 64 KB).
    @discardableResult
    public mutating func mux(track: Int, pts: Int64, dts: Int64, key: Bool, data: ArraySlice<UInt8>, into out: inout [UInt8]) -> Bool {
        guard streams.indices.contains(track), var stream = streams[track] else { return false }
        let payload: [UInt8]
        switch stream.codec {
        case .h264, .h265:
            guard let format = stream.nalFormat,
                  let annexB = TsVideoAccessUnit.annexB(data, format: format, key: key, parameterSets: &stream.parameterSets) else { return false }
            payload = annexB
        case .aac:
            guard let asc = stream.adts, data.count + AdtsHeader.minimumSize <= AdtsHeader.maxFrameLength else { return false }
            payload = asc.adtsHeader(payloadLength: data.count) + data
        case .opus:
            payload = TsOpus.controlHeader(size: data.count) + data
        default:
            return false
        }
        let isVideo = stream.codec.isVideo
        guard isVideo || TsPes.fitsLength(payload.count) else { return false }

        let pts90 = TsClock.ticks(micros: pts) &+ TsClock.ticks(micros: Self.timestampOffset)
        let dts90 = TsClock.ticks(micros: dts) &+ TsClock.ticks(micros: Self.timestampOffset)
        // A player joining at a keyframe (or, audio only, at any point) must find the tables right before it.
        if !tablesWritten || (hasVideo ? isVideo && key : lastTables.map { dts90 < $0 || dts90 &- $0 >= Self.audioOnlyTableInterval } ?? true) {
            writeTables(into: &out)
            lastTables = dts90
        }

        var pcr: Int64?
        var discontinuity = false
        let candidate = dts90 &- Self.pcrLead
        if track == pcrTrack {
            (pcr, discontinuity) = nextPcr(candidate)
        } else if let pcrTrack, let pcrStream = streams[pcrTrack], lastPcr.map({ candidate &- $0 >= Self.pcrInterval || candidate < $0 &- Self.pcrBackwardJump }) ?? true {
            let (value, jump) = nextPcr(candidate)
            pcrStream.writer.writePcrOnly(value, discontinuity: jump, into: &out)
        }

        let header = TsPes.header(streamId: stream.streamId, pts: pts90 & TsClock.mask,
                                  dts: dts90 != pts90 ? dts90 & TsClock.mask : nil,
                                  payloadLength: isVideo ? nil : payload.count)
        stream.writer.writeUnit(header + payload, pcr: pcr.map { $0 & TsClock.mask }, randomAccess: key || !isVideo,
                                discontinuity: discontinuity, into: &out)
        streams[track] = stream
        return true
    }

    /// Keeps the PCR from going backwards when tracks interleave unevenly, unless the jump is a new timeline.
    private mutating func nextPcr(_ candidate: Int64) -> (Int64, Bool) {
        guard let last = lastPcr else {
            lastPcr = candidate
            return (candidate, false)
        }
        if candidate < last &- Self.pcrBackwardJump {
            lastPcr = candidate
            return (candidate, true)
        }
        let value = max(candidate, last)
        lastPcr = value
        return (value, false)
    }
}
