import MediaFormats

/// An FLV byte stream as HTTP-FLV pulls and the FLV file reader see it: the stream reader fed in two pieces (the
/// split point from the first byte, so tags cut across reads are exercised), then every tag body through the
/// audio, video or metadata parser its type names; the one-shot tag framer on the same bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFlv(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    let split = min(bytes.count, Int(first) * 4)
    var reader = FlvStreamReader(maxTagBytes: 1 << 16)
    var tags: [FlvFraming.ParsedTag] = []
    do {
        tags += try reader.push(bytes[..<split])
        tags += try reader.push(bytes[split...])
    } catch {}
    if let parsed = FlvFraming.parseTags(bytes[...], maxTagSize: 1 << 16) { tags += parsed.tags }
    for tag in tags {
        switch FlvTagType(rawValue: tag.type) {
        case .audio: _ = try? FlvAudioTag.parse(tag.body)
        case .video: _ = try? FlvVideoTag.parse(tag.body)
        case .script, nil:
            var decoder = AMFDecoder(tag.body)
            _ = try? decoder.decodeAll()
        }
    }
    return 0
}
