import MediaFormats
import MpegTS

/// One demuxed access unit in bus format (as `ElementaryStreamDecoder` gives them).
public struct PsFrame: Sendable, Equatable {
    /// Index in `PsDemuxer.tracks`.
    public var track: Int
    /// Microseconds, unwrapped across the 33-bit rollover.
    public var pts: Int64
    public var dts: Int64
    public var key: Bool
    public var data: [UInt8]
}

/// Demuxes an MPEG-2 program stream (ISO/IEC 13818-1 2.5) as GB28181 devices send it, sans I/O: bytes in any
/// chunking, frames out. Tracks are made when a stream's first PES arrives, typed by the program stream map
/// or, without one, guessed from the stream id and payload. Video is cut into access units by its NAL units
/// (`PsVideoAccessUnits`), whatever the PES boundaries, and `endOfFrame` (the RTP marker) ends the one being
/// gathered; the quirks of real devices are in `PsScanner`.
public struct PsDemuxer: Sendable {
    /// One access unit above this is dropped (a camera frame is far below; garbage lengths are not).
    public static let maxFrameSize = 4 << 20

    private struct Stream {
        var decoder: ElementaryStreamDecoder
        let track: Int
        let isVideo: Bool
        /// Video only (an audio stream's stays empty). Not optional, so it changes in place: unwrapping an
        /// optional into a variable and back retained and released its buffers for every PES.
        var units: PsVideoAccessUnits

        mutating func decode(_ payload: ArraySlice<UInt8>, pts: Int64?, dts: Int64?, into frames: inout [PsFrame]) {
            let track = self.track
            frames += decoder.decode(payload, pts: pts, dts: dts).map {
                PsFrame(track: track, pts: $0.pts, dts: $0.dts, key: $0.key, data: $0.data)
            }
        }

        /// Runs `step` on the video access units and decodes the units it completes; true when `step` dropped a
        /// frame over the size bound.
        mutating func video(into frames: inout [PsFrame], _ step: (inout PsVideoAccessUnits) -> [PsVideoAccessUnits.Unit]) -> Bool {
            guard isVideo else { return false }
            let before = units.oversized
            let out = step(&units)
            let oversized = units.oversized > before
            for unit in out { decode(unit.data[...], pts: unit.pts, dts: unit.dts, into: &frames) }
            return oversized
        }
    }

    public private(set) var errors = 0
    /// The last error, for a log line (the caller logs the first and counts the rest).
    public private(set) var lastError: String?
    private var scanner = PsScanner()
    private var streamTypes: [UInt8: UInt8] = [:]
    /// In the order they first appeared, so a stream's index is its track. An array rather than a dictionary by
    /// id: a dictionary changed in place allocates its accessor's frame on the heap, and that was twice a packet.
    private var streams: [Stream] = []
    /// The streams' ids, at the same indices, and the indices by ascending id (the order `endOfFrame` flushes).
    private var streamIds: [UInt8] = []
    private var byId: [Int] = []
    private var trackCodecs: [Int: UInt8] = [:]
    private var clock = PesClock()
    /// The index of the stream the last video PES belonged to.
    private var lastVideo: Int?
    /// Audio streams of a codec the bus does not carry (MPEG audio), decided once: a later PES may begin
    /// mid-frame and must not be guessed again.
    private var ignored: Set<UInt8> = []

    public init() {}

    /// Tracks in the order their streams first appeared, with configs learned in-band.
    public var tracks: [MediaTrack] {
        streams.map(\.decoder.track)
    }

    /// Bytes held between calls, for watching the memory bound.
    public var bufferedBytes: Int { scanner.buffered + streams.reduce(0) { $0 + $1.units.buffered } }

    public mutating func push(_ bytes: ArraySlice<UInt8>) -> [PsFrame] {
        var frames: [PsFrame] = []
        for unit in scanner.push(bytes) { handle(unit, into: &frames) }
        for e in scanner.takeErrors() { fail(e) }
        return frames
    }

    /// The current video access unit is complete (RTP marker, or a new RTP timestamp).
    public mutating func endOfFrame() -> [PsFrame] {
        var frames: [PsFrame] = []
        for unit in scanner.flushUnbounded() { handle(unit, into: &frames) }
        for i in byId { video(i, into: &frames) { $0.flush() } }
        return frames
    }

    /// Bytes were lost (an RTP sequence gap): the units being gathered are dropped, the stream resyncs at the
    /// next pack header and video at the next access unit's first NAL unit.
    public mutating func lost() {
        scanner.reset()
        for i in streams.indices { streams[i].units.drop() }
    }

    private mutating func fail(_ message: String) {
        errors += 1
        lastError = message
    }

    private mutating func handle(_ unit: PsScanner.Unit, into frames: inout [PsFrame]) {
        switch unit {
        case .streamMap(let packet):
            guard let map = PsHeaders.streamMap(packet) else { return fail("program stream map with a length past its end") }
            for (id, type) in map { streamTypes[id] = type }
        case .pes(let id, let packet):
            guard let pes = PsPesPacket(packet) else { return fail("malformed PES header (stream 0x\(String(id, radix: 16)))") }
            pesPacket(id, pes, into: &frames)
        case .rawVideo(let bytes):
            // Hikvision's H.265: NAL units straight after the pack header, belonging to the open video frame.
            guard let i = lastVideo else { return }
            video(i, into: &frames) { $0.append(bytes) }
        }
    }

    private mutating func pesPacket(_ id: UInt8, _ pes: PsPesPacket, into frames: inout [PsFrame]) {
        let known = streamIds.firstIndex(of: id)
        if known == nil {
            guard !pes.payload.isEmpty, !ignored.contains(id) else { return }
            let codec = streamTypes[id].flatMap(PsStreamTypes.codec(streamType:)) ?? PsStreamTypes.guess(streamId: id, payload: pes.payload)
            guard let codec else {
                if PsStreamTypes.isAudio(id), pes.payload.count >= 2 { ignored.insert(id) }
                return
            }
            let units = PsVideoAccessUnits(h265: codec == .h265, maxSize: Self.maxFrameSize)
            streams.append(Stream(decoder: ElementaryStreamDecoder(codec: codec), track: streams.count, isVideo: PsStreamTypes.isVideo(id),
                                  units: units))
            streamIds.append(id)
            byId = streamIds.indices.sorted { streamIds[$0] < streamIds[$1] }
        }
        let i = known ?? streams.count - 1
        let pts = pes.pts.map { clock.micros(ticks: $0) }
        let dts = pes.dts.map { clock.micros(ticks: $0) }
        guard PsStreamTypes.isVideo(id) else {
            // Changed in place: a copy out and back would retain and release every buffer of it.
            streams[i].decode(pes.payload, pts: pts, dts: dts, into: &frames)
            return
        }
        lastVideo = i
        // Zero-length video PES (some devices send them as keep-alives) carry nothing and end nothing.
        guard !pes.payload.isEmpty else { return }
        video(i, into: &frames) { $0.push(pes.payload, pts: pts, dts: dts) }
    }

    /// Runs `step` on the access units of the video stream at `index` (in place) and decodes the units it completes.
    private mutating func video(_ index: Int, into frames: inout [PsFrame], _ step: (inout PsVideoAccessUnits) -> [PsVideoAccessUnits.Unit]) {
        if streams[index].video(into: &frames, step) { fail("video frame over \(Self.maxFrameSize) bytes dropped") }
    }
}
