import MpegPS

/// An MPEG-2 program stream as GB28181 devices send it (pack and system headers, stream map, PES with and
/// without length, MPEG-1 PES, Hikvision's bare H.265 after a pack header): the demuxer fed in reads of a
/// size the first byte sets, with the end of a frame (the RTP marker) after each read when the second byte's
/// low bit says so, then flushed. What comes out is muxed again as the GB28181 sender does and demuxed by a
/// second demuxer. Checked: the held bytes stay within the demuxer's bound.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMpegPs(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard bytes.count >= 2 else { return 0 }
    let readSize = 1 + Int(bytes[0]) * 7, markEveryRead = bytes[1] & 1 != 0
    var demuxer = PsDemuxer()
    var frames: [PsFrame] = []
    var rest = bytes.dropFirst(2)
    while !rest.isEmpty {
        frames += demuxer.push(rest.prefix(readSize))
        rest = rest.dropFirst(readSize)
        if markEveryRead { frames += demuxer.endOfFrame() }
        guard demuxer.bufferedBytes <= 2 * PsDemuxer.maxFrameSize + readSize else { fatalError("demuxer holds \(demuxer.bufferedBytes) bytes") }
    }
    frames += demuxer.endOfFrame()
    _ = (demuxer.errors, demuxer.lastError)

    var muxer = PsMuxer(tracks: demuxer.tracks)
    var again = PsDemuxer()
    for f in frames {
        guard let packet = muxer.mux(track: f.track, pts: f.pts, dts: f.dts, key: f.key, data: f.data[...]) else { continue }
        _ = again.push(packet[...])
        _ = again.endOfFrame()
    }
    return 0
}
