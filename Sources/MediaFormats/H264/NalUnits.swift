#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// NAL unit framing: the bus carries access units as 4-byte length-prefixed NAL units (AVCC style).
public enum NalUnits {
    /// Splits a length-prefixed access unit. Nil if a length runs past the end.
    public static func splitLengthPrefixed(_ data: ArraySlice<UInt8>, lengthSize: Int = 4) -> [ArraySlice<UInt8>]? {
        guard (1...4).contains(lengthSize) else { return nil }
        var out: [ArraySlice<UInt8>] = []
        var i = data.startIndex
        while i < data.endIndex {
            guard data.endIndex - i >= lengthSize else { return nil }
            var len = 0
            for k in 0..<lengthSize { len = len << 8 | Int(data[i + k]) }
            i += lengthSize
            guard len <= data.endIndex - i else { return nil }
            if len > 0 { out.append(data[i..<(i + len)]) }
            i += len
        }
        return out
    }

    /// Splits an Annex B byte stream on 00 00 01 / 00 00 00 01 start codes.
    public static func splitAnnexB(_ data: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        let base = data.startIndex
        data.withUnsafeBufferPointer { d in
            var start: Int?
            var i = 0
            while let at = nextStartCode(d, from: i) {
                if let s = start {
                    var end = at
                    while end > s, d[end - 1] == 0 { end -= 1 }
                    if end > s { out.append(data[(base + s)..<(base + end)]) }
                }
                i = at + 3
                start = i
            }
            if let s = start {
                var end = d.count
                while end > s, d[end - 1] == 0 { end -= 1 }   // trailing_zero_8bits
                if end > s { out.append(data[(base + s)..<(base + end)]) }
            }
        }
        return out
    }

    /// The offset of the first `00 00 01` at or after `from`, nil when there is none. Every byte of a frame
    /// passes through this on ingest, so it looks for the `01` with memchr (vector code in the C library; in
    /// coded video a 01 byte is rare, a start code's rarer still) and only then at the two bytes before it.
    public static func nextStartCode(_ d: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        guard let base = d.baseAddress else { return nil }
        // The 01 of a start code at `from` or later is at `from + 2` or later.
        var i = max(0, from) + 2
        while i < d.count {
            guard let hit = memchr(base + i, 1, d.count - i) else { return nil }
            let at = UnsafeRawPointer(base).distance(to: hit)
            if d[at - 1] == 0, d[at - 2] == 0 { return at - 2 }
            i = at + 1
        }
        return nil
    }

    /// Joins NAL units with 4-byte lengths, into an array allocated once at its final size (grown from a
    /// small one, a frame's bytes were copied again at every doubling). An array, not any collection: a generic
    /// called from another module is not specialised, and each element it iterates is boxed on the heap.
    public static func lengthPrefixed(_ nals: [ArraySlice<UInt8>]) -> [UInt8] {
        var w = ByteWriter(capacity: nals.reduce(0) { $0 + 4 + $1.count })
        for n in nals {
            w.u32(UInt32(n.count))
            w.append(n)
        }
        return w.bytes
    }

    /// Re-frames a length-prefixed unit with another length size (FLV/MP4 may use 1, 2 or 4).
    public static func normalize(_ data: ArraySlice<UInt8>, from lengthSize: Int) -> [UInt8]? {
        if lengthSize == 4 { return Array(data) }
        guard let nals = splitLengthPrefixed(data, lengthSize: lengthSize) else { return nil }
        return lengthPrefixed(nals)
    }

    public static func h264Type(_ nal: ArraySlice<UInt8>) -> UInt8? { nal.first.map { $0 & 0x1F } }
    public static func h265Type(_ nal: ArraySlice<UInt8>) -> UInt8? { nal.first.map { ($0 >> 1) & 0x3F } }
}
