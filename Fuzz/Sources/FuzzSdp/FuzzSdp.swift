import RtspProtocol

/// A session description as ANNOUNCE and DESCRIBE bodies carry it: parsed under the server's limits, then each
/// track's control resolved against a base URL and its track index read, as SETUP does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSdp(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let sdp = try? SessionDescription(parsing: bytes) else { return 0 }
    for track in sdp.tracks {
        guard let control = track.control else { continue }
        _ = RtspURL.resolve(control: control, base: "rtsp://127.0.0.1/live/cam")
        _ = RtspURL.trackIndex(control: control)
    }
    return 0
}
