/// FLV file and tag framing (Adobe FLV specification v10.1, E.2-E.4).
public enum FlvTagType: UInt8, Sendable {
    case audio = 8
    case video = 9
    case script = 18
}

public enum FlvFraming {
    /// "FLV", version 1, flags (audio 0x04, video 0x01), header size 9, then PreviousTagSize0.
    public static func fileHeader(audio: Bool, video: Bool) -> [UInt8] {
        [0x46, 0x4C, 0x56, 0x01, (audio ? 0x04 : 0) | (video ? 0x01 : 0), 0, 0, 0, 9, 0, 0, 0, 0]
    }

    /// The 11-byte tag header. `timestampMs` wraps into the extended byte as the spec says.
    public static func tagHeader(type: FlvTagType, dataSize: Int, timestampMs: UInt32) -> [UInt8] {
        [type.rawValue,
         UInt8((dataSize >> 16) & 0xFF), UInt8((dataSize >> 8) & 0xFF), UInt8(dataSize & 0xFF),
         UInt8((timestampMs >> 16) & 0xFF), UInt8((timestampMs >> 8) & 0xFF), UInt8(timestampMs & 0xFF),
         UInt8((timestampMs >> 24) & 0xFF),
         0, 0, 0]
    }

    /// A whole tag: header, body, PreviousTagSize.
    public static func tag(type: FlvTagType, timestampMs: UInt32, body: ArraySlice<UInt8>) -> [UInt8] {
        var out = tagHeader(type: type, dataSize: body.count, timestampMs: timestampMs)
        out.reserveCapacity(11 + body.count + 4)
        out.append(contentsOf: body)
        let total = UInt32(11 + body.count)
        out.append(contentsOf: [UInt8(total >> 24), UInt8((total >> 16) & 0xFF), UInt8((total >> 8) & 0xFF), UInt8(total & 0xFF)])
        return out
    }

    public struct ParsedTag: Equatable {
        public let type: UInt8
        public let timestampMs: UInt32
        public let body: ArraySlice<UInt8>
    }

    /// Reads tags from an FLV byte stream after the file header; stops at the first incomplete tag.
    /// Returns the tags and how many bytes they used.
    public static func parseTags(_ data: ArraySlice<UInt8>, maxTagSize: Int = 16 << 20) -> (tags: [ParsedTag], consumed: Int)? {
        var tags: [ParsedTag] = []
        var i = data.startIndex
        while data.endIndex - i >= 15 {
            let size = Int(data[i + 1]) << 16 | Int(data[i + 2]) << 8 | Int(data[i + 3])
            guard size <= maxTagSize else { return nil }
            guard data.endIndex - i >= 11 + size + 4 else { break }
            let ts = UInt32(data[i + 4]) << 16 | UInt32(data[i + 5]) << 8 | UInt32(data[i + 6]) | UInt32(data[i + 7]) << 24
            tags.append(ParsedTag(type: data[i] & 0x1F, timestampMs: ts, body: data[(i + 11)..<(i + 11 + size)]))
            i += 11 + size + 4
        }
        return (tags, i - data.startIndex)
    }
}
