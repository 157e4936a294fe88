import MediaFormats

/// Sample entries for the stsd box (ISO/IEC 14496-12 12.1.3 and 12.2.3) and the MPEG-4 elementary stream
/// descriptor that 'mp4a' carries (ISO/IEC 14496-14 5.6, 14496-1 7.2.6).
enum Mp4SampleEntry {
    /// VisualSampleEntry: the codec record box follows the fixed 78 bytes.
    static func visual(_ type: String, width: Int, height: Int, configBox: [UInt8]) -> [UInt8] {
        var w = ByteWriter(capacity: 78)
        w.zeros(6)
        w.u16(1)                                  // data_reference_index: the self-contained 'url '
        w.zeros(16)                               // pre_defined / reserved
        w.u16(UInt16(clamping: width))
        w.u16(UInt16(clamping: height))
        w.u32(0x0048_0000)                        // 72 dpi, the value the spec fixes
        w.u32(0x0048_0000)
        w.u32(0)
        w.u16(1)                                  // frame_count
        w.zeros(32)                               // compressorname: empty Pascal string
        w.u16(0x0018)                             // depth: colour, no alpha
        w.u16(0xFFFF)                             // pre_defined = -1
        return Mp4Box.box(type, w.bytes, configBox)
    }

    /// AudioSampleEntry (version 0). The 16.16 rate field cannot hold rates above 65535; decoders take the
    /// real rate from the codec record, so such a rate is written as 0 rather than wrapped.
    static func audio(_ type: String, channels: Int, sampleRate: Int, configBox: [UInt8]) -> [UInt8] {
        var w = ByteWriter(capacity: 28)
        w.zeros(6)
        w.u16(1)                                  // data_reference_index
        w.zeros(8)
        w.u16(UInt16(clamping: channels))
        w.u16(16)                                 // samplesize
        w.zeros(4)                                // pre_defined, reserved
        w.u32(sampleRate > 0 && sampleRate <= 0xFFFF ? UInt32(sampleRate) << 16 : 0)
        return Mp4Box.box(type, w.bytes, configBox)
    }

    /// objectTypeIndication values from the MP4 registration authority.
    static let aacObjectType: UInt8 = 0x40
    static let mp3ObjectType: UInt8 = 0x6B

    /// The esds box. ES_ID is 0 as 14496-14 3.1.2 requires in files; bitrates and buffer size are left 0
    /// because a live muxer does not know them and no decoder needs them.
    static func esds(objectType: UInt8, decoderSpecificInfo: [UInt8]) -> [UInt8] {
        var dcd: [UInt8] = [objectType, 0x15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]  // streamType 5 (audio), upStream 0, reserved 1
        if !decoderSpecificInfo.isEmpty { dcd += descriptor(0x05, decoderSpecificInfo) }
        let es: [UInt8] = [0, 0, 0] + descriptor(0x04, dcd) + descriptor(0x06, [0x02])  // SLConfig predefined 2 (MP4)
        return Mp4Box.fullBox("esds", version: 0, flags: 0, descriptor(0x03, es))
    }

    /// A 14496-1 descriptor: tag, then the size in 7-bit groups (shortest form), then the body.
    static func descriptor(_ tag: UInt8, _ body: [UInt8]) -> [UInt8] {
        var groups: [UInt8] = [UInt8(body.count & 0x7F)]
        var rest = body.count >> 7
        while rest > 0 {
            groups.insert(UInt8(rest & 0x7F) | 0x80, at: 0)
            rest >>= 7
        }
        return [tag] + groups + body
    }
}
