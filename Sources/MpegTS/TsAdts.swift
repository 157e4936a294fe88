import MediaFormats

/// An ADTS frame header (ISO/IEC 13818-7 6.2.1 / 14496-3 1.A.2), the only AAC framing stream_type 0x0F allows.
struct AdtsHeader: Equatable {
    static let minimumSize = 7
    /// frame_length is 13 bits and includes the header.
    static let maxFrameLength = 0x1FFF

    let objectType: Int
    let sampleRate: Int
    let channels: Int
    let frameLength: Int
    let headerLength: Int
    /// number_of_raw_data_blocks_in_frame + 1; each block is 1024 samples.
    let blocks: Int

    init?(_ b: ArraySlice<UInt8>) {
        guard b.count >= Self.minimumSize else { return nil }
        let s = b.startIndex
        guard b[s] == 0xFF, b[s + 1] & 0xF6 == 0xF0 else { return nil }   // syncword, layer 00
        let index = Int((b[s + 2] >> 2) & 0x0F)
        guard index < AudioSpecificConfig.sampleRates.count else { return nil }
        headerLength = b[s + 1] & 1 != 0 ? 7 : 9
        objectType = Int(b[s + 2] >> 6) + 1
        sampleRate = AudioSpecificConfig.sampleRates[index]
        channels = Int(b[s + 2] & 1) << 2 | Int(b[s + 3] >> 6)
        frameLength = Int(b[s + 3] & 3) << 11 | Int(b[s + 4]) << 3 | Int(b[s + 5] >> 5)
        blocks = Int(b[s + 6] & 3) + 1
        guard frameLength > headerLength else { return nil }
    }

    var config: AudioSpecificConfig? { AudioSpecificConfig(objectType: objectType, sampleRate: sampleRate, channels: channels) }

    /// The config whose fields an ADTS header can express, for a track's AudioSpecificConfig. ADTS has two
    /// profile bits (Main, LC, SSR, LTP); HE-AAC (SBR, PS) is sent as its LC core and decoders find the extension
    /// implicitly. Explicit sample rates have no index. Nil when ADTS cannot describe the stream.
    static func writableConfig(_ asc: AudioSpecificConfig) -> AudioSpecificConfig? {
        let type = asc.objectType == 5 || asc.objectType == 29 ? 2 : asc.objectType
        guard (1...4).contains(type), AudioSpecificConfig.sampleRates.contains(asc.sampleRate) else { return nil }
        return type == asc.objectType ? asc : AudioSpecificConfig(objectType: type, sampleRate: asc.sampleRate, channels: asc.channels)
    }
}

/// Splits the ADTS frames of PES payloads. A frame may run into the next PES (some encoders cut PES at fixed
/// sizes); its start is kept and finished with the next payload, timed where it began.
struct AdtsSplitter {
    struct Frame {
        var payload: [UInt8]
        var pts: Int64
        var header: AdtsHeader
    }

    private var carry: [UInt8] = []
    private var carryPts: Int64 = 0
    /// Where the next frame would start in time, for PES without a PTS.
    private(set) var nextPts: Int64?

    mutating func reset() {
        carry = []
        nextPts = nil
    }

    /// `pts` in microseconds: that of the first frame starting in this payload.
    mutating func push(_ payload: ArraySlice<UInt8>, pts: Int64, errors: inout Int) -> [Frame] {
        let data: [UInt8] = carry.isEmpty ? Array(payload) : carry + payload
        let carried = !carry.isEmpty
        var base = carried ? carryPts : pts
        carry = []
        var samples: Int64 = 0
        var frames: [Frame] = []
        var i = 0
        var first = true
        while i < data.count {
            guard let h = AdtsHeader(data[i...]) else {
                if data.count - i < AdtsHeader.minimumSize, data[i] == 0xFF {
                    // A header cut by the PES boundary.
                    carry = Array(data[i...])
                    carryPts = base &+ TsClock.micros(samples: samples, rate: frames.last?.header.sampleRate ?? 0)
                    break
                }
                errors += 1
                i = resync(data, from: i + 1)
                continue
            }
            guard data.count - i >= h.frameLength else {
                carry = Array(data[i...])
                carryPts = base &+ TsClock.micros(samples: samples, rate: h.sampleRate)
                break
            }
            let at = base &+ TsClock.micros(samples: samples, rate: h.sampleRate)
            frames.append(Frame(payload: Array(data[(i + h.headerLength)..<(i + h.frameLength)]), pts: at, header: h))
            i += h.frameLength
            if first && carried {
                base = pts
                samples = 0
            } else {
                samples &+= Int64(1024 * h.blocks)
            }
            first = false
            nextPts = base &+ TsClock.micros(samples: samples, rate: h.sampleRate)
        }
        return frames
    }

    private func resync(_ data: [UInt8], from start: Int) -> Int {
        var j = start
        while j + 1 < data.count, !(data[j] == 0xFF && data[j + 1] & 0xF6 == 0xF0) { j += 1 }
        return j + 1 < data.count ? j : data.count
    }
}
