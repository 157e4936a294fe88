import MediaFormats

/// Demuxes a transport stream into bus frames: the first program of the PAT, its supported elementary streams as
/// tracks in PMT order.
public struct TsDemuxer: Sendable {
    /// All PES buffers together; a stream with many PIDs cannot hold more than this.
    static let maxBufferedBytes = 16 << 20

    public private(set) var errors = 0
    private var trackList: [TsTrack] = []
    private var pending: [UInt8] = []
    private var locked = false
    private var pmtPid: UInt16?
    private var lastPmt: [UInt8]?
    private var patSections = TsSectionAssembler()
    private var pmtSections = TsSectionAssembler()
    private var streams: [UInt16: TsElementaryStream] = [:]
    private var continuity: [UInt16: UInt8] = [:]
    private var clock = TsTimestampUnwrapper()
    private var buffered = 0

    public init() {}

    /// Bytes held between calls (a partial packet, open PES), for watching the memory bound.
    var bufferedBytes: Int { pending.count + buffered }

    /// Tracks found in the PMT (track = order among the supported streams of the PMT), with configs learned
    /// in-band: SPS/PPS -> avcC, VPS/SPS/PPS -> hvcC, ADTS -> AudioSpecificConfig.
    public var tracks: [TsTrack] { trackList }

    /// Feeds bytes in any chunking; resyncs on 0x47 after garbage. Returns the frames completed, in order.
    public mutating func push(_ bytes: ArraySlice<UInt8>) -> [TsFrame] {
        var frames: [TsFrame] = []
        if pending.isEmpty {
            let used = consume(bytes, final: false, into: &frames)
            pending = Array(bytes[used...])
        } else {
            pending.append(contentsOf: bytes)
            let data = pending
            let used = consume(data[...], final: false, into: &frames)
            pending = Array(data[used...])
        }
        return frames
    }

    /// Call at end of input: takes the last buffered packet and returns the PES still open (video PES end only
    /// when the next one starts).
    public mutating func flush() -> [TsFrame] {
        var frames: [TsFrame] = []
        let data = pending
        _ = consume(data[...], final: true, into: &frames)
        pending = []
        for pid in streams.keys.sorted() {
            guard var s = streams.removeValue(forKey: pid) else { continue }
            if s.assembling { finish(&s, into: &frames) }
            streams[pid] = s
        }
        return frames
    }

    // MARK: Packets

    /// Takes whole packets from `data`; returns the index of the first byte not used. Out of sync, a 0x47 is
    /// trusted only when another follows 188 bytes later (or at the end of input).
    private mutating func consume(_ data: ArraySlice<UInt8>, final: Bool, into frames: inout [TsFrame]) -> Int {
        var i = data.startIndex
        while data.endIndex - i >= Ts.packetSize {
            guard data[i] == Ts.sync else {
                if locked {
                    locked = false
                    errors += 1
                }
                i += 1
                continue
            }
            if !locked {
                if data.endIndex - i >= 2 * Ts.packetSize {
                    guard data[i + Ts.packetSize] == Ts.sync else { i += 1; continue }
                } else if !final {
                    break
                }
                locked = true
            }
            handle(data[i..<(i + Ts.packetSize)], into: &frames)
            i += Ts.packetSize
        }
        return i
    }

    private mutating func handle(_ packet: ArraySlice<UInt8>, into frames: inout [TsFrame]) {
        guard let h = TsPacketHeader(packet) else {
            errors += 1
            return
        }
        let known = h.pid == Ts.patPid || h.pid == pmtPid || streams[h.pid] != nil
        guard known else { return }
        var gap = false
        if h.hasPayload {
            if let last = continuity[h.pid], !h.discontinuity {
                if h.continuity == last { return }   // a duplicate packet (2.4.3.3)
                if h.continuity != (last + 1) & 0x0F {
                    errors += 1
                    gap = true
                }
            }
            continuity[h.pid] = h.continuity
        }
        if h.pid == Ts.patPid {
            for section in patSections.push(h.payload, unitStart: h.unitStart, errors: &errors) { handlePat(section) }
        } else if h.pid == pmtPid {
            for section in pmtSections.push(h.payload, unitStart: h.unitStart, errors: &errors) { handlePmt(section) }
        } else if var s = streams.removeValue(forKey: h.pid) {
            // Taken out rather than copied so appending to its PES buffer does not copy the buffer.
            if gap { drop(&s) }   // a PES with a hole would decode as garbage
            if h.hasPayload { handlePayload(h, stream: &s, into: &frames) }
            streams[h.pid] = s
        }
    }

    // MARK: Tables

    private mutating func handlePat(_ bytes: [UInt8]) {
        guard let section = TsSection(bytes[...]) else {
            errors += 1
            return
        }
        guard section.tableId == 0x00, section.currentNext, let pid = tsFirstProgramPid(pat: section), pid != pmtPid else { return }
        pmtPid = pid
        pmtSections = TsSectionAssembler()
        lastPmt = nil
    }

    private mutating func handlePmt(_ bytes: [UInt8]) {
        guard bytes != lastPmt else { return }   // the usual repetition
        guard let section = TsSection(bytes[...]) else {
            errors += 1
            return
        }
        guard section.tableId == 0x02, section.currentNext else { return }
        guard let map = TsProgramMap(section) else {
            errors += 1
            return
        }
        lastPmt = bytes
        var newStreams: [UInt16: TsElementaryStream] = [:]
        var newTracks: [TsTrack] = []
        for entry in map.entries where newStreams[entry.pid] == nil && entry.pid != Ts.patPid && entry.pid != pmtPid && entry.pid != Ts.nullPid {
            guard let (codec, channels) = TsStreamTypes.demuxCodec(streamType: entry.streamType, descriptors: entry.descriptors,
                                                                   programDescriptors: map.programDescriptors) else { continue }
            let index = newTracks.count
            if var old = streams.removeValue(forKey: entry.pid), old.codec == codec {
                newTracks.append(trackList[old.track])
                old.track = index
                newStreams[entry.pid] = old
            } else {
                newTracks.append(Self.initialTrack(codec, channels: channels))
                newStreams[entry.pid] = TsElementaryStream(pid: entry.pid, codec: codec, track: index)
            }
        }
        for (pid, s) in streams {
            buffered -= s.pes.count
            continuity[pid] = nil
        }
        streams = newStreams
        trackList = newTracks
    }

    private static func initialTrack(_ codec: Codec, channels: Int) -> TsTrack {
        switch codec {
        case .opus: return TsTrack(codec: codec, sampleRate: 48000, channels: channels)
        case .pcma, .pcmu: return TsTrack(codec: codec, sampleRate: 8000, channels: 1)
        default: return TsTrack(codec: codec)
        }
    }

    // MARK: PES

    private mutating func handlePayload(_ h: TsPacketHeader, stream s: inout TsElementaryStream, into frames: inout [TsFrame]) {
        if h.unitStart {
            if s.assembling { finish(&s, into: &frames) }
            s.assembling = true
            s.randomAccess = h.randomAccess
        } else if !s.assembling {
            return   // joined mid-PES, or it was dropped
        }
        guard s.pes.count + h.payload.count <= TsElementaryStream.maxPesSize,
              buffered + h.payload.count <= Self.maxBufferedBytes else {
            errors += 1
            drop(&s)
            return
        }
        s.pes.append(contentsOf: h.payload)
        buffered += h.payload.count
        if s.expectedSize == nil, let length = TsPes.declaredLength(s.pes) {
            guard length >= 0 else {
                errors += 1
                drop(&s)
                return
            }
            if length > 0 { s.expectedSize = 6 + length }
        }
        if let expected = s.expectedSize, s.pes.count >= expected { finish(&s, into: &frames) }
    }

    private mutating func drop(_ s: inout TsElementaryStream) {
        buffered -= s.pes.count
        s.discard()
    }

    private mutating func finish(_ s: inout TsElementaryStream, into frames: inout [TsFrame]) {
        let bytes = s.pes
        let expected = s.expectedSize
        buffered -= bytes.count
        s.clearPes()
        if let expected, bytes.count < expected {
            errors += 1   // cut short by the next PES or the end of input
            s.adts.reset()
            return
        }
        guard let pes = TsPesPacket(bytes[...]) else {
            errors += 1
            return
        }
        let pts = pes.pts.map { TsClock.micros(ticks: clock.unwrap($0)) }
        let dts = pes.dts.map { TsClock.micros(ticks: clock.unwrap($0)) }
        switch s.codec {
        case .h264, .h265:
            video(pes.payload, pts: pts, dts: dts, stream: &s, into: &frames)
        case .aac:
            guard let start = pts ?? s.adts.nextPts else { return }
            for f in s.adts.push(pes.payload, pts: start, errors: &errors) {
                if trackList[s.track].config.isEmpty || trackList[s.track].sampleRate != f.header.sampleRate, let asc = f.header.config {
                    trackList[s.track].config = asc.bytes
                    trackList[s.track].sampleRate = asc.sampleRate
                    trackList[s.track].channels = asc.channels
                }
                frames.append(TsFrame(pid: s.pid, track: s.track, pts: f.pts, dts: f.pts, key: true, data: f.payload))
            }
        case .opus:
            guard let start = pts ?? s.opusNextPts else { return }
            var samples: Int64 = 0
            for packet in TsOpus.split(pes.payload, errors: &errors) {
                let at = start &+ TsClock.micros(samples: samples, rate: 48000)
                frames.append(TsFrame(pid: s.pid, track: s.track, pts: at, dts: at, key: true, data: Array(packet)))
                samples += Int64(TsOpus.duration(packet))
                s.opusNextPts = start &+ TsClock.micros(samples: samples, rate: 48000)
            }
        default:
            guard let at = pts ?? s.lastPts, !pes.payload.isEmpty else { return }
            s.lastPts = at
            frames.append(TsFrame(pid: s.pid, track: s.track, pts: at, dts: at, key: true, data: Array(pes.payload)))
        }
    }

    private mutating func video(_ payload: ArraySlice<UInt8>, pts: Int64?, dts: Int64?, stream s: inout TsElementaryStream, into frames: inout [TsFrame]) {
        guard let format = TsNalFormat(s.codec), let at = pts ?? s.lastPts,
              let au = TsVideoAccessUnit.lengthPrefixed(payload, format: format) else { return }
        s.lastPts = at
        if !au.parameterSets.isEmpty {
            for (type, sets) in au.parameterSets { s.parameterSets[type] = sets }
            if let config = format.config(parameterSets: s.parameterSets) { trackList[s.track].config = config }
        }
        // A non-IDR keyframe (recovery point) is trusted when the muxer flagged it and it carries its parameter sets.
        let key = au.hasRandomAccessSlice || (s.randomAccess && au.parameterSets[format.spsType] != nil)
        frames.append(TsFrame(pid: s.pid, track: s.track, pts: at, dts: dts ?? at, key: key, data: au.data))
    }
}
