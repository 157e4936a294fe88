import MediaFormats

/// What differs between H.264 and H.265 when an access unit crosses between the bus (length-prefixed) and TS
/// (Annex B byte stream, which ISO/IEC 13818-1 2.14 and 2.17 require to start with an access unit delimiter).
package struct TsNalFormat: Sendable {
    let codec: Codec
    /// The NAL unit types that must precede a keyframe's slices, in order.
    let parameterSetTypes: [UInt8]
    let audType: UInt8
    /// A delimiter allowing any slice type (primary_pic_type 7 / pic_type 2), so it never contradicts the AU.
    let aud: [UInt8]

    static let h264 = TsNalFormat(codec: .h264, parameterSetTypes: [7, 8], audType: 9, aud: [0x09, 0xF0])
    static let h265 = TsNalFormat(codec: .h265, parameterSetTypes: [32, 33, 34], audType: 35, aud: [0x46, 0x01, 0x50])

    package init?(_ codec: Codec) {
        switch codec {
        case .h264: self = .h264
        case .h265: self = .h265
        default: return nil
        }
    }

    private init(codec: Codec, parameterSetTypes: [UInt8], audType: UInt8, aud: [UInt8]) {
        self.codec = codec
        self.parameterSetTypes = parameterSetTypes
        self.audType = audType
        self.aud = aud
    }

    var spsType: UInt8 { codec == .h264 ? 7 : 33 }

    func type(_ nal: ArraySlice<UInt8>) -> UInt8? {
        codec == .h264 ? NalUnits.h264Type(nal) : NalUnits.h265Type(nal)
    }

    /// IDR for H.264; IRAP (BLA, IDR, CRA) for H.265.
    func isRandomAccess(_ type: UInt8) -> Bool {
        codec == .h264 ? type == 5 : (16...21).contains(type)
    }

    /// The parameter sets an avcC / hvcC carries, by NAL unit type.
    package func parameterSets(config: [UInt8]) -> [UInt8: [[UInt8]]] {
        if codec == .h264, let c = AVCDecoderConfig(config[...]) { return [7: c.sps, 8: c.pps] }
        if codec == .h265, let c = HEVCDecoderConfig(config[...]) { return [32: c.vps, 33: c.sps, 34: c.pps] }
        return [:]
    }

    /// The decoder configuration record for in-band parameter sets; nil until each kind has been seen.
    func config(parameterSets p: [UInt8: [[UInt8]]]) -> [UInt8]? {
        if codec == .h264 {
            guard let sps = p[7], let pps = p[8], !sps.isEmpty, !pps.isEmpty else { return nil }
            return AVCDecoderConfig(sps: sps, pps: pps).encode()
        }
        guard let vps = p[32]?.first, let sps = p[33]?.first, let pps = p[34]?.first else { return nil }
        return HEVCDecoderConfig(vps: vps, sps: sps, pps: pps)?.encode()
    }
}

package enum TsVideoAccessUnit {
    static let startCode: [UInt8] = [0, 0, 0, 1]

    /// Bus access unit to Annex B: a fresh AUD first (any AUD in the unit is dropped), then on keyframes the
    /// parameter sets the unit lacks, then its NAL units. `parameterSets` is the muxer's memory, refreshed by the
    /// sets the unit carries so a later keyframe without them still gets the current ones. Nil if the lengths
    /// run past the data or nothing is left.
    package static func annexB(_ au: ArraySlice<UInt8>, format: TsNalFormat, key: Bool, parameterSets: inout [UInt8: [[UInt8]]]) -> [UInt8]? {
        guard let nals = NalUnits.splitLengthPrefixed(au) else { return nil }
        var carried: [UInt8: [[UInt8]]] = [:]
        var hasContent = false
        for nal in nals {
            guard let t = format.type(nal), t != format.audType else { continue }
            hasContent = true
            if format.parameterSetTypes.contains(t) { carried[t, default: []].append(Array(nal)) }
        }
        guard hasContent else { return nil }
        for (t, sets) in carried { parameterSets[t] = sets }

        var out: [UInt8] = []
        out.reserveCapacity(au.count + 64)
        out += startCode
        out += format.aud
        if key {
            for t in format.parameterSetTypes where carried[t] == nil {
                for ps in parameterSets[t] ?? [] {
                    out += startCode
                    out += ps
                }
            }
        }
        for nal in nals where format.type(nal) != format.audType {
            out += startCode
            out += nal
        }
        return out
    }

    struct Demuxed {
        var data: [UInt8]
        var hasRandomAccessSlice: Bool
        var parameterSets: [UInt8: [[UInt8]]]
    }

    /// Annex B to bus format: length-prefixed, AUDs removed (the bus has no use for them). Nil if no NAL unit is left.
    static func lengthPrefixed(_ payload: ArraySlice<UInt8>, format: TsNalFormat) -> Demuxed? {
        var kept: [ArraySlice<UInt8>] = []
        var randomAccess = false
        var sets: [UInt8: [[UInt8]]] = [:]
        for nal in NalUnits.splitAnnexB(payload) {
            guard let t = format.type(nal), t != format.audType else { continue }
            if format.isRandomAccess(t) { randomAccess = true }
            if format.parameterSetTypes.contains(t) { sets[t, default: []].append(Array(nal)) }
            kept.append(nal)
        }
        guard !kept.isEmpty else { return nil }
        return Demuxed(data: NalUnits.lengthPrefixed(kept), hasRandomAccessSlice: randomAccess, parameterSets: sets)
    }
}
