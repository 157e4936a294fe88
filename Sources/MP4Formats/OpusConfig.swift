/// What the 'Opus' sample entry's dOps box needs ("Encapsulation of Opus in ISO Base Media File Format",
/// opus-codec.org, 4.3.2). Sources hand us an OpusHead (RFC 7845 5.1, little-endian, from FLV/Matroska), a
/// dOps payload already, or nothing at all (RTP/WebRTC carry no header).
struct OpusConfig: Equatable, Sendable {
    var channels: Int
    var preSkip: UInt16
    var inputSampleRate: UInt32
    var outputGain: Int16
    var mappingFamily: UInt8
    var streamCount: UInt8
    var coupledCount: UInt8
    var mapping: [UInt8]

    /// libopus's Vorbis-order layouts (opus_multistream_encoder.c) for a surround stream announced by channel
    /// count alone: (streams, coupled, mapping).
    private static let vorbisLayouts: [(UInt8, UInt8, [UInt8])] = [
        (1, 0, [0]), (1, 1, [0, 1]), (2, 1, [0, 2, 1]), (2, 2, [0, 1, 2, 3]), (3, 2, [0, 4, 1, 2, 3]),
        (4, 2, [0, 4, 1, 2, 3, 5]), (4, 3, [0, 4, 1, 2, 3, 5, 6]), (5, 3, [0, 6, 1, 2, 3, 4, 5, 7]),
    ]

    /// Nil for a header we cannot read: a wrong dOps makes the browser reject the whole init segment, so a
    /// track with a broken header is better dropped than guessed.
    init?(config: [UInt8], channels: Int) {
        if config.isEmpty {
            // Pre-skip is unknown for a headerless stream; 0 keeps every sample, which for a live stream joined
            // mid-way is what the player wants anyway.
            let n = channels > 0 ? channels : 2
            guard (1...8).contains(n) else { return nil }
            let layout = Self.vorbisLayouts[n - 1]
            self.init(channels: n, preSkip: 0, inputSampleRate: 48000, outputGain: 0, mappingFamily: n > 2 ? 1 : 0,
                      streamCount: layout.0, coupledCount: layout.1, mapping: layout.2)
            return
        }
        let head = Array("OpusHead".utf8)
        let littleEndian: Bool
        let body: ArraySlice<UInt8>
        if config.count >= 19, Array(config.prefix(8)) == head {
            guard config[8] & 0xF0 == 0 else { return nil }   // RFC 7845: a new major version is incompatible
            littleEndian = true
            body = config[9...]
        } else if config.count >= 11, config[0] == 0 {
            littleEndian = false
            body = config[1...]
        } else {
            return nil
        }
        func u16(_ at: Int) -> UInt16 {
            let a = UInt16(body[body.startIndex + at]), b = UInt16(body[body.startIndex + at + 1])
            return littleEndian ? a | b << 8 : a << 8 | b
        }
        let n = Int(body[body.startIndex])
        let family = body[body.startIndex + 9]
        let first = u16(3), second = u16(5)   // the rate's two halves, in stored order
        let rate = littleEndian ? UInt32(second) << 16 | UInt32(first) : UInt32(first) << 16 | UInt32(second)
        guard n >= 1 else { return nil }
        var streams: UInt8 = 1, coupled: UInt8 = n == 2 ? 1 : 0, mapping: [UInt8] = []
        if family == 0 {
            guard n <= 2 else { return nil }
        } else {
            let table = body.dropFirst(10)
            guard table.count >= 2 + n else { return nil }
            streams = table[table.startIndex]
            coupled = table[table.startIndex + 1]
            mapping = Array(table.dropFirst(2).prefix(n))
            guard streams >= 1, coupled <= streams, Int(streams) + Int(coupled) <= 255 else { return nil }
        }
        self.init(channels: n, preSkip: u16(1), inputSampleRate: rate, outputGain: Int16(bitPattern: u16(7)),
                  mappingFamily: family, streamCount: streams, coupledCount: coupled, mapping: mapping)
    }

    private init(channels: Int, preSkip: UInt16, inputSampleRate: UInt32, outputGain: Int16, mappingFamily: UInt8,
                 streamCount: UInt8, coupledCount: UInt8, mapping: [UInt8]) {
        self.channels = channels
        self.preSkip = preSkip
        self.inputSampleRate = inputSampleRate
        self.outputGain = outputGain
        self.mappingFamily = mappingFamily
        self.streamCount = streamCount
        self.coupledCount = coupledCount
        self.mapping = mapping
    }

    /// The dOps box (a plain box, not a full box: its first byte is the dOps version).
    var dOps: [UInt8] {
        var p: [UInt8] = [0, UInt8(channels), UInt8(preSkip >> 8), UInt8(preSkip & 0xFF)]
        for shift in stride(from: 24, through: 0, by: -8) { p.append(UInt8((inputSampleRate >> UInt32(shift)) & 0xFF)) }
        let gain = UInt16(bitPattern: outputGain)
        p += [UInt8(gain >> 8), UInt8(gain & 0xFF), mappingFamily]
        if mappingFamily != 0 { p += [streamCount, coupledCount] + mapping }
        return Mp4Box.box("dOps", p)
    }

    /// Samples (at 48 kHz) in one packet from its TOC byte (RFC 6716 3.1), so the last packet before a flush
    /// gets its real length; nil for a packet that is not valid Opus.
    static func packetDuration(_ packet: ArraySlice<UInt8>) -> Int? {
        guard let toc = packet.first else { return nil }
        let config = Int(toc >> 3)
        let frame: Int
        switch config {
        case 0..<12: frame = [480, 960, 1920, 2880][config & 3]   // SILK: 10, 20, 40, 60 ms
        case 12..<16: frame = [480, 960][config & 1]              // Hybrid: 10, 20 ms
        default: frame = [120, 240, 480, 960][config & 3]         // CELT: 2.5, 5, 10, 20 ms
        }
        let count: Int
        switch toc & 3 {
        case 0: count = 1
        case 1, 2: count = 2
        default:
            guard packet.count >= 2 else { return nil }
            count = Int(packet[packet.startIndex + 1] & 0x3F)
        }
        let total = frame * count
        guard count > 0, total <= 5760 else { return nil }         // at most 120 ms per packet
        return total
    }
}
