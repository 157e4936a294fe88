/// MPEG-4 AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1): the AAC extradata FLV and MP4 carry.
public struct AudioSpecificConfig: Equatable, Sendable {
    public static let sampleRates = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350]

    public let objectType: Int
    public let sampleRate: Int
    public let channels: Int
    /// The original bytes (extensions such as SBR signalling are kept as sent).
    public let bytes: [UInt8]

    public init?(_ data: ArraySlice<UInt8>) {
        var r = BitReader(Array(data))
        guard var type = r.bits(5) else { return nil }
        if type == 31 { guard let ext = r.bits(6) else { return nil }; type = 32 + ext }
        guard let index = r.bits(4) else { return nil }
        let rate: Int
        if index == 15 {
            guard let explicit = r.bits(24) else { return nil }
            rate = Int(explicit)
        } else {
            guard Int(index) < Self.sampleRates.count else { return nil }
            rate = Self.sampleRates[Int(index)]
        }
        guard let channels = r.bits(4), rate > 0 else { return nil }
        self.objectType = Int(type)
        self.sampleRate = rate
        self.channels = Int(channels)
        self.bytes = Array(data)
    }

    /// A two-byte config for the common case.
    public init?(objectType: Int, sampleRate: Int, channels: Int) {
        guard let index = Self.sampleRates.firstIndex(of: sampleRate), (1...30).contains(objectType), (0...15).contains(channels) else { return nil }
        let v = UInt16(objectType) << 11 | UInt16(index) << 7 | UInt16(channels) << 3
        self.init([UInt8(v >> 8), UInt8(v & 0xFF)][...])
    }

    /// A 7-byte ADTS header for one frame of `payloadLength` bytes (ISO/IEC 13818-7 6.2.1).
    public func adtsHeader(payloadLength: Int) -> [UInt8] {
        let index = Self.sampleRates.firstIndex(of: sampleRate) ?? 4
        let profile = max(0, min(objectType - 1, 3))
        let len = payloadLength + 7
        return [0xFF, 0xF1,
                UInt8(profile << 6 | index << 2 | (channels >> 2) & 1),
                UInt8((channels & 3) << 6 | (len >> 11) & 3),
                UInt8((len >> 3) & 0xFF),
                UInt8((len & 7) << 5 | 0x1F),
                0xFC]
    }
}
