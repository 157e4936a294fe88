import MediaFormats
import RtpFormats

/// Bus frames (whose bytes a publisher chose) into RTP as RTSP and WebRTC players and GB28181's sender get
/// them: the first byte picks H.264, H.265 (length-prefixed NAL units, lengths unchecked by anyone before),
/// AAC, G.711 or Opus, or the opaque chunking of PS/TS frames; the second the payload budget; the rest is
/// frames, each led by a two-byte length. Packets go back through the codec's depacketizer (or, for chunks,
/// RFC 4571 framing and the TCP framer GB28181 receivers use). Checked: no payload over the budget, sequence
/// numbers consecutive, and chunked frames come back byte for byte with the marker on their last packet only.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRtpPacketizer(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard bytes.count >= 2 else { return 0 }
    let codecs: [Codec?] = [.h264, .h265, .aac, .pcma, .pcmu, .opus, nil]
    let codec = codecs[Int(bytes[0]) % codecs.count]
    let maxPayload = 8 + Int(bytes[1]) * 6
    var frames: [ArraySlice<UInt8>] = []
    var rest = bytes.dropFirst(2)
    while rest.count >= 2 {
        let length = Int(rest[rest.startIndex]) << 8 | Int(rest[rest.startIndex + 1])
        frames.append(rest.dropFirst(2).prefix(length))
        rest = rest.dropFirst(2 + length)
    }
    if let codec { codecRoundTrip(codec, maxPayload: maxPayload, frames) } else { chunkRoundTrip(maxPayload: maxPayload, frames) }
    return 0
}

private func codecRoundTrip(_ codec: Codec, maxPayload: Int, _ frames: [ArraySlice<UInt8>]) {
    let rate = codec.isVideo ? 90000 : codec == .opus ? 48000 : codec == .aac ? 44100 : 8000
    guard var packetizer = RtpPacketizers.make(codec: codec, payloadType: 96, ssrc: 7, clockRate: rate, channels: codec == .opus ? 2 : 1, maxPayload: maxPayload),
          var depacketizer = RtpDepacketizers.make(codec: codec, clockRate: rate, channels: codec == .opus ? 2 : 1)
    else { return }
    var next = packetizer.sequence
    for (n, frame) in frames.enumerated() {
        packetizer.packetize(frame, timestamp: UInt32(n) * 3000) { raw in
            let packet = Array(raw)
            // Opus frames are never split (RFC 7587 4.2): one packet per frame whatever the budget.
            guard codec == .opus || packet.count <= RtpPacket.headerSize + maxPayload else { fatalError("\(codec) packet of \(packet.count) bytes over the budget \(maxPayload)") }
            guard let rtp = RtpPacket(packet[...]), rtp.sequence == next else { fatalError("\(codec) packet unparsable or out of sequence") }
            next &+= 1
            _ = depacketizer.push(rtp)
        }
    }
    _ = depacketizer.takeParameterSets()
}

private func chunkRoundTrip(maxPayload: Int, _ frames: [ArraySlice<UInt8>]) {
    var packetizer = RtpChunkPacketizer(payloadType: 96, ssrc: 7, maxPayload: maxPayload)
    var framer = RtpTcpFramer()
    for (n, frame) in frames.enumerated() {
        let packets = packetizer.packetize(frame, timestamp: UInt32(n))
        let stream = packets.flatMap { RtpChunkPacketizer.rfc4571($0) }
        let back = framer.push(stream[...]).compactMap { RtpPacket($0) }
        guard back.count == packets.count, back.flatMap({ Array($0.payload) })[...] == frame,
              back.allSatisfy({ $0.payload.count <= maxPayload }),
              back.enumerated().allSatisfy({ $0.element.marker == ($0.offset == back.count - 1) })
        else { fatalError("chunked frame of \(frame.count) bytes did not come back whole") }
    }
}
