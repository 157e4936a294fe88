/// HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 8.3.3.1): VPS, SPS and PPS arrays plus the general
/// profile fields copied from the SPS.
public struct HEVCDecoderConfig: Equatable, Sendable {
    public var vps: [[UInt8]]
    public var sps: [[UInt8]]
    public var pps: [[UInt8]]
    public var lengthSize: Int
    /// Bytes 1...12 of the record (profile space/tier/idc, compatibility flags, constraint flags, level).
    public var profileBytes: [UInt8]

    public init?(_ bytes: ArraySlice<UInt8>) {
        var r = ByteReader(bytes)
        guard r.u8() == 1, let profile = r.take(12), r.take(8) != nil, let ls = r.u8(), let arrays = r.u8() else { return nil }
        var vps: [[UInt8]] = [], sps: [[UInt8]] = [], pps: [[UInt8]] = []
        for _ in 0..<arrays {
            guard let type = r.u8(), let count = r.u16() else { return nil }
            for _ in 0..<count {
                guard let len = r.u16(), let nal = r.take(Int(len)) else { return nil }
                switch type & 0x3F {
                case 32: vps.append(Array(nal))
                case 33: sps.append(Array(nal))
                case 34: pps.append(Array(nal))
                default: break  // SEI and others travel in-band
                }
            }
        }
        guard !vps.isEmpty, !sps.isEmpty, !pps.isEmpty else { return nil }
        self.vps = vps
        self.sps = sps
        self.pps = pps
        self.lengthSize = Int(ls & 3) + 1
        self.profileBytes = Array(profile)
    }

    /// Builds a record from parameter sets learned in-band.
    public init?(vps: [UInt8], sps: [UInt8], pps: [UInt8]) {
        // profile_tier_level starts after the 2-byte NAL header and one byte of SPS fields.
        let rbsp = removeEmulationPrevention(sps[...])
        guard rbsp.count >= 15 else { return nil }
        self.vps = [vps]
        self.sps = [sps]
        self.pps = [pps]
        self.lengthSize = 4
        self.profileBytes = Array(rbsp[3..<15])
    }

    public var dimensions: (width: Int, height: Int)? { sps.first.flatMap { Self.dimensions(sps: $0) } }

    public func encode() -> [UInt8] {
        var w = ByteWriter()
        w.u8(1)
        w.append(profileBytes.count == 12 ? profileBytes : [UInt8](repeating: 0, count: 12))
        w.u16(0xF000)           // min_spatial_segmentation_idc
        w.u8(0xFC)              // parallelismType
        w.u8(0xFD)              // chroma_format_idc = 1
        w.u8(0xF8)              // bit_depth_luma_minus8 = 0
        w.u8(0xF8)              // bit_depth_chroma_minus8 = 0
        w.u16(0)                // avgFrameRate
        w.u8(0x0F | UInt8((lengthSize - 1) & 3)) // constantFrameRate 0, numTemporalLayers 1, nested 1
        w.u8(3)
        for (type, list) in [(UInt8(32), vps), (33, sps), (34, pps)] {
            w.u8(0x80 | type)
            w.u16(UInt16(list.count))
            for n in list { w.u16(UInt16(n.count)); w.append(n) }
        }
        return w.bytes
    }

    /// Picture size from an H.265 SPS (H.265 7.3.2.2), with the conformance window applied.
    public static func dimensions(sps nal: [UInt8]) -> (width: Int, height: Int)? {
        guard nal.count > 3 else { return nil }
        var r = BitReader(removeEmulationPrevention(nal.dropFirst(2)))
        guard r.skip(4), let maxSubLayersMinus1 = r.bits(3), r.skip(1) else { return nil }
        // profile_tier_level(1, maxSubLayersMinus1): general part is 88 bits + level 8 bits.
        guard r.skip(96) else { return nil }
        var profilePresent: [UInt32] = [], levelPresent: [UInt32] = []
        for _ in 0..<maxSubLayersMinus1 {
            guard let p = r.bit(), let l = r.bit() else { return nil }
            profilePresent.append(p)
            levelPresent.append(l)
        }
        if maxSubLayersMinus1 > 0 { guard r.skip(2 * (8 - Int(maxSubLayersMinus1))) else { return nil } }
        for i in 0..<Int(maxSubLayersMinus1) {
            if profilePresent[i] == 1 { guard r.skip(88) else { return nil } }
            if levelPresent[i] == 1 { guard r.skip(8) else { return nil } }
        }
        guard r.ue() != nil, let chroma = r.ue() else { return nil }
        if chroma == 3 { guard r.skip(1) else { return nil } }
        guard let w = r.ue(), let h = r.ue(), let window = r.bit() else { return nil }
        var width = Int(w), height = Int(h)
        if window == 1 {
            guard let l = r.ue(), let rr = r.ue(), let t = r.ue(), let b = r.ue() else { return nil }
            let subW = chroma == 1 || chroma == 2 ? 2 : 1
            let subH = chroma == 1 ? 2 : 1
            width -= subW * Int(l + rr)
            height -= subH * Int(t + b)
        }
        guard width > 0, height > 0, width < 65536, height < 65536 else { return nil }
        return (width, height)
    }
}
