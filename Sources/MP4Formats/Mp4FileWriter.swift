import MediaFormats

/// ftyp + moov for a progressive, faststart file: the moov describes samples that the caller writes as one mdat
/// right after it (ISO/IEC 14496-12 8.5-8.7 sample tables). Sample entries come from Mp4TrackSetup, as in
/// the fragmented muxer, so both write the same codec records.
///
/// Times stay in each track's own timescale. The first sample's dts becomes media time 0 and an edit list puts
/// the track back where it was: a negative start (B-frame delay) becomes a media_time skip as ffmpeg writes
/// it, a positive one (audio starting after video) an empty edit. Composition offsets use ctts version 1 when
/// any is negative.
public enum Mp4FileWriter {
    public struct Track: Sendable {
        public var media: MediaTrack
        public var timescale: UInt32
        /// Decode order; each sample's `offset` is its position in the mdat payload.
        public var samples: [Mp4FileSample]

        public init(media: MediaTrack, timescale: UInt32, samples: [Mp4FileSample]) {
            self.media = media
            self.timescale = timescale
            self.samples = samples
        }
    }

    /// Whether a track can be written: what the fragmented muxer carries, with 4-byte NAL lengths (the sample
    /// entry is built for the bus's 4-byte framing; a file's 1- or 2-byte lengths would be misread).
    public static func canWrite(_ media: MediaTrack) -> Bool { unsupportedReason(media) == nil }

    /// ftyp, moov and the mdat header; the caller follows them with `mdatPayloadSize` bytes of sample data.
    public static func header(tracks: [Track], mdatPayloadSize: Int64) throws(Mp4FileError) -> [UInt8] {
        guard mdatPayloadSize >= 0, mdatPayloadSize <= Int64.max - 16 else { throw .malformed("mdat payload size \(mdatPayloadSize)") }
        var prepared: [Mp4TrackTables] = []
        for (i, track) in tracks.enumerated() {
            prepared.append(try Mp4TrackTables(track, trackID: UInt32(clamping: i + 1), payloadSize: mdatPayloadSize))
        }
        let ftyp = Self.ftyp()
        let wideMdat = mdatPayloadSize > Int64(UInt32.max) - 8
        let mdatHeaderSize: Int64 = wideMdat ? 16 : 8
        // The moov's size fixes where the payload starts, and that decides between stco and co64, which changes
        // the moov's size: measure with stco, switch to co64 if an offset then exceeds 32 bits.
        let trial = moov(prepared, payloadStart: 0, co64: false).count
        var start = Int64(ftyp.count + trial) + mdatHeaderSize
        let co64 = prepared.contains { start + $0.lastChunkOffset > Int64(UInt32.max) }
        if co64 { start = Int64(ftyp.count + moov(prepared, payloadStart: 0, co64: true).count) + mdatHeaderSize }
        var w = ByteWriter(capacity: Int(start))
        w.append(ftyp)
        w.append(moov(prepared, payloadStart: start, co64: co64))
        if wideMdat {
            w.u32(1)
            w.fourCC("mdat")
            w.uint64(UInt64(mdatPayloadSize + 16))
        } else {
            w.u32(UInt32(mdatPayloadSize + 8))
            w.fourCC("mdat")
        }
        return w.bytes
    }

    /// isom with iso4 for ctts version 1 (signed composition offsets); mp41 for players that check brands.
    static func ftyp() -> [UInt8] {
        var w = ByteWriter(capacity: 24)
        w.fourCC("isom")
        w.u32(0x200)
        for brand in ["isom", "iso2", "iso4", "mp41"] { w.fourCC(brand) }
        return Mp4Box.box("ftyp", w.bytes)
    }

    private static func moov(_ tracks: [Mp4TrackTables], payloadStart: Int64, co64: Bool) -> [UInt8] {
        let duration = tracks.map(\.movieDuration).max() ?? 0
        return Mp4Box.box("moov", parts: [Mp4InitSegment.mvhd(nextTrackID: UInt32(clamping: tracks.count + 1), duration: duration)]
                          + tracks.map { $0.trak(payloadStart: payloadStart, co64: co64) })
    }

    static func unsupportedReason(_ media: MediaTrack) -> String? {
        guard Mp4TrackSetup(media, trackID: 1) != nil else { return "\(media.codec) track without a usable codec record" }
        let lengthSize: Int?
        switch media.codec {
        case .h264: lengthSize = AVCDecoderConfig(media.config[...])?.lengthSize
        case .h265: lengthSize = HEVCDecoderConfig(media.config[...])?.lengthSize
        default: lengthSize = 4
        }
        return lengthSize == 4 ? nil : "\(media.codec) with \(lengthSize ?? 0)-byte NAL lengths"
    }
}
