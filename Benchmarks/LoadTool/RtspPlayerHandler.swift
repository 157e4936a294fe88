import NIOCore

/// An RTSP/TCP player: DESCRIBE, SETUP of every track with interleaved channels, PLAY; then counts the
/// bytes and spots the first video packet. Responses are read as text only until PLAY is answered, so the
/// client costs little while it measures.
final class RtspPlayerHandler: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private enum Step { case describe, setup(Int), play, playing }

    let target: Target
    let stats: PlayerStats
    let started: NIODeadline
    private var step = Step.describe
    private var pending = [UInt8]()
    private var cseq = 0
    private var session: String?
    private var controls: [(control: String, video: Bool)] = []
    private var base: String

    init(target: Target, stats: PlayerStats, started: NIODeadline) {
        self.target = target
        self.stats = stats
        self.started = started
        self.base = "rtsp://\(target.host):\(target.port)\(target.path)"
    }

    private func request(_ context: ChannelHandlerContext, _ method: String, _ url: String, _ headers: [String] = []) {
        cseq += 1
        var text = "\(method) \(url) RTSP/1.0\r\nCSeq: \(cseq)\r\nUser-Agent: mediarouter-bench\r\n"
        if let session { text += "Session: \(session)\r\n" }
        for h in headers { text += h + "\r\n" }
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(string: text + "\r\n")), promise: nil)
    }

    func channelActive(context: ChannelHandlerContext) {
        request(context, "DESCRIBE", base, ["Accept: application/sdp"])
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buf = unwrapInboundIn(data)
        stats.bytes.add(buf.readableBytes)
        if case .playing = step {
            if stats.firstFrameMs.load() == nil, let bytes = buf.readBytes(length: buf.readableBytes) { scanForVideo(bytes[...]) }
            return
        }
        pending += buf.readBytes(length: buf.readableBytes) ?? []
        while let (status, headers, body, rest) = nextResponse() {
            pending = Array(rest)
            guard status == 200 else { return fail(context) }
            if let s = headers["session"] { session = String(s.split(separator: ";").first ?? "") }
            advance(context, body: body)
            if case .playing = step {
                scanForVideo(pending[...])
                pending = []
                return
            }
        }
    }

    private func advance(_ context: ChannelHandlerContext, body: String) {
        switch step {
        case .describe:
            var video = false
            for line in body.split(whereSeparator: \.isNewline) {
                if line.hasPrefix("m=") { video = line.hasPrefix("m=video") }
                if line.hasPrefix("a=control:"), !line.hasSuffix("*") { controls.append((String(line.dropFirst(10)), video)) }
            }
            guard !controls.isEmpty else { return fail(context) }
            if !base.hasSuffix("/") { base += "/" }
            setup(context, 0)
        case .setup(let i):
            if i + 1 < controls.count { setup(context, i + 1) } else {
                step = .play
                request(context, "PLAY", base, ["Range: npt=0.000-"])
            }
        case .play:
            step = .playing
        case .playing:
            break
        }
    }

    private func setup(_ context: ChannelHandlerContext, _ i: Int) {
        step = .setup(i)
        let c = controls[i].control
        request(context, "SETUP", c.hasPrefix("rtsp://") ? c : base + c,
                ["Transport: RTP/AVP/TCP;unicast;interleaved=\(2 * i)-\(2 * i + 1)"])
    }

    /// One complete response at the front of `pending`: status, lowercased headers, body, the bytes after.
    private func nextResponse() -> (Int, [String: String], String, ArraySlice<UInt8>)? {
        guard let end = pending.firstRange(of: [13, 10, 13, 10]) else { return nil }
        let head = String(decoding: pending[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        guard pending.count - end.upperBound >= length else { return nil }
        let status = Int(head.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        let body = String(decoding: pending[end.upperBound..<(end.upperBound + length)], as: UTF8.self)
        return (status, headers, body, pending[(end.upperBound + length)...])
    }

    /// The first interleaved packet on a video track's RTP channel marks the first frame.
    private func scanForVideo(_ bytes: ArraySlice<UInt8>) {
        guard bytes.count >= 2, bytes.first == 0x24 else { return }
        let channel = Int(bytes[bytes.startIndex + 1])
        if channel % 2 == 0, channel / 2 < controls.count, controls[channel / 2].video {
            stats.firstFrameMs.storeIfNil(Int((NIODeadline.now() - started).nanoseconds / 1_000_000))
        }
    }

    private func fail(_ context: ChannelHandlerContext) {
        stats.failed.store(true)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) { stats.failed.store(true) }
    func errorCaught(context: ChannelHandlerContext, error: Error) { stats.failed.store(true); context.close(promise: nil) }
}
