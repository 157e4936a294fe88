/// Turns a fragmented recording (our Fmp4Muxer's init segment and fragments, possibly cut short) into a
/// progressive faststart file: ftyp, a moov with full sample tables, then one mdat. Samples keep their file
/// order, which for a recording is the interleaving it was made with, so the copy reads the source front to back.
public enum Mp4Faststart {
    public struct Summary: Sendable, Equatable {
        /// Track IDs of the source that were written, in order (they become 1, 2, ...).
        public var trackIDs: [UInt32]
        /// Tracks left out: no samples, or a codec the writer cannot describe.
        public var droppedTrackIDs: [UInt32]
        public var samples: Int
        public var bytesWritten: Int64
        /// The source ended inside a fragment (a recording cut by a crash); what preceded the cut was written.
        public var sourceEndedEarly: Bool
    }

    /// Reads `source` with Mp4FileReader and hands the new file to `write` in pieces of at most `chunkSize`
    /// bytes of media (the header comes in one piece). Works on progressive sources as well.
    @discardableResult
    public static func finalize(source: some Mp4ByteSource, chunkSize: Int = 1 << 20,
                                write: ([UInt8]) throws -> Void) throws -> Summary {
        let reader = try Mp4FileReader(source: source)
        var kept: [Mp4FileTrack] = []
        var dropped: [UInt32] = []
        for track in reader.tracks {
            if let media = track.media, !track.samples.isEmpty, Mp4FileWriter.canWrite(media) {
                kept.append(track)
            } else {
                dropped.append(track.trackID)
            }
        }

        // Every sample, ordered by where it is in the source, gets the next position in the new mdat.
        var order: [(track: Int, sample: Int, offset: Int64)] = []
        order.reserveCapacity(kept.reduce(0) { $0 + $1.samples.count })
        for (t, track) in kept.enumerated() {
            for (i, s) in track.samples.enumerated() { order.append((t, i, s.offset)) }
        }
        order.sort { ($0.offset, $0.track, $0.sample) < ($1.offset, $1.track, $1.sample) }
        var placed = kept.map(\.samples)
        var payload: Int64 = 0
        for o in order {
            placed[o.track][o.sample].offset = payload
            payload += Int64(placed[o.track][o.sample].size)
        }
        let tracks = kept.indices.compactMap { t in
            kept[t].media.map { Mp4FileWriter.Track(media: $0, timescale: kept[t].timescale, samples: placed[t]) }
        }
        let header = try Mp4FileWriter.header(tracks: tracks, mdatPayloadSize: payload)
        try write(header)

        // Copy runs of samples that are contiguous in the source with as few reads as the chunk size allows.
        let step = max(1, chunkSize)
        var i = 0
        while i < order.count {
            let start = order[i].offset
            var end = start + Int64(kept[order[i].track].samples[order[i].sample].size)
            i += 1
            while i < order.count, order[i].offset == end, end - start < Int64(step) {
                end += Int64(kept[order[i].track].samples[order[i].sample].size)
                i += 1
            }
            var at = start
            while at < end {
                let count = Int(min(Int64(step), end - at))
                let bytes = try source.read(offset: at, count: count)
                guard bytes.count == count else { throw Mp4FileError.io("short read at \(at): \(bytes.count) of \(count) bytes") }
                try write(bytes)
                at += Int64(count)
            }
        }
        return Summary(trackIDs: kept.map(\.trackID), droppedTrackIDs: dropped, samples: order.count,
                       bytesWritten: Int64(header.count) + payload, sourceEndedEarly: reader.endsEarly)
    }
}
