import MpegTS

/// MPEG-TS as SRT, GB28181, HLS pulls and HTTP-TS ingest deliver it: the demuxer (PAT, PMT, PES, in-band
/// codec configs) fed in reads of a size the first byte sets (so packets straddle reads), then flushed.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMpegTs(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    let readSize = 1 + Int(first) * 3
    var demuxer = TsDemuxer()
    var rest = bytes.dropFirst()
    while !rest.isEmpty {
        _ = demuxer.push(rest.prefix(readSize))
        rest = rest.dropFirst(readSize)
    }
    _ = demuxer.flush()
    _ = demuxer.tracks
    return 0
}
