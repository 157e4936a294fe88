import MediaFormats
import MpegPS
import MpegTS
import RtpFormats

/// A GB28181 device's RTP over TCP as the gb28181 plugin's TCP server (and active-mode client) reads it:
/// the framer (RFC 4571 length or RTSP-interleaved `$`, told apart by the first bytes, resynchronising on a
/// corrupt length) fed in reads of a size the first byte sets, with the SSRC known in advance when the second
/// byte's low bit says so; each packet parsed as RTP and routed as `RtpPayloadIngest` does: ES payload types
/// to the H.264, H.265 and G.711 depacketizers, TS (PT 33 or whole 0x47-led packets) to the TS demuxer, the
/// rest to the PS demuxer with a frame ended by the marker or a new timestamp. Checked: the framer never
/// holds more than one largest framed packet.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGbRtpTcp(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard bytes.count >= 2 else { return 0 }
    let readSize = 1 + Int(bytes[0]) * 5
    var framer = RtpTcpFramer(expectedSsrc: bytes[1] & 1 != 0 ? 0x0102_0304 : nil)
    var ingest = Ingest()
    var rest = bytes.dropFirst(2)
    while !rest.isEmpty {
        for packet in framer.push(rest.prefix(readSize)) {
            guard let rtp = RtpPacket(packet), !RtpPacket.isRtcp(packet) else { continue }
            ingest.packet(rtp)
        }
        rest = rest.dropFirst(readSize)
        guard framer.buffered <= 4 + 0xFFFF else { fatalError("framer holds \(framer.buffered) bytes") }
    }
    _ = (framer.framing, framer.resyncs, framer.skippedBytes)
    _ = ingest.ps.endOfFrame()
    _ = ingest.ts.flush()
    return 0
}

/// The plugin's routing of payloads (`Plugins/gb28181/RtpPayloadIngest.swift`) without its bus.
private struct Ingest {
    var ps = PsDemuxer()
    var ts = TsDemuxer()
    var es: [UInt8: any RtpDepacketizer] = [:]
    var lastTimestamp: UInt32?

    mutating func packet(_ p: RtpPacket) {
        if let codec = GbElementaryPayloadTypes.codec(p.payloadType) {
            if es[p.payloadType] == nil {
                es[p.payloadType] = RtpDepacketizers.make(codec: codec, clockRate: codec.isVideo ? 90000 : 8000, channels: 1)
            }
            guard var d = es[p.payloadType] else { return }
            _ = d.push(p)
            _ = d.takeParameterSets()
            es[p.payloadType] = d
            return
        }
        if p.payloadType == 33 || (p.payload.first == 0x47 && p.payload.count % 188 == 0) {
            _ = ts.push(p.payload)
            return
        }
        if let last = lastTimestamp, last != p.timestamp { _ = ps.endOfFrame() }
        lastTimestamp = p.timestamp
        _ = ps.push(p.payload)
        if p.marker { _ = ps.endOfFrame() }
    }
}
