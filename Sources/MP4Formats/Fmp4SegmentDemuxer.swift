import MediaFormats

/// The frames of one fMP4 (CMAF) media segment, read together with its init section: what an HLS playlist
/// with EXT-X-MAP serves. Frames come in bus format (H.264/H.265 NAL units with 4-byte lengths, whatever
/// length the file's config uses), in decode order across tracks, timed in microseconds on the segments'
/// own timeline (each moof's tfdt), so consecutive segments continue each other.
public enum Fmp4SegmentDemuxer {
    public struct Frame: Sendable, Equatable {
        /// Index in the returned tracks.
        public let track: Int
        /// A sync sample of a video track (audio frames are all sync points; this stays false for them).
        public let key: Bool
        public let pts: Int64
        public let dts: Int64
        public let data: [UInt8]
    }

    /// Init sections are small (ftyp + moov); anything larger is not one.
    public static let maxInitBytes = 1 << 20
    /// Times past ±2^52 µs (142 years) are refused: what the pull adds to them must not overflow.
    public static let maxTimeUs: Int64 = 1 << 52

    /// The tracks of known codecs (in the init section's order) and the segment's frames.
    public static func demux(initSection: [UInt8], segment: [UInt8]) throws(Mp4FileError) -> (tracks: [MediaTrack], frames: [Frame]) {
        guard initSection.count <= maxInitBytes else { throw .malformed("init section of \(initSection.count) bytes exceeds \(maxInitBytes)") }
        let source = Mp4MemorySource(segment)
        let reader = try Mp4FileReader(initSection: Mp4MemorySource(initSection), segment: source)
        var tracks: [MediaTrack] = []
        var frames: [Frame] = []
        for t in reader.tracks {
            guard let media = t.media else { continue }
            let index = tracks.count
            tracks.append(media)
            let lengthSize = media.nalLengthSize
            let isVideo = media.codec.isVideo
            // Negative composition offsets (trun version 1, as CMAF packagers write them) put a picture's
            // presentation before its decode; decode times move back by the largest such offset, so every
            // frame keeps pts >= dts and its order.
            // (Wrapping arithmetic on file values: absurd ones are caught by the bound below.)
            let lead = t.samples.reduce(Int64(0)) { max($0, min(Int64(Int32.max), $1.dts &- $1.pts)) }
            for s in t.samples {
                let pts = t.microseconds(s.pts), dts = t.microseconds(s.dts &- lead)
                guard abs(pts) <= maxTimeUs, abs(dts) <= maxTimeUs else {
                    throw .malformed("track \(t.trackID): a time past \(maxTimeUs) µs (tfdt \(s.dts) at timescale \(t.timescale))")
                }
                let bytes: [UInt8]
                do { bytes = try source.read(offset: s.offset, count: s.size) } catch { throw .io("\(error)") }
                let data: [UInt8]
                if isVideo && lengthSize != 4 {
                    guard let normalized = NalUnits.normalize(bytes[...], from: lengthSize) else {
                        throw .malformed("sample at \(s.offset) has a NAL length past its end")
                    }
                    data = normalized
                } else {
                    data = bytes
                }
                frames.append(Frame(track: index, key: isVideo && s.isSync, pts: pts, dts: dts, data: data))
            }
        }
        // Stable: samples of one track keep their order where decode times tie.
        let ordered = frames.enumerated().sorted { ($0.element.dts, $0.offset) < ($1.element.dts, $1.offset) }.map(\.element)
        return (tracks, ordered)
    }
}

extension MediaTrack {
    /// The length of the NAL unit sizes in this track's MP4 samples (avcC/hvcC lengthSizeMinusOne + 1); the
    /// bus always carries 4.
    public var nalLengthSize: Int {
        switch codec {
        case .h264 where config.count > 4: return Int(config[4] & 3) + 1
        case .h265 where config.count > 21: return Int(config[21] & 3) + 1
        default: return 4
        }
    }
}
