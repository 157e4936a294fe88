import RtspProtocol

/// An RTSP connection's bytes as the server and the pull client read them: either straight into the stream
/// parser (messages and `$` interleaved frames), or, when they start like HTTP, as a tunnel head whose body is
/// base64 decoded and then parsed. Every header the plugin interprets goes through its parser: Transport,
/// Session, Range, RTP-Info, Authorization (verified against a fixed user), WWW-Authenticate (answered as the
/// client would), the request URL, and a body as SDP.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRtspMessage(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if RtspTunnelRequest.looksLikeHTTP(bytes[...]) {
        guard let head = try? RtspTunnelRequest.parse(bytes) else { return 0 }
        var decoder = RtspTunnelDecoder()
        guard let decoded = head.rest.withUnsafeBytes({ decoder.decode($0) }) else { return 0 }
        bytes = decoded
    }
    var parser = RtspStreamParser(maxHeaderBytes: 4096, maxBodyBytes: 16384, maxInterleavedBytes: 4096)
    // Two reads, so a message cut across reads is exercised; the cut is taken from the input's length.
    let cut = bytes.count / 2 + bytes.count % 7
    for piece in [bytes[..<min(cut, bytes.count)], bytes[min(cut, bytes.count)...]] {
        parser.append(piece)
        while true {
            guard let input = try? parser.next() else { return 0 }
            guard case .message(let m) = input else { continue }
            inspect(m)
        }
    }
    return 0
}

private func inspect(_ m: RtspMessage) {
    _ = m.cseq
    if let transport = m.header("Transport") {
        for t in RtspTransport.parseList(transport) { _ = RtspTransport.formatList([t]) }
    }
    if let session = m.header("Session") { _ = RtspSessionHeader(parsing: session)?.format() }
    if let range = m.header("Range") { _ = RtspRange(parsing: range)?.format() }
    if let info = m.header("RTP-Info") { _ = RtspRtpInfo.formatList(RtspRtpInfo.parseList(info)) }
    if let value = m.header("Authorization"), let auth = RtspAuthorization(header: value) {
        _ = auth.verify(username: "user", password: "secret", method: m.method ?? "OPTIONS", realm: "MediaRouter", nonce: "abc")
    }
    let challenges = m.headerValues("WWW-Authenticate")
    if !challenges.isEmpty {
        var client = RtspClientAuthenticator(username: "user", password: "secret")
        if client.handle(challenges: challenges) { _ = client.authorization(method: "DESCRIBE", uri: m.uri ?? "rtsp://h/a/b") }
    }
    if let uri = m.uri, let url = RtspURL(uri) {
        _ = url.appAndStream(dropTrackControl: true)
        _ = RtspURL.resolve(control: "trackID=1", base: uri)
    }
    if !m.body.isEmpty { _ = try? SessionDescription(parsing: m.body) }
    _ = m.serialize()
}
