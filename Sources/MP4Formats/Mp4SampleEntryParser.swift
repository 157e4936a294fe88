import MediaFormats

/// A sample entry from stsd back into the track description the bus uses: the inverse of what Mp4TrackSetup
/// writes. Nil when the entry is a codec we do not carry or its record is unreadable; the track's samples are
/// still listed so the file can be inspected.
enum Mp4SampleEntryParser {
    static func media(_ entry: Mp4BoxNode, in bytes: ArraySlice<UInt8>) -> MediaTrack? {
        let p = entry.header.payload
        func u16(_ at: Int) -> Int? {
            p.count >= at + 2 ? Int(bytes[p.lowerBound + at]) << 8 | Int(bytes[p.lowerBound + at + 1]) : nil
        }
        func child(_ type: String) -> [UInt8]? { entry.first(type).map { Array(bytes[$0.header.payload]) } }

        switch entry.type {
        case "avc1", "avc3":
            // In-band parameter sets ('avc3') still come with an avcC, which is what the bus needs.
            guard let avcC = child("avcC"), AVCDecoderConfig(avcC[...]) != nil else { return nil }
            return MediaTrack(codec: .h264, config: avcC, width: u16(24) ?? 0, height: u16(26) ?? 0)
        case "hvc1", "hev1":
            guard let hvcC = child("hvcC"), HEVCDecoderConfig(hvcC[...]) != nil else { return nil }
            return MediaTrack(codec: .h265, config: hvcC, width: u16(24) ?? 0, height: u16(26) ?? 0)
        case "mp4a":
            guard let esds = entry.first("esds"), let (objectType, dsi) = decoderConfig(esds, in: bytes) else { return nil }
            let (channels, rate) = audioFields(entry, in: bytes)
            switch objectType {
            case 0x40, 0x66, 0x67, 0x68:           // MPEG-4 AAC and the MPEG-2 AAC profiles
                guard let asc = AudioSpecificConfig(dsi) else { return nil }
                return MediaTrack(codec: .aac, config: asc.bytes, sampleRate: asc.sampleRate,
                                  channels: asc.channels > 0 ? asc.channels : channels)
            case 0x69, 0x6B:                       // MPEG-2 and MPEG-1 audio (MP3)
                return MediaTrack(codec: .mp3, sampleRate: rate, channels: channels)
            default:
                return nil
            }
        case "Opus":
            guard let dOps = child("dOps"), let head = opusHead(dOps) else { return nil }
            let (channels, _) = audioFields(entry, in: bytes)
            return MediaTrack(codec: .opus, config: head, sampleRate: 48000, channels: Int(head[9]) > 0 ? Int(head[9]) : channels)
        case "alaw", "ulaw":
            let (channels, rate) = audioFields(entry, in: bytes)
            return MediaTrack(codec: entry.type == "alaw" ? .pcma : .pcmu, sampleRate: rate, channels: channels)
        default:
            return nil
        }
    }

    /// Channel count and rate of an AudioSampleEntry; QuickTime's version 2 moves them past the fixed fields.
    static func audioFields(_ entry: Mp4BoxNode, in bytes: ArraySlice<UInt8>) -> (channels: Int, rate: Int) {
        var f = Mp4Fields(box: entry, in: bytes)
        do {
            try f.skip(8)
            let version = try f.u16()
            try f.skip(6)
            let channels = Int(try f.u16())
            try f.skip(6)
            let rate = Int(try f.u32() >> 16)
            guard version == 2 else { return (channels, rate) }
            try f.skip(4)                                      // sizeOfStructOnly
            let rate2 = Double(bitPattern: try f.u64())
            let channels2 = Int(try f.u32())
            let validRate = rate2.isFinite && rate2 > 0 && rate2 < 1e7 ? Int(rate2) : 0
            return (channels2, validRate)
        } catch {
            return (0, 0)
        }
    }

    /// objectTypeIndication and DecoderSpecificInfo from an esds (ISO/IEC 14496-1 7.2.6.5, 7.2.6.6).
    static func decoderConfig(_ esds: Mp4BoxNode, in bytes: ArraySlice<UInt8>) -> (UInt8, ArraySlice<UInt8>)? {
        let p = esds.header.payload
        guard p.count > 4 else { return nil }
        var r = ByteReader(bytes[(p.lowerBound + 4)..<p.upperBound])     // after version and flags
        guard let es = descriptor(&r, tag: 0x03) else { return nil }
        var e = ByteReader(es)
        guard e.take(2) != nil, let esFlags = e.u8() else { return nil }
        if esFlags & 0x80 != 0 { guard e.take(2) != nil else { return nil } }          // dependsOn_ES_ID
        if esFlags & 0x40 != 0 { guard let n = e.u8(), e.take(Int(n)) != nil else { return nil } }   // URL
        if esFlags & 0x20 != 0 { guard e.take(2) != nil else { return nil } }          // OCR_ES_Id
        guard let dcd = descriptor(&e, tag: 0x04) else { return nil }
        var d = ByteReader(dcd)
        guard let objectType = d.u8(), d.take(12) != nil else { return nil }
        return (objectType, descriptor(&d, tag: 0x05) ?? [])
    }

    /// The body of the next descriptor if it has this tag; the size is 1-4 bytes of 7-bit groups.
    private static func descriptor(_ r: inout ByteReader, tag: UInt8) -> ArraySlice<UInt8>? {
        guard r.u8() == tag else { return nil }
        var size = 0
        for _ in 0..<4 {
            guard let b = r.u8() else { return nil }
            size = size << 7 | Int(b & 0x7F)
            if b & 0x80 == 0 { return r.take(size) }
        }
        return nil
    }

    /// dOps (big-endian, version 0) to the OpusHead the bus carries (RFC 7845 5.1: "OpusHead", version 1,
    /// little-endian fields), validated by the same parser the muxers use.
    static func opusHead(_ dOps: [UInt8]) -> [UInt8]? {
        guard dOps.count >= 11, dOps[0] == 0 else { return nil }
        var w = ByteWriter(capacity: 19 + dOps.count)
        w.append("OpusHead".utf8)
        w.u8(1)
        w.u8(dOps[1])                                          // channels
        w.append([dOps[3], dOps[2]])                           // pre-skip
        w.append([dOps[7], dOps[6], dOps[5], dOps[4]])         // input sample rate
        w.append([dOps[9], dOps[8]])                           // output gain
        w.append(dOps[10...])                                  // family, then streams, coupled and mapping
        let head = w.bytes
        return OpusConfig(config: head, channels: Int(dOps[1])) != nil ? head : nil
    }
}
