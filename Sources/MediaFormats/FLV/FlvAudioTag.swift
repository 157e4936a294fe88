/// Audio tag bodies (FLV spec E.4.2): AAC (10), G.711 A-law (7) and mu-law (8), MP3 (2), and Opus as
/// ZLMediaKit carries it (13, with an AAC-style packet type byte).
public enum FlvAudioTag {
    public enum Packet: Equatable {
        case config(Codec, ArraySlice<UInt8>)
        case frame(Codec, channels: Int, sampleRate: Int, data: ArraySlice<UInt8>)
        case ignored(String)
    }

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { "FLV audio: \(message)" }
    }

    static let rates = [5512, 11025, 22050, 44100]

    public static func parse(_ body: ArraySlice<UInt8>) throws(ParseError) -> Packet {
        var r = ByteReader(body)
        guard let b0 = r.u8() else { throw ParseError(message: "empty body") }
        let format = b0 >> 4
        let channels = Int(b0 & 1) + 1
        let rate = rates[Int((b0 >> 2) & 3)]
        switch format {
        case 10, 13:
            let codec: Codec = format == 10 ? .aac : .opus
            guard let packetType = r.u8() else { throw ParseError(message: "truncated packet type") }
            if packetType == 0 { return .config(codec, r.rest()) }
            return .frame(codec, channels: channels, sampleRate: codec == .opus ? 48000 : rate, data: r.rest())
        case 7: return .frame(.pcma, channels: channels, sampleRate: 8000, data: r.rest())
        case 8: return .frame(.pcmu, channels: channels, sampleRate: 8000, data: r.rest())
        case 2: return .frame(.mp3, channels: channels, sampleRate: rate, data: r.rest())
        default: return .ignored("sound format \(format)")
        }
    }

    /// The first byte(s) of an audio body for `codec`; `config` selects the configuration packet.
    public static func prefix(_ codec: Codec, channels: Int, config: Bool) -> [UInt8] {
        let stereo: UInt8 = channels > 1 ? 1 : 0
        switch codec {
        case .aac: return [0xAF, config ? 0 : 1]
        case .opus: return [0xDE | stereo, config ? 0 : 1]
        case .pcma: return [0x72 | stereo]
        case .pcmu: return [0x82 | stereo]
        default: return [0x2E | stereo]
        }
    }
}
