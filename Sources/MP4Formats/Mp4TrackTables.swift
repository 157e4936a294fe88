import MediaFormats

/// One track of Mp4FileWriter: its tables built once; only the chunk offsets depend on where the payload starts.
struct Mp4TrackTables {
    let setup: Mp4TrackSetup
    let timescale: UInt32
    let stts: [(count: UInt32, delta: UInt32)]
    let ctts: [(count: UInt32, offset: Int32)]
    let cttsVersion: UInt8
    let syncNumbers: [UInt32]?
    let sizes: [UInt32]
    let chunks: [(offset: Int64, samples: UInt32)]
    let mediaDuration: UInt64
    /// Empty edit (movie ticks) and media_time (media ticks), or nil when the track starts at 0.
    let edit: (empty: UInt64, mediaTime: Int64)?
    let movieDuration: UInt64

    var lastChunkOffset: Int64 { chunks.last?.offset ?? 0 }

    init(_ track: Mp4FileWriter.Track, trackID: UInt32, payloadSize: Int64) throws(Mp4FileError) {
        if let reason = Mp4FileWriter.unsupportedReason(track.media) { throw .unsupported("track \(trackID): \(reason)") }
        guard let setup = Mp4TrackSetup(track.media, trackID: trackID) else { throw .unsupported("track \(trackID)") }
        guard track.timescale > 0 else { throw .malformed("track \(trackID): timescale 0") }
        self.setup = setup
        self.timescale = track.timescale
        let samples = track.samples

        var stts: [(count: UInt32, delta: UInt32)] = []
        var ctts: [(count: UInt32, offset: Int32)] = []
        var negative = false
        var sync: [UInt32] = []
        var sizes: [UInt32] = []
        var chunks: [(offset: Int64, samples: UInt32)] = []
        var total: UInt64 = 0
        // Where presentation ends, in media time counted from the first dts: what the edit must cover.
        var presentationEnd: Int64 = 0
        let first = samples.first?.dts ?? 0
        sizes.reserveCapacity(samples.count)
        guard samples.count < Int(UInt32.max) else { throw .malformed("track \(trackID): too many samples") }
        for (i, s) in samples.enumerated() {
            guard s.size >= 0, s.size <= Int(UInt32.max), s.offset >= 0, s.offset <= payloadSize - Int64(s.size) else {
                throw .malformed("track \(trackID): sample \(i + 1) (\(s.size) bytes at \(s.offset)) outside the \(payloadSize)-byte mdat")
            }
            let delta: Int64
            if i + 1 < samples.count {
                let (d, overflow) = samples[i + 1].dts.subtractingReportingOverflow(s.dts)
                guard !overflow, d >= 0, d <= Int64(UInt32.max) else {
                    throw .malformed("track \(trackID): decode time steps from \(s.dts) to \(samples[i + 1].dts) at sample \(i + 2)")
                }
                delta = d
            } else {
                delta = Int64(s.duration)
            }
            Self.appendRun(&stts, UInt32(delta))
            total += UInt64(delta)
            let (cto, overflow) = s.pts.subtractingReportingOverflow(s.dts)
            guard !overflow, let offset = Int32(exactly: cto) else {
                throw .malformed("track \(trackID): sample \(i + 1) pts \(s.pts) too far from dts \(s.dts)")
            }
            negative = negative || offset < 0
            let (end, overflow2) = cto.addingReportingOverflow(s.dts - first)
            guard !overflow2, end < Int64.max / 4 else { throw .malformed("track \(trackID): sample \(i + 1) times out of range") }
            presentationEnd = max(presentationEnd, end + delta)
            Self.appendRun(&ctts, offset)
            if s.isSync { sync.append(UInt32(i + 1)) }
            sizes.append(UInt32(s.size))
            // Samples laid out back to back in the mdat share a chunk.
            if i > 0, let last = chunks.last, samples[i - 1].offset + Int64(samples[i - 1].size) == s.offset {
                chunks[chunks.count - 1] = (last.offset, last.samples + 1)
            } else {
                chunks.append((s.offset, 1))
            }
        }
        self.stts = stts
        self.ctts = ctts.count == 1 && ctts[0].offset == 0 ? [] : ctts
        self.cttsVersion = negative ? 1 : 0
        self.syncNumbers = sync.count == samples.count ? nil : sync
        self.sizes = sizes
        self.chunks = chunks
        self.mediaDuration = total

        let ts = UInt64(track.timescale), movie = UInt64(Mp4InitSegment.movieTimescale)
        let start: Int64
        if first < 0 {
            guard first > Int64.min / 2 else { throw .malformed("track \(trackID): first dts \(first)") }
            edit = (0, -first)
            start = -first
        } else if first > 0 {
            guard first < 1 << 52 else { throw .malformed("track \(trackID): first dts \(first) out of range") }
            // The smallest empty edit reaching the first sample, then skip the rounding excess in media time;
            // the reader rounds the empty edit the same way, so it lands exactly on `first`.
            let empty = (UInt64(first) * movie + ts - 1) / ts
            let reached = Int64((empty * ts + movie / 2) / movie)
            edit = (empty, reached - first)
            start = reached - first
        } else {
            edit = nil
            start = 0
        }
        let shown = presentationEnd > start ? UInt64(presentationEnd - start) : 0
        movieDuration = (edit?.empty ?? 0) + (shown / ts) * movie + ((shown % ts) * movie + ts / 2) / ts
    }

    private static func appendRun<T: Equatable>(_ runs: inout [(count: UInt32, delta: T)], _ value: T) {
        if let last = runs.last, last.delta == value, last.count < UInt32.max {
            runs[runs.count - 1].count += 1
        } else {
            runs.append((1, value))
        }
    }

    private static func appendRun(_ runs: inout [(count: UInt32, offset: Int32)], _ value: Int32) {
        if let last = runs.last, last.offset == value, last.count < UInt32.max {
            runs[runs.count - 1].count += 1
        } else {
            runs.append((1, value))
        }
    }

    func trak(payloadStart: Int64, co64: Bool) -> [UInt8] {
        let minf = Mp4InitSegment.minf(setup, stbl: stbl(payloadStart: payloadStart, co64: co64))
        let mdia = Mp4Box.box("mdia", Mp4InitSegment.mdhd(setup, timescale: timescale, duration: mediaDuration),
                              Mp4InitSegment.hdlr(video: setup.isVideo), minf)
        return Mp4Box.box("trak", parts: [Mp4InitSegment.tkhd(setup, duration: movieDuration)] + (edts().map { [$0] } ?? []) + [mdia])
    }

    private func edts() -> [UInt8]? {
        guard let edit else { return nil }
        let segment = movieDuration - edit.empty
        let wide = segment > UInt64(UInt32.max) || edit.empty > UInt64(UInt32.max) || edit.mediaTime > Int64(Int32.max)
        var w = ByteWriter(capacity: 44)
        func entry(_ duration: UInt64, _ mediaTime: Int64) {
            if wide {
                w.uint64(duration)
                w.uint64(UInt64(bitPattern: mediaTime))
            } else {
                w.u32(UInt32(duration))
                w.u32(UInt32(bitPattern: Int32(mediaTime)))
            }
            w.u32(0x0001_0000)                                 // media_rate 1.0
        }
        w.u32(edit.empty > 0 ? 2 : 1)
        if edit.empty > 0 { entry(edit.empty, -1) }
        entry(segment, edit.mediaTime)
        return Mp4Box.box("edts", Mp4Box.fullBox("elst", version: wide ? 1 : 0, flags: 0, w.bytes))
    }

    private func stbl(payloadStart: Int64, co64: Bool) -> [UInt8] {
        var parts: [[UInt8]] = [Mp4InitSegment.stsd(setup)]

        var w = ByteWriter(capacity: 4 + 8 * stts.count)
        w.u32(UInt32(stts.count))
        for e in stts { w.u32(e.count); w.u32(e.delta) }
        parts.append(Mp4Box.fullBox("stts", version: 0, flags: 0, w.bytes))

        if !ctts.isEmpty {
            w = ByteWriter(capacity: 4 + 8 * ctts.count)
            w.u32(UInt32(ctts.count))
            for e in ctts { w.u32(e.count); w.u32(UInt32(bitPattern: e.offset)) }
            parts.append(Mp4Box.fullBox("ctts", version: cttsVersion, flags: 0, w.bytes))
        }

        if let syncNumbers {
            w = ByteWriter(capacity: 4 + 4 * syncNumbers.count)
            w.u32(UInt32(syncNumbers.count))
            for n in syncNumbers { w.u32(n) }
            parts.append(Mp4Box.fullBox("stss", version: 0, flags: 0, w.bytes))
        }

        w = ByteWriter(capacity: 4 + 12 * chunks.count)
        var runs: [(first: UInt32, samples: UInt32)] = []
        for (i, c) in chunks.enumerated() where runs.last?.samples != c.samples { runs.append((UInt32(i + 1), c.samples)) }
        w.u32(UInt32(runs.count))
        for r in runs { w.u32(r.first); w.u32(r.samples); w.u32(1) }
        parts.append(Mp4Box.fullBox("stsc", version: 0, flags: 0, w.bytes))

        w = ByteWriter(capacity: 8 + 4 * sizes.count)
        if let first = sizes.first, sizes.allSatisfy({ $0 == first }) {
            w.u32(first)
            w.u32(UInt32(sizes.count))
        } else {
            w.u32(0)
            w.u32(UInt32(sizes.count))
            for s in sizes { w.u32(s) }
        }
        parts.append(Mp4Box.fullBox("stsz", version: 0, flags: 0, w.bytes))

        w = ByteWriter(capacity: 4 + (co64 ? 8 : 4) * chunks.count)
        w.u32(UInt32(chunks.count))
        for c in chunks {
            let offset = payloadStart + c.offset
            if co64 { w.uint64(UInt64(offset)) } else { w.u32(UInt32(truncatingIfNeeded: offset)) }
        }
        parts.append(Mp4Box.fullBox(co64 ? "co64" : "stco", version: 0, flags: 0, w.bytes))
        return Mp4Box.box("stbl", parts: parts)
    }
}
