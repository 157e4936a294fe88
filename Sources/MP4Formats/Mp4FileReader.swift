import MediaFormats

/// A progressive or fragmented MP4 file read from a random-access source: the moov is read whole (up to
/// `maxMovieSize`), moofs one at a time, media data never. Tracks are the video and sound tracks in file order.
///
/// A fragmented file is read up to its last complete fragment, so a recording cut short by a crash or kill -9
/// gives everything it holds up to the cut. A progressive file whose samples lie past its end is refused
/// instead: its moov describes data that is not there.
public struct Mp4FileReader: Sendable {
    public static let maxMovieSize = 64 << 20
    /// A moof is a few hundred bytes per fragment; 16 MiB is a million trun entries.
    public static let maxFragmentHeaderSize = 16 << 20

    public let tracks: [Mp4FileTrack]
    /// True when samples came from moof boxes (the moov has an mvex).
    public let isFragmented: Bool
    /// mvhd's timescale, in which edit lists and movie durations count.
    public let movieTimescale: UInt32
    /// True when the file ends inside a box or a fragment's data: a recording cut short. What is listed is
    /// complete; what followed the cut is not.
    public let endsEarly: Bool

    public init(source: some Mp4ByteSource) throws(Mp4FileError) {
        var state = WalkState()
        try Self.walk(source, into: &state)
        try self.init(state)
    }

    /// An fMP4 media segment read with the init section that describes it (HLS EXT-X-MAP): the moov comes
    /// from `initSection`, the fragments from `segment`, whose offsets (a tfhd's base data offset too) count
    /// from the segment's own start, as in the segment file.
    public init(initSection: some Mp4ByteSource, segment: some Mp4ByteSource) throws(Mp4FileError) {
        var state = WalkState()
        try Self.walk(initSection, into: &state)
        guard state.movie != nil else { throw .noMovie }
        state.endsEarly = false
        try Self.walk(segment, into: &state)
        try self.init(state)
    }

    private struct WalkState {
        var movie: (tracks: [Mp4TrackParser.Parsed], timescale: UInt32)?
        var fragmented: Fragmented?
        var endsEarly = false
    }

    private init(_ state: WalkState) throws(Mp4FileError) {
        guard var movie = state.movie else { throw .noMovie }
        if let f = state.fragmented {
            for i in movie.tracks.indices { movie.tracks[i].samples += f.samples[movie.tracks[i].trackID] ?? [] }
        }
        self.tracks = movie.tracks.map { $0.track() }
        self.isFragmented = state.fragmented != nil
        self.movieTimescale = movie.timescale
        self.endsEarly = state.endsEarly
    }

    /// The top-level boxes of `source`: the first moov, then each moof as it comes. Fragments are parsed as
    /// they come and only their samples kept: an hour's recording has a quarter of a million moofs.
    private static func walk(_ source: some Mp4ByteSource, into state: inout WalkState) throws(Mp4FileError) {
        var walker = Mp4TopLevelWalker(source: source)
        walk: while let box = try walker.next() {
            if box.end > source.size {
                state.endsEarly = true             // a cut-off tail: what precedes it is all there is
                break
            }
            switch box.type {
            case "moov" where state.movie == nil:
                guard box.size <= Self.maxMovieSize else { throw .movieTooLarge(size: box.size, limit: Self.maxMovieSize) }
                let bytes = try walker.read(box)
                let tree = try Self.tree(bytes, context: "moov")
                state.movie = try Self.movie(tree, in: bytes[...], fileSize: source.size)
                if let mvex = tree.first("mvex") { state.fragmented = try Fragmented(mvex: mvex, in: bytes[...]) }
            case "moof":
                guard state.movie != nil else { throw .malformed("moof at \(box.start) before the moov") }
                guard state.fragmented != nil else { throw .malformed("moof at \(box.start) but the moov has no mvex") }
                guard box.size <= Self.maxFragmentHeaderSize else {
                    throw .malformed("moof at \(box.start) of \(box.size) bytes exceeds the \(Self.maxFragmentHeaderSize)-byte limit")
                }
                let bytes = try walker.read(box)
                let tree = try Self.tree(bytes, context: "moof at \(box.start)")
                guard try state.fragmented?.add(tree, in: bytes[...], at: box.start, fileSize: source.size) == true else {
                    state.endsEarly = true
                    break walk
                }
            default:
                break
            }
        }
    }

    /// mvhd's timescale and the video and sound tracks of a moov.
    private static func movie(_ moov: Mp4BoxNode, in bytes: ArraySlice<UInt8>,
                              fileSize: Int64) throws(Mp4FileError) -> (tracks: [Mp4TrackParser.Parsed], timescale: UInt32) {
        guard let mvhdNode = moov.first("mvhd") else { throw .malformed("moov without mvhd") }
        var mvhd = try Mp4Fields(fullBox: mvhdNode, in: bytes)
        _ = try mvhd.uintV(); _ = try mvhd.uintV()               // creation, modification
        let timescale = try mvhd.u32()
        guard timescale > 0 else { throw .malformed("mvhd timescale 0") }
        var tracks: [Mp4TrackParser.Parsed] = []
        for trak in moov.children("trak") {
            if let t = try Mp4TrackParser.parse(trak, in: bytes, movieTimescale: timescale, fileSize: fileSize) { tracks.append(t) }
        }
        return (tracks, timescale)
    }

    static func tree(_ bytes: [UInt8], context: String) throws(Mp4FileError) -> Mp4BoxNode {
        let nodes: [Mp4BoxNode]
        do { nodes = try Mp4BoxReader.tree(bytes) } catch { throw .box(error, in: context) }
        guard let node = nodes.first, nodes.count == 1 else { throw .malformed("\(context) is not one box") }
        return node
    }

    /// The fragments' samples collected per track, in file order.
    private struct Fragmented {
        var defaults: [UInt32: Mp4FragmentParser.Defaults] = [:]
        var samples: [UInt32: [Mp4FileSample]] = [:]
        var decodeEnd: [UInt32: Int64] = [:]
        var total = 0

        init(mvex: Mp4BoxNode, in bytes: ArraySlice<UInt8>) throws(Mp4FileError) {
            for node in mvex.children("trex") {
                var trex = try Mp4Fields(fullBox: node, in: bytes)
                let id = try trex.u32()
                _ = try trex.u32()                                      // sample description index
                defaults[id] = .init(duration: try trex.u32(), size: try trex.u32(), flags: try trex.u32())
            }
        }

        /// Adds one fragment's samples; false (and nothing added) when its data runs past the end of the file,
        /// which ends the readable part of a recording cut mid-fragment.
        mutating func add(_ moof: Mp4BoxNode, in bytes: ArraySlice<UInt8>, at offset: Int64, fileSize: Int64) throws(Mp4FileError) -> Bool {
            var ends = decodeEnd
            let parts = try Mp4FragmentParser.samples(moof: moof, in: bytes, moofOffset: offset, fileSize: fileSize,
                                                      defaults: defaults, decodeEnd: &ends, budget: Mp4SampleTable.maxSamples - total)
            for part in parts {
                for s in part.samples where s.offset + Int64(s.size) > fileSize { return false }
            }
            decodeEnd = ends
            for part in parts {
                samples[part.trackID, default: []] += part.samples
                total += part.samples.count
            }
            return true
        }
    }
}
