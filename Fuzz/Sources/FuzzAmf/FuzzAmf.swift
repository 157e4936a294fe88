import MediaFormats

/// AMF0 (with the AMF3 switch marker 0x11 inside it) as RTMP commands and FLV metadata carry it: decode every
/// value, then re-encode what decoded and decode that again (the encoder must accept whatever the decoder gives).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAmf(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var decoder = AMFDecoder(bytes)
    guard let values = try? decoder.decodeAll() else { return 0 }
    let encoded = AMF0Encoder.encode(values)
    var again = AMFDecoder(encoded)
    _ = try? again.decodeAll()
    return 0
}
