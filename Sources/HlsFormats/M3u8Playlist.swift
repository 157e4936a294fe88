/// A parsed playlist (RFC 8216): a master playlist names variants, a media playlist names segments.
public enum M3u8Playlist: Sendable, Equatable {
    case master(M3u8MasterPlaylist)
    case media(M3u8MediaPlaylist)
}

public struct M3u8MasterPlaylist: Sendable, Equatable {
    public var variants: [M3u8Variant] = []

    /// The variant a pull takes: the highest BANDWIDTH, then the largest picture (one encoding, one stream).
    public var best: M3u8Variant? {
        variants.max { a, b in
            (a.bandwidth, a.resolution.map { $0.width * $0.height } ?? 0) < (b.bandwidth, b.resolution.map { $0.width * $0.height } ?? 0)
        }
    }
}

public struct M3u8Variant: Sendable, Equatable {
    /// Absolute, resolved against the playlist's URL.
    public var uri: String
    public var bandwidth: Int
    public var averageBandwidth: Int?
    public var resolution: (width: Int, height: Int)?
    public var codecs: String?
    public var frameRate: Double?

    public static func == (a: M3u8Variant, b: M3u8Variant) -> Bool {
        a.uri == b.uri && a.bandwidth == b.bandwidth && a.averageBandwidth == b.averageBandwidth && a.codecs == b.codecs
            && a.frameRate == b.frameRate && a.resolution?.width == b.resolution?.width && a.resolution?.height == b.resolution?.height
    }
}

public struct M3u8MediaPlaylist: Sendable, Equatable {
    public var targetDuration: Double = 0
    public var mediaSequence = 0
    public var discontinuitySequence = 0
    public var segments: [M3u8Segment] = []
    /// EXT-X-ENDLIST: no segment will be added (VOD, or a live stream that finished).
    public var endList = false
    /// EXT-X-PLAYLIST-TYPE: "VOD" or "EVENT", nil when absent.
    public var playlistType: String?
    /// The last EXT-X-MAP: the segments after it are fragmented MP4 needing this init section (each
    /// segment names the one in force for it).
    public var initSection: String?
    /// EXT-X-KEY with a METHOD other than NONE on some segment.
    public var encrypted = false
    /// Some segment, or the init section (EXT-X-MAP BYTERANGE), is a byte range of a larger resource.
    public var byteRanges = false

    /// Sequence number of the last segment, nil when there is none.
    public var lastSequence: Int? { segments.last?.sequence }
}

public struct M3u8Segment: Sendable, Equatable {
    /// Absolute, resolved against the playlist's URL.
    public var uri: String
    /// EXTINF, seconds.
    public var duration: Double
    public var sequence: Int
    /// EXT-X-DISCONTINUITY before this segment: its timestamps need not follow the previous segment's.
    public var discontinuity: Bool
    /// The init section (EXT-X-MAP) in force for this segment, absolute; nil for MPEG-TS segments.
    public var initSection: String?

    public init(uri: String, duration: Double, sequence: Int, discontinuity: Bool, initSection: String? = nil) {
        (self.uri, self.duration, self.sequence, self.discontinuity, self.initSection) = (uri, duration, sequence, discontinuity, initSection)
    }
}

public struct M3u8Error: Error, Equatable, CustomStringConvertible {
    public let line: Int
    public let reason: String
    public var description: String { line > 0 ? "playlist line \(line): \(reason)" : "playlist: \(reason)" }
}
