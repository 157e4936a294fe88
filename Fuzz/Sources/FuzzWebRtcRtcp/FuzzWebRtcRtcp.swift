import WebRtcProtocol

/// A compound RTCP packet as a WebRTC peer sends it after SRTCP decryption: reports, SDES, BYE, generic NACK,
/// PLI, FIR, REMB and transport-wide feedback. Checked: what we encode from a parsed NACK (the lost sequence
/// numbers, regrouped into PID + BLP) and FIR parses back to the same, and our goodbye with a parsed CNAME
/// parses.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebRtcRtcp(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    for packet in WebRtcRtcp.parse(bytes[...]) {
        switch packet {
        case .nack(let nack):
            guard case .nack(let again)? = WebRtcRtcp.parse(nack.encode()[...]).first,
                  Set(again.lost) == Set(nack.lost), again.senderSsrc == nack.senderSsrc, again.mediaSsrc == nack.mediaSsrc
            else { fatalError("NACK does not survive encode/parse: \(nack.lost)") }
        case .fullIntraRequest(let fir):
            guard case .fullIntraRequest(let again)? = WebRtcRtcp.parse(fir.encode()[...]).first, again == fir else {
                fatalError("FIR does not survive encode/parse: \(fir)")
            }
        case .sourceDescription(let chunks):
            for c in chunks { _ = WebRtcRtcp.parse(WebRtcRtcp.goodbye(ssrc: c.ssrc, cname: c.cname)[...]) }
        case .pictureLossIndication(let sender, let media):
            _ = WebRtcRtcp.parse(rtcpPictureLossIndication(senderSsrc: sender, mediaSsrc: media)[...])
        default:
            break
        }
    }
    return 0
}
