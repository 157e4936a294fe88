import MediaFormats
import RtmpProtocol

/// The RTMP server's byte path without the plugin: C0+C1 through the handshake when the input is long enough,
/// then the chunk stream, fed in reads whose sizes the input's first byte sets, with Set Chunk Size obeyed as
/// the session obeys it, and every command's AMF0/AMF3 values and the stream name a publish or play carries
/// decoded.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRtmpChunk(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    var rest = bytes.dropFirst()
    if first & 0x80 != 0, rest.count >= 1 + RtmpHandshake.size {
        _ = RtmpHandshake.respond(toC0C1: rest.prefix(1 + RtmpHandshake.size), now: 0)
        rest = rest.dropFirst(1 + RtmpHandshake.size)
    }
    let readSize = max(1, Int(first & 0x7F) * 8)
    var parser = RtmpChunkParser(maxMessageSize: 1 << 20, maxChunkStreams: 16)
    var app = "live"
    while !rest.isEmpty {
        parser.feed(Array(rest.prefix(readSize)))
        rest = rest.dropFirst(readSize)
        do {
            while let message = try parser.next() { try handle(message, &parser, &app) }
        } catch {
            return 0            // the session closes the connection here
        }
    }
    return 0
}

private func handle(_ m: RtmpMessage, _ parser: inout RtmpChunkParser, _ app: inout String) throws {
    switch m.type {
    case RtmpMessage.setChunkSize where m.payload.count >= 4:
        let size = Int(m.payload[0] & 0x7F) << 24 | Int(m.payload[1]) << 16 | Int(m.payload[2]) << 8 | Int(m.payload[3])
        try parser.setChunkSize(size)
    case RtmpMessage.windowAckSize:
        var ack = RtmpAcknowledger()
        ack.setWindow(m.payload)
        _ = ack.due(parser.bytesConsumed)
    case RtmpMessage.commandAMF0, RtmpMessage.commandAMF3, RtmpMessage.dataAMF0, RtmpMessage.dataAMF3:
        // AMF3 command messages start with a format byte before the AMF0 values.
        let body = m.type == RtmpMessage.commandAMF3 || m.type == RtmpMessage.dataAMF3 ? m.payload.dropFirst() : m.payload[...]
        var decoder = AMFDecoder(body)
        let values = try decoder.decodeAll()
        guard case .string(let name)? = values.first else { return }
        let strings = values.compactMap(\.string)
        if name == "connect" { app = strings.dropFirst().first ?? app }
        if name == "publish" || name == "play", let stream = strings.dropFirst().first {
            _ = RtmpStreamName(app: app, name: stream)
        }
    case RtmpMessage.audio: _ = try? FlvAudioTag.parse(m.payload[...])
    case RtmpMessage.video: _ = try? FlvVideoTag.parse(m.payload[...])
    case RtmpMessage.aggregate: _ = FlvFraming.parseTags(m.payload[...], maxTagSize: 1 << 20)
    default: break
    }
}
