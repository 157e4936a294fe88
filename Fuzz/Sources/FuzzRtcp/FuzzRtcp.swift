import RtpFormats

/// A compound RTCP packet as a player or publisher sends it on the RTCP port or interleaved channel: parsed,
/// and each report re-encoded and parsed again (sender and receiver reports round-trip through the encoder the
/// server answers with).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRtcp(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    for packet in RtcpPacket.parseCompound(bytes[...]) {
        switch packet {
        case .senderReport(let sr): _ = RtcpPacket.parseCompound(sr.encode(cname: "x")[...])
        case .receiverReport(let rr): _ = RtcpPacket.parseCompound(rr.encode()[...])
        case .bye, .other: break
        }
    }
    return 0
}
