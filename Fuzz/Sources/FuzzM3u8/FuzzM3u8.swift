import HlsFormats

/// A playlist as the HLS pull downloads it: parsed against a base URL, and every URI it names (variants,
/// segments, init sections) resolved against that base as the pull does before fetching.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzM3u8(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let base = "http://127.0.0.1:8080/live/cam/hls.m3u8?token=a"
    guard let playlist = try? M3u8Parser.parse(bytes, url: base) else { return 0 }
    switch playlist {
    case .master(let master):
        for variant in master.variants { _ = M3u8URI.resolve(variant.uri, against: base) }
    case .media(let media):
        for segment in media.segments {
            _ = M3u8URI.resolve(segment.uri, against: base)
            if let map = segment.initSection { _ = M3u8URI.resolve(map, against: base) }
        }
    }
    return 0
}
