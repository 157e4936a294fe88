import MediaFormats

/// The StreamMuxConfig of MP4A-LATM (ISO/IEC 14496-3 1.7.3), as carried hex-encoded in the SDP `config=` parameter
/// when cpresent=0. Only what RTP senders use is accepted: audioMuxVersion 0, one program with one layer,
/// all streams on the same time framing, frameLengthType 0 (byte-counted payloads).
public struct LatmStreamMuxConfig: Sendable, Equatable {
    public var audioSpecificConfig: AudioSpecificConfig
    /// AAC frames per AudioMuxElement (numSubFrames + 1).
    public var subFrames: Int
    /// The element ends with other data after its payloads, which is skipped.
    public var otherDataPresent: Bool

    public init?(_ bytes: [UInt8]) {
        var r = BitReader(bytes)
        guard r.bit() == 0,                                    // audioMuxVersion
              r.bit() == 1,                                    // allStreamsSameTimeFraming
              let subFrames = r.bits(6),
              r.bits(4) == 0,                                  // numProgram - 1
              r.bits(3) == 0                                   // numLayer - 1
        else { return nil }
        let ascStart = r.position
        guard Self.skipAudioSpecificConfig(&r),
              let asc = AudioSpecificConfig(Self.copyBits(bytes, from: ascStart, to: r.position)[...]),
              r.bits(3) == 0                                   // frameLengthType
        else { return nil }
        // GStreamer's rtpmp4apay cuts the config off after the AudioSpecificConfig's SBR signalling, before
        // latmBufferFullness: what is missing at the end is read as its neutral value.
        guard r.bitsLeft >= 9 else {
            self.audioSpecificConfig = asc
            self.subFrames = Int(subFrames) + 1
            self.otherDataPresent = false
            return
        }
        guard r.skip(8),                                       // latmBufferFullness
              let otherData = r.bit()
        else { return nil }
        if otherData == 1 {
            // otherDataLenBits: 8-bit groups, each preceded by an escape bit (audioMuxVersion 0).
            var escape: UInt32 = 1
            for _ in 0..<4 where escape == 1 {
                guard let e = r.bit(), r.skip(8) else { return nil }
                escape = e
            }
            guard escape == 0 else { return nil }
        }
        if let crc = r.bit(), crc == 1 { guard r.skip(8) else { return nil } }
        self.audioSpecificConfig = asc
        self.subFrames = Int(subFrames) + 1
        self.otherDataPresent = otherData == 1
    }

    /// Walks an AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1) to find where it ends: LATM does not say how long
    /// it is. General-audio object types with a channel configuration only (no program_config_element).
    private static func skipAudioSpecificConfig(_ r: inout BitReader) -> Bool {
        guard var type = objectType(&r), skipSamplingFrequency(&r), let channels = r.bits(4) else { return false }
        if type == 5 || type == 29 {
            // Explicit SBR/PS signalling: the extension rate, then the underlying object type.
            guard skipSamplingFrequency(&r), let core = objectType(&r) else { return false }
            type = core
            if type == 22 { guard r.skip(4) else { return false } }
        }
        guard [1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 22, 23].contains(type), channels != 0 else { return false }
        guard r.skip(1), let dependsOnCore = r.bit() else { return false }   // frameLengthFlag
        if dependsOnCore == 1 { guard r.skip(14) else { return false } }    // coreCoderDelay
        guard let extensionFlag = r.bit() else { return false }
        if type == 6 || type == 20 { guard r.skip(3) else { return false } } // layerNr
        if extensionFlag == 1 {
            if type == 22 { guard r.skip(16) else { return false } }         // numOfSubFrame, layer_length
            if [17, 19, 20, 23].contains(type) { guard r.skip(3) else { return false } } // resilience flags
            guard r.skip(1) else { return false }                           // extensionFlag3
        }
        if [17, 19, 20, 21, 22, 23].contains(type) {
            // epConfig 2 and 3 add an ErrorProtectionSpecificConfig, which no RTP sender uses.
            guard let ep = r.bits(2), ep < 2 else { return false }
        }
        // Backward-compatible SBR signalling (syncExtensionType 0x2B7), which FFmpeg's AAC encoder (and
        // GStreamer's avenc_aac) always append: LATM gives no length, so it is recognised by its sync word.
        var peek = r
        if peek.bits(11) == 0x2B7, let ext = peek.bits(5) {
            if ext == 5 {
                guard let sbr = peek.bit() else { return false }
                if sbr == 1 { guard skipSamplingFrequency(&peek) else { return false } }
            }
            r = peek
        }
        return true
    }

    private static func objectType(_ r: inout BitReader) -> UInt32? {
        guard let t = r.bits(5) else { return nil }
        guard t == 31 else { return t }
        return r.bits(6).map { 32 + $0 }
    }

    private static func skipSamplingFrequency(_ r: inout BitReader) -> Bool {
        guard let index = r.bits(4) else { return false }
        return index != 15 || r.skip(24)
    }

    /// Bits [from, to) of `bytes`, left-aligned into bytes with zero padding.
    private static func copyBits(_ bytes: [UInt8], from: Int, to: Int) -> [UInt8] {
        var r = BitReader(bytes)
        guard r.skip(from) else { return [] }
        var out: [UInt8] = []
        var left = to - from
        while left > 0 {
            let n = min(8, left)
            guard let v = r.bits(n) else { break }
            out.append(UInt8(truncatingIfNeeded: v << UInt32(8 - n)))
            left -= n
        }
        return out
    }
}
