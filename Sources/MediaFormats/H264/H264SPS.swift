/// What a muxer needs from an H.264 sequence parameter set (H.264 7.3.2.1.1).
public struct H264SPS: Equatable, Sendable {
    public let profile: UInt8
    public let constraints: UInt8
    public let level: UInt8
    public let width: Int
    public let height: Int
    /// Where vui_parameters_present_flag sits, in bits from the start of the RBSP after the NAL header byte
    /// (emulation prevention removed): what a rewrite of the VUI starts from.
    public let vuiBitOffset: Int

    public init?(nal: ArraySlice<UInt8>) {
        guard nal.count >= 4, nal.first.map({ $0 & 0x1F }) == 7 else { return nil }
        var r = BitReader(removeEmulationPrevention(nal.dropFirst()))
        guard let profile = r.bits(8), let constraints = r.bits(8), let level = r.bits(8), r.ue() != nil else { return nil }
        var chromaFormat: UInt32 = 1
        if [100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135].contains(profile) {
            guard let cf = r.ue() else { return nil }
            chromaFormat = cf
            if cf == 3 { guard r.bit() != nil else { return nil } }
            guard r.ue() != nil, r.ue() != nil, r.bit() != nil, let scaling = r.bit() else { return nil }
            if scaling == 1 {
                for i in 0..<(cf != 3 ? 8 : 12) {
                    guard let present = r.bit() else { return nil }
                    if present == 1 { guard Self.skipScalingList(&r, size: i < 6 ? 16 : 64) else { return nil } }
                }
            }
        }
        guard r.ue() != nil, let pocType = r.ue() else { return nil }  // log2_max_frame_num, pic_order_cnt_type
        if pocType == 0 {
            guard r.ue() != nil else { return nil }
        } else if pocType == 1 {
            guard r.bit() != nil, r.se() != nil, r.se() != nil, let n = r.ue(), n < 256 else { return nil }
            for _ in 0..<n { guard r.se() != nil else { return nil } }
        }
        guard r.ue() != nil, r.bit() != nil, let wMbs = r.ue(), let hMapUnits = r.ue(), let frameMbsOnly = r.bit() else { return nil }
        if frameMbsOnly == 0 { guard r.bit() != nil else { return nil } }
        guard r.bit() != nil, let cropping = r.bit() else { return nil }
        var cropL: UInt32 = 0, cropR: UInt32 = 0, cropT: UInt32 = 0, cropB: UInt32 = 0
        if cropping == 1 {
            guard let l = r.ue(), let rr = r.ue(), let t = r.ue(), let b = r.ue() else { return nil }
            (cropL, cropR, cropT, cropB) = (l, rr, t, b)
        }
        let vuiBitOffset = r.position
        let cropUnitX: UInt32 = chromaFormat == 0 || chromaFormat == 3 ? 1 : 2
        let cropUnitY: UInt32 = (chromaFormat == 1 ? 2 : 1) * (2 - frameMbsOnly)
        let w = Int64(wMbs + 1) * 16 - Int64(cropUnitX) * Int64(cropL + cropR)
        let h = Int64(2 - frameMbsOnly) * Int64(hMapUnits + 1) * 16 - Int64(cropUnitY) * Int64(cropT + cropB)
        guard w > 0, h > 0, w < 65536, h < 65536 else { return nil }
        self.profile = UInt8(profile)
        self.constraints = UInt8(constraints)
        self.level = UInt8(level)
        self.width = Int(w)
        self.height = Int(h)
        self.vuiBitOffset = vuiBitOffset
    }

    private static func skipScalingList(_ r: inout BitReader, size: Int) -> Bool {
        var last: Int32 = 8, next: Int32 = 8
        for _ in 0..<size where next != 0 {
            // delta_scale is -128...127 (H.264 7.4.2.1.1.1); anything else is not an SPS (and would overflow).
            guard let delta = r.se(), (-128...127).contains(delta) else { return false }
            next = (last + delta + 256) % 256
            if next != 0 { last = next }
        }
        return true
    }
}
