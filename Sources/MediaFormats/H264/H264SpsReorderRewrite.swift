/// Rewrites an H.264 SPS so that a decoder outputs every picture as soon as it is decoded: the VUI's
/// max_num_reorder_frames (E.1.1) becomes 0. FFmpeg's H.264 decoder (the one Chromium's WebRTC stack uses in
/// software) holds that many pictures back before its first output, and libwebrtc treats a decode call without
/// output as a failed frame: it drops every frame after it until the next keyframe. Only correct for a stream
/// whose pictures come in presentation order (H264ReorderFilter makes one).
public enum H264SpsReorderRewrite {
    /// The SPS NAL unit (header byte included) with max_num_reorder_frames = 0; nil when there is nothing to
    /// change (no VUI, no bitstream_restriction, already 0) or the SPS cannot be parsed.
    public static func withoutReordering(_ nal: ArraySlice<UInt8>) -> [UInt8]? {
        guard let sps = H264SPS(nal: nal), let header = nal.first else { return nil }
        let rbsp = removeEmulationPrevention(nal.dropFirst())
        guard let field = reorderField(rbsp, vuiBitOffset: sps.vuiBitOffset), field.value != 0,
              let stop = stopBit(rbsp), field.end <= stop else { return nil }
        var w = BitWriter()
        var r = BitReader(rbsp)
        for _ in 0..<field.start { w.bit(r.bit() ?? 0) }
        w.ue(0)
        guard r.skip(field.end - field.start) else { return nil }
        for _ in field.end..<stop { w.bit(r.bit() ?? 0) }
        w.trailingBits()
        return [header] + addEmulationPrevention(w.bytes[...])
    }

    /// Bit range and value of max_num_reorder_frames in the RBSP, walking the VUI (E.1.1) from its flag.
    static func reorderField(_ rbsp: [UInt8], vuiBitOffset: Int) -> (start: Int, end: Int, value: UInt32)? {
        var r = BitReader(rbsp)
        guard r.skip(vuiBitOffset), r.bit() == 1 else { return nil }
        if r.bit() == 1 {  // aspect_ratio_info_present_flag
            guard let idc = r.bits(8) else { return nil }
            if idc == 255 { guard r.skip(32) else { return nil } }  // sar_width, sar_height
        }
        if r.bit() == 1 { guard r.skip(1) else { return nil } }  // overscan_appropriate_flag
        if r.bit() == 1 {  // video_signal_type_present_flag
            guard r.skip(4), let colour = r.bit() else { return nil }
            if colour == 1 { guard r.skip(24) else { return nil } }
        }
        if r.bit() == 1 { guard r.ue() != nil, r.ue() != nil else { return nil } }  // chroma_loc_info
        if r.bit() == 1 { guard r.skip(65) else { return nil } }  // timing_info: two u(32) and fixed_frame_rate_flag
        guard let nalHrd = r.bit(), nalHrd == 0 || skipHrd(&r), let vclHrd = r.bit(), vclHrd == 0 || skipHrd(&r) else { return nil }
        if nalHrd == 1 || vclHrd == 1 { guard r.skip(1) else { return nil } }  // low_delay_hrd_flag
        guard r.skip(1), let restriction = r.bit() else { return nil }  // pic_struct_present_flag
        guard restriction == 1, r.skip(1) else { return nil }  // motion_vectors_over_pic_boundaries_flag
        for _ in 0..<4 { guard r.ue() != nil else { return nil } }  // max bytes/bits denominators, log2 max mv lengths
        let start = r.position
        guard let value = r.ue() else { return nil }
        return (start, r.position, value)
    }

    /// hrd_parameters() (E.1.2).
    private static func skipHrd(_ r: inout BitReader) -> Bool {
        guard let count = r.ue(), count < 32, r.skip(8) else { return false }
        for _ in 0...count {
            guard r.ue() != nil, r.ue() != nil, r.skip(1) else { return false }
        }
        return r.skip(20)
    }

    /// Position of rbsp_stop_one_bit: the last 1 bit of the RBSP.
    private static func stopBit(_ rbsp: [UInt8]) -> Int? {
        guard let last = rbsp.lastIndex(where: { $0 != 0 }) else { return nil }
        return last * 8 + 7 - rbsp[last].trailingZeroBitCount
    }
}
