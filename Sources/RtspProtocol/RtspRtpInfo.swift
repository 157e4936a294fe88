/// One entry of the RTP-Info header (RFC 2326 12.33): where each track's RTP sequence and timestamp start,
/// so a player can map the first packets to the PLAY range.
public struct RtspRtpInfo: Sendable, Equatable {
    public var url: String
    public var seq: UInt16?
    public var rtptime: UInt32?

    public init(url: String, seq: UInt16? = nil, rtptime: UInt32? = nil) {
        self.url = url
        self.seq = seq
        self.rtptime = rtptime
    }

    /// Entries with a url; a comma that does not start a new `url=` is taken as part of the previous URL.
    public static func parseList(_ value: String) -> [RtspRtpInfo] {
        var specs: [String] = []
        for piece in value.prefix(8192).split(separator: ",") {
            let t = piece.trimmingSpaces()
            if String(t.prefix(4)).asciiLowercased() == "url=" || specs.isEmpty {
                specs.append(String(t))
            } else {
                specs[specs.count - 1] += "," + t
            }
        }
        return specs.compactMap { spec in
            var info = RtspRtpInfo(url: "")
            var hasURL = false
            for field in spec.split(separator: ";") {
                let kv = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard kv.count == 2 else { continue }
                let value = kv[1].trimmingSpaces()
                switch String(kv[0].trimmingSpaces()).asciiLowercased() {
                case "url": info.url = String(unquote(value)); hasURL = true
                case "seq": info.seq = parseBoundedInt(value, max: 65535).map { UInt16($0) }
                case "rtptime": info.rtptime = parseBoundedInt(value, max: Int(UInt32.max)).map { UInt32($0) }
                default: continue
                }
            }
            return hasURL ? info : nil
        }
    }

    public func format() -> String {
        var s = "url=\(url)"
        if let seq { s += ";seq=\(seq)" }
        if let rtptime { s += ";rtptime=\(rtptime)" }
        return s
    }

    public static func formatList(_ list: [RtspRtpInfo]) -> String {
        list.map { $0.format() }.joined(separator: ",")
    }
}
