/// Collects one m= section's lines and turns them into an `SdpTrack`.
struct SdpMediaBuilder {
    static let maxClockRate = 200_000
    static let maxChannels = 8
    static let maxFmtpParameters = 64

    let mediaType: String
    let proto: String
    /// The first format of the m= line: the one a sender uses, and the only one RTSP sessions carry in practice.
    let payloadType: UInt8
    let isRtp: Bool
    var control: String?
    var rtpmap: (name: String, clockRate: Int, channels: Int?)?
    var fmtp: [String: String] = [:]

    init(mediaLine: Substring) throws(SdpError) {
        let fields = mediaLine.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 4 else { throw SdpError("m= line needs media, port, proto and a format") }
        mediaType = String(fields[0]).asciiLowercased()
        let portParts = fields[1].split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parseBoundedInt(portParts[0], max: 65535) != nil else { throw SdpError("bad port \(fields[1].prefix(16))") }
        if portParts.count == 2 { guard parseBoundedInt(portParts[1], max: 65535) != nil else { throw SdpError("bad port count") } }
        proto = String(fields[2]).asciiUppercased()
        isRtp = proto.hasPrefix("RTP/")
        if isRtp {
            for f in fields.dropFirst(3) {
                guard parseBoundedInt(f, max: 127) != nil else { throw SdpError("payload type \(f.prefix(16)) is not 0...127") }
            }
            payloadType = UInt8(parseBoundedInt(fields[3], max: 127) ?? 0)
        } else {
            payloadType = 0
        }
    }

    mutating func attribute(_ value: Substring) throws(SdpError) {
        let (name, content) = splitAttribute(value)
        guard let content else { return }
        switch name {
        case "control":
            control = String(content)
        case "rtpmap":
            guard isRtp, let (pt, rest) = Self.payloadPrefix(content), pt == payloadType else { return }
            rtpmap = try Self.parseRtpmap(rest)
        case "fmtp":
            guard isRtp, let (pt, rest) = Self.payloadPrefix(content), pt == payloadType else { return }
            for parameter in rest.split(separator: ";") {
                let kv = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = String(kv[0].trimmingSpaces()).asciiLowercased()
                guard !key.isEmpty else { continue }
                guard fmtp.count < Self.maxFmtpParameters else { throw SdpError("too many fmtp parameters") }
                fmtp[key] = kv.count == 2 ? String(kv[1].trimmingSpaces()) : ""
            }
        default:
            break
        }
    }

    /// "96 H264/90000" → (96, "H264/90000"); nil when the payload type is not a number (then it is not ours).
    private static func payloadPrefix(_ s: Substring) -> (UInt8, Substring)? {
        let parts = s.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, let pt = parseBoundedInt(parts[0], max: 255) else { return nil }
        return (UInt8(pt), parts[1].trimmingSpaces())
    }

    private static func parseRtpmap(_ s: Substring) throws(SdpError) -> (name: String, clockRate: Int, channels: Int?) {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, !parts[0].isEmpty, parts[0].utf8.count <= 64 else { throw SdpError("bad rtpmap \(s.prefix(40))") }
        guard let rate = parseBoundedInt(parts[1].trimmingSpaces(), max: maxClockRate), rate > 0 else {
            throw SdpError("clock rate \(parts[1].prefix(16)) is not 1...\(maxClockRate)")
        }
        var channels: Int?
        if parts.count == 3 {
            guard let c = parseBoundedInt(parts[2].trimmingSpaces(), max: maxChannels), c > 0 else {
                throw SdpError("channel count \(parts[2].prefix(16)) is not 1...\(maxChannels)")
            }
            channels = c
        }
        return (String(parts[0]).asciiUppercased(), rate, channels)
    }

    func build() -> SdpTrack {
        let fallback = rtpmap == nil && isRtp ? SdpCodecMapping.staticPayload(payloadType) : nil
        let name = rtpmap?.name ?? fallback?.name ?? ""
        let clockRate = rtpmap?.clockRate ?? fallback?.clockRate ?? 0
        let codec = SdpCodecMapping.codec(encoding: name, mediaType: mediaType, fmtp: fmtp)
        let configs: (config: [UInt8], latm: [UInt8]?) = codec.map { SdpCodecMapping.config(codec: $0, encoding: name, fmtp: fmtp) } ?? ([], nil)
        let channels = mediaType == "audio" ? (rtpmap?.channels ?? fallback?.channels ?? 1) : 0
        return SdpTrack(codec: codec, mediaType: mediaType, payloadType: payloadType, clockRate: clockRate, channels: channels,
                        control: control, config: configs.config, latmConfig: configs.latm, fmtp: fmtp,
                        encodingName: name, proto: proto)
    }
}
