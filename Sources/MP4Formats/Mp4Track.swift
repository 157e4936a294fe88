import MediaFormats

/// A track as the MP4 muxer sees it; sizes and rates are consulted only when the config record lacks them.
public typealias Mp4Track = MediaTrack
