/// Builds the answer to a WHIP/WHEP offer (RFC 8829 5.3 as an ICE-lite, max-bundle, rtcp-mux-only server).
public enum SdpAnswerBuilder {
    public static func answer(_ offer: SdpSession, options: SdpAnswerOptions) throws(SdpError) -> SdpAnswer {
        guard let first = offer.media.first(where: { $0.port != 0 }) ?? offer.media.first else { throw .missing("a media section") }
        guard let ufrag = offer.iceUfrag(of: first), let pwd = offer.icePassword(of: first) else { throw .missing("a=ice-ufrag and a=ice-pwd") }
        let fingerprints = offer.fingerprints(of: first)
        guard let fingerprint = fingerprints.first(where: { $0.hashFunction == "sha-256" }) ?? fingerprints.first else {
            throw .missing("a=fingerprint")
        }
        // RFC 8842 5.3: actpass or active makes us the DTLS server; passive makes us the client.
        let setup = offer.setup(of: first) ?? .actpass
        guard setup != .holdconn else { throw .unsupported("a=setup:holdconn") }
        let dtlsClient = setup == .passive
        let bundle = Set(offer.bundleMids ?? [])

        var notes: [String] = []
        var accepted: [NegotiatedMedia] = []
        var sections: [String] = []
        for (index, m) in offer.media.enumerated() {
            let mid = m.mid ?? String(index)
            switch negotiate(m, mid: mid, options: options) {
            case .success(let n):
                guard m.rtcpMux else { throw .unsupported("media \(mid) without a=rtcp-mux") }
                guard offer.media.count == 1 || bundle.contains(mid) else { throw .unsupported("media \(mid) outside the BUNDLE group") }
                accepted.append(n)
                sections.append(section(for: n, offered: m, setup: dtlsClient ? .active : .passive, options: options))
            case .failure(let reason):
                notes.append("\(m.kind) (mid \(mid)): \(reason)")
                sections.append(rejected(m, mid: mid, setup: dtlsClient ? .active : .passive, options: options))
            }
        }
        guard !accepted.isEmpty else { throw .unsupported("no usable codec: " + notes.joined(separator: "; ")) }

        let origin = options.candidates.first.map { $0.ip.isIPv4 ? "IN IP4 \($0.ip)" : "IN IP6 \($0.ip)" } ?? "IN IP4 127.0.0.1"
        var head = ["v=0", "o=- \(options.sessionId) 2 \(origin)", "s=-", "t=0 0", "a=ice-lite"]
        head.append("a=group:BUNDLE " + accepted.map(\.mid).joined(separator: " "))
        if offer.extmapAllowMixed { head.append("a=extmap-allow-mixed") }
        head.append("a=msid-semantic: WMS" + (options.role == .send ? " \(options.streamId)" : ""))
        let sdp = (head + sections).joined(separator: "\r\n") + "\r\n"
        return SdpAnswer(sdp: sdp, media: accepted, remoteCredentials: IceCredentials(ufrag: ufrag, password: pwd),
                         remoteFingerprint: fingerprint, dtlsClient: dtlsClient, notes: notes)
    }

    private enum Outcome { case success(NegotiatedMedia), failure(String) }

    private static func negotiate(_ m: SdpMediaDescription, mid: String, options: SdpAnswerOptions) -> Outcome {
        guard m.port != 0 else { return .failure("rejected by the offerer") }
        guard m.proto.hasPrefix("UDP/TLS/RTP/SAVP") else { return .failure("transport \(m.proto) is not supported") }
        let preferences: [SdpCodecPreference]
        switch m.kind {
        case "video": preferences = options.videoCodecs
        case "audio": preferences = options.audioCodecs
        default: return .failure("\(m.kind) media is not supported")
        }
        let direction = m.direction.answer(send: options.role == .send, receive: options.role == .receive)
        guard direction != .inactive else { return .failure("offered \(m.direction.rawValue), the server only \(options.role == .send ? "sends" : "receives")") }
        guard let (pt, codec) = SdpCodecSelection.select(m, preferences: preferences) else {
            let offered = Set(m.payloadTypes.compactMap { SdpCodecSelection.rtpMap(m, $0)?.encoding }).sorted()
            let wanted = preferences.map(\.encoding)
            return .failure("no codec in common (offered \(offered.joined(separator: ",")); accepted \(wanted.isEmpty ? "none" : wanted.joined(separator: ",")))")
        }
        let rtxPt = options.rtx && m.kind == "video" ? SdpCodecSelection.rtx(m, for: pt) : nil
        let feedback = options.feedback.filter { m.feedback(for: pt).contains($0) }
        let extmaps = m.extmaps.filter { options.headerExtensions.contains($0.uri) }.map { SdpExtmap(id: $0.id, uri: $0.uri) }
        let ssrcs = m.sendSsrcs
        let local = options.role == .send ? options.sendSsrcs[m.kind] : nil
        return .success(NegotiatedMedia(
            mid: mid, kind: m.kind, payloadType: pt, codec: codec, formatParameters: m.formatParameters[pt], rtxPayloadType: rtxPt,
            feedback: feedback, extmaps: extmaps, direction: direction, remoteSsrcs: ssrcs.map(\.primary),
            remoteRtxSsrcs: ssrcs.compactMap(\.rtx), localSsrc: local?.primary, localRtxSsrc: rtxPt == nil ? nil : local?.rtx))
    }

    private static func section(for n: NegotiatedMedia, offered m: SdpMediaDescription, setup: SdpSetup, options: SdpAnswerOptions) -> String {
        let port = options.candidates.first?.port ?? 9
        let ip = options.candidates.first?.ip
        let formats = [n.payloadType] + (n.rtxPayloadType.map { [$0] } ?? [])
        var lines = ["m=\(n.kind) \(port) \(m.proto) " + formats.map(String.init).joined(separator: " ")]
        lines.append(ip.map { $0.isIPv4 ? "c=IN IP4 \($0)" : "c=IN IP6 \($0)" } ?? "c=IN IP4 0.0.0.0")
        lines += ["a=ice-ufrag:\(options.credentials.ufrag)", "a=ice-pwd:\(options.credentials.password)",
                  "a=fingerprint:\(options.fingerprint.attributeValue)", "a=setup:\(setup.rawValue)", "a=mid:\(n.mid)",
                  "a=\(n.direction.rawValue)", "a=rtcp-mux"]
        if m.rtcpReducedSize { lines.append("a=rtcp-rsize") }
        lines += n.extmaps.map { "a=extmap:\($0.id) \($0.uri)" }
        lines.append("a=rtpmap:\(n.payloadType) \(n.codec.attributeValue)")
        if let f = n.formatParameters { lines.append("a=fmtp:\(n.payloadType) \(f)") }
        lines += n.feedback.map { "a=rtcp-fb:\(n.payloadType) \($0)" }
        if let r = n.rtxPayloadType {
            lines += ["a=rtpmap:\(r) rtx/\(n.codec.clockRate)", "a=fmtp:\(r) apt=\(n.payloadType)"]
        }
        if options.role == .send, let ssrc = n.localSsrc {
            let track = "\(options.streamId)-\(n.kind)"
            lines.append("a=msid:\(options.streamId) \(track)")
            var all = [ssrc]
            if let rtx = n.localRtxSsrc {
                lines.append("a=ssrc-group:FID \(ssrc) \(rtx)")
                all.append(rtx)
            }
            for s in all { lines += ["a=ssrc:\(s) cname:\(options.cname)", "a=ssrc:\(s) msid:\(options.streamId) \(track)"] }
        }
        for (i, c) in options.candidates.enumerated() {
            // RFC 8445 5.1.2.1 with host type preference 126 and the list order as local preference.
            let priority = (UInt32(126) << 24) | (UInt32(65_535 - i) << 8) | 255
            lines.append("a=candidate:\(i + 1) 1 udp \(priority) \(c.ip) \(c.port) typ host")
        }
        lines.append("a=end-of-candidates")
        return lines.joined(separator: "\r\n")
    }

    /// RFC 3264 6: a refused stream keeps its place with port 0. It still carries the transport attributes:
    /// aiortc (and JSEP, RFC 8829 5.3.1) expects ICE credentials, a DTLS role and rtcp-mux in every section.
    private static func rejected(_ m: SdpMediaDescription, mid: String, setup: SdpSetup, options: SdpAnswerOptions) -> String {
        var lines = ["m=\(m.kind) 0 \(m.proto) \(m.formats.first ?? "0")", "c=IN IP4 0.0.0.0",
                     "a=ice-ufrag:\(options.credentials.ufrag)", "a=ice-pwd:\(options.credentials.password)",
                     "a=fingerprint:\(options.fingerprint.attributeValue)", "a=setup:\(setup.rawValue)", "a=mid:\(mid)", "a=inactive"]
        if m.rtcpMux { lines.append("a=rtcp-mux") }
        return lines.joined(separator: "\r\n")
    }
}
