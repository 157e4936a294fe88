import MediaFormats

/// Codec configuration records as publishers send them (FLV sequence headers, SDP sprop, MP4 sample entries):
/// the first byte picks avcC (and its SPS), hvcC (and its SPS dimensions), an AAC AudioSpecificConfig, a bare SPS,
/// or NAL splitting (Annex B and length-prefixed); the rest is the record. What parses is re-encoded and parsed
/// again, as the muxers do.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCodecConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let all = Array(UnsafeBufferPointer(start: data, count: size))
    guard let selector = all.first else { return 0 }
    let body = all.dropFirst()
    switch selector % 6 {
    case 0:
        if let avc = AVCDecoderConfig(body) {
            _ = avc.parsedSPS
            _ = AVCDecoderConfig(avc.encode()[...])
        }
    case 1:
        if let hevc = HEVCDecoderConfig(body) {
            _ = hevc.dimensions
            _ = HEVCDecoderConfig(hevc.encode()[...])
        }
    case 2:
        if let asc = AudioSpecificConfig(body) { _ = asc.adtsHeader(payloadLength: body.count) }
    case 3:
        _ = H264SPS(nal: body)
        _ = HEVCDecoderConfig.dimensions(sps: Array(body))
        _ = removeEmulationPrevention(body)
    case 4:
        for nal in NalUnits.splitAnnexB(body) { _ = NalUnits.h264Type(nal); _ = NalUnits.h265Type(nal) }
    default:
        for lengthSize in [1, 2, 4] {
            _ = NalUnits.splitLengthPrefixed(body, lengthSize: lengthSize)
            _ = NalUnits.normalize(body, from: lengthSize)
        }
    }
    return 0
}
