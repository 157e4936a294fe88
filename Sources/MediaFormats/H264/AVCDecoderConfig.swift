/// AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1): the H.264 extradata FLV and MP4 carry.
public struct AVCDecoderConfig: Equatable, Sendable {
    public var sps: [[UInt8]]
    public var pps: [[UInt8]]
    public var lengthSize: Int

    public init(sps: [[UInt8]], pps: [[UInt8]], lengthSize: Int = 4) {
        self.sps = sps
        self.pps = pps
        self.lengthSize = lengthSize
    }

    public init?(_ bytes: ArraySlice<UInt8>) {
        var r = ByteReader(bytes)
        guard r.u8() == 1, r.take(3) != nil, let ls = r.u8(), let nsps = r.u8() else { return nil }
        var sps: [[UInt8]] = []
        for _ in 0..<(nsps & 0x1F) {
            guard let len = r.u16(), let nal = r.take(Int(len)) else { return nil }
            sps.append(Array(nal))
        }
        guard let npps = r.u8() else { return nil }
        var pps: [[UInt8]] = []
        for _ in 0..<npps {
            guard let len = r.u16(), let nal = r.take(Int(len)) else { return nil }
            pps.append(Array(nal))
        }
        guard !sps.isEmpty, !pps.isEmpty else { return nil }
        self.init(sps: sps, pps: pps, lengthSize: Int(ls & 3) + 1)
    }

    public var parsedSPS: H264SPS? { sps.first.flatMap { H264SPS(nal: $0[...]) } }

    public func encode() -> [UInt8] {
        var w = ByteWriter()
        let first = sps.first ?? [0, 0, 0, 0]
        w.u8(1)
        w.u8(first.count > 1 ? first[1] : 0)
        w.u8(first.count > 2 ? first[2] : 0)
        w.u8(first.count > 3 ? first[3] : 0)
        w.u8(0xFC | UInt8(lengthSize - 1))
        w.u8(0xE0 | UInt8(sps.count & 0x1F))
        for s in sps { w.u16(UInt16(s.count)); w.append(s) }
        w.u8(UInt8(pps.count))
        for p in pps { w.u16(UInt16(p.count)); w.append(p) }
        return w.bytes
    }
}
