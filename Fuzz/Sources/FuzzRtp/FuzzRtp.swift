import MediaFormats
import RtpFormats

/// RTP as a publisher (RTSP ANNOUNCE/RECORD, WebRTC, GB28181) sends it: the first byte picks the depacketizer
/// (H.264, H.265, AAC-hbr, MP4A-LATM with a StreamMuxConfig taken from the input, G.711, Opus); the rest is a
/// run of packets, each after a 2-byte length, through the jitter buffer, sequence tracking and reception
/// statistics, then into the depacketizer, with losses reported where the jitter buffer saw a gap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRtp(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let selector = bytes.first else { return 0 }
    var rest = bytes.dropFirst()
    let codecs: [Codec] = [.h264, .h265, .aac, .aac, .pcma, .opus, .vp8, .vp9, .av1]
    let codec = codecs[Int(selector) % codecs.count]
    var latm: [UInt8]?
    if selector % 6 == 3 {
        let n = Int(rest.first ?? 0) % 16
        latm = Array(rest.dropFirst().prefix(n))
        rest = rest.dropFirst(1 + n)
    }
    guard var depacketizer = RtpDepacketizers.make(codec: codec, clockRate: codec.isVideo ? 90_000 : 48_000,
                                                   channels: 2, latmStreamMuxConfig: latm) else { return 0 }
    var jitter = RtpJitterBuffer(capacity: 16, maxDelayPackets: 4)
    var tracker = RtpSequenceTracker()
    var stats = RtpReceptionStatistics(clock: RtpClock(rate: 90_000) ?? RtpClock(rate: 1000)!)
    var unwrapper = RtpTimestampUnwrapper()
    var arrival: Int64 = 0
    func deliver(_ packet: RtpPacket, gapBefore: Bool) {
        if gapBefore { depacketizer.lost() }
        for unit in depacketizer.push(packet) { _ = unwrapper.unwrap(unit.timestamp) }
        _ = depacketizer.takeParameterSets()
    }
    while rest.count >= 2 {
        let length = Int(rest[rest.startIndex]) << 8 | Int(rest[rest.startIndex + 1])
        let body = rest.dropFirst(2).prefix(length)
        rest = rest.dropFirst(2 + length)
        if RtpPacket.isRtcp(body) { _ = RtcpPacket.parseCompound(body); continue }
        guard let packet = RtpPacket(body) else { continue }
        _ = tracker.track(packet.sequence)
        arrival += 20_000
        stats.record(sequence: packet.sequence, timestamp: packet.timestamp, arrivalMicroseconds: arrival)
        jitter.push(packet)
        while let (p, gap) = jitter.pop() { deliver(p, gapBefore: gap) }
    }
    for (p, gap) in jitter.flush() { deliver(p, gapBefore: gap) }
    _ = stats.reportBlock(ssrc: 1)
    return 0
}
