import MP4Formats

/// MP4 as VOD files and HLS fMP4 pulls are read: the box tree, the whole-file reader from memory (progressive
/// and fragmented), and an fMP4 init section + segment pair split where the first byte says, through both the
/// file reader and the segment demuxer.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMp4(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    let file = Array(bytes.dropFirst())
    _ = try? Mp4BoxReader.tree(file)
    if let reader = try? Mp4FileReader(source: Mp4MemorySource(file)) {
        for track in reader.tracks { _ = track.samples.count }
    }
    let cut = min(file.count, Int(first) * file.count / 255)
    let initSection = Array(file[..<cut]), segment = Array(file[cut...])
    _ = try? Mp4FileReader(initSection: Mp4MemorySource(initSection), segment: Mp4MemorySource(segment))
    _ = try? Fmp4SegmentDemuxer.demux(initSection: initSection, segment: segment)
    return 0
}
