import MediaFormats
import XCTest

/// splitAnnexB skips ahead by the third byte of a possible start code; it must cut exactly where a byte-by-byte
/// search does, on streams dense with zeros and ones where the skips go wrong first.
final class NalUnitsSplitTests: XCTestCase {
    /// The byte-by-byte search splitAnnexB replaced.
    private func reference(_ data: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        var i = data.startIndex
        var start: Int?
        func close(_ s: Int, _ e: Int) {
            var end = e
            while end > s, data[end - 1] == 0 { end -= 1 }
            if end > s { out.append(data[s..<end]) }
        }
        while i + 2 < data.endIndex {
            if data[i] == 0, data[i + 1] == 0, data[i + 2] == 1 {
                if let s = start { close(s, i) }
                i += 3
                start = i
            } else {
                i += 1
            }
        }
        if let s = start { close(s, data.endIndex) }
        return out
    }

    func testMatchesTheByteByByteSearch() {
        var rng = SystemRandomNumberGenerator()
        for round in 0..<2000 {
            let n = Int.random(in: 0...64, using: &rng)
            // Mostly 0, 1 and 2, so start codes, near misses and runs of zeros are common.
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...3, using: &rng) == 3 ? UInt8.random(in: 0...255, using: &rng) : UInt8.random(in: 0...2, using: &rng) }
            let lead = round % 3
            let slice = ([UInt8](repeating: 7, count: lead) + bytes)[lead...]   // a slice not starting at 0
            XCTAssertEqual(NalUnits.splitAnnexB(slice), reference(slice), "\(bytes)")
        }
    }

    /// nextStartCode from every offset against the byte-by-byte search, on buffers long enough for the C
    /// library's vector search to take several strides, with start codes across stride boundaries.
    func testNextStartCodeFromEveryOffset() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let n = Int.random(in: 0...300, using: &rng)
            var bytes = (0..<n).map { _ in UInt8.random(in: 0...9, using: &rng) == 0 ? UInt8.random(in: 0...1, using: &rng) : UInt8.random(in: 2...255, using: &rng) }
            if n >= 3, Bool.random(using: &rng) {
                let at = Int.random(in: 0...(n - 3), using: &rng)
                bytes.replaceSubrange(at..<(at + 3), with: [0, 0, 1])
            }
            for from in 0...(n + 1) {
                var expected: Int?
                var i = from
                while i + 2 < n {
                    if bytes[i] == 0, bytes[i + 1] == 0, bytes[i + 2] == 1 { expected = i; break }
                    i += 1
                }
                XCTAssertEqual(bytes.withUnsafeBufferPointer { NalUnits.nextStartCode($0, from: from) }, expected, "from \(from) in \(bytes)")
            }
        }
        XCTAssertNil([UInt8]().withUnsafeBufferPointer { NalUnits.nextStartCode($0, from: 0) })
    }

    func testFourByteStartCodesAndTrailingZeros() {
        let data: [UInt8] = [0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 1, 0x65, 9, 9, 0, 0]
        XCTAssertEqual(NalUnits.splitAnnexB(data[...]).map(Array.init), [[0x67, 1, 2], [0x68, 3], [0x65, 9, 9]])
        let bytes: [UInt8] = [1, 0, 0, 1, 0, 0]
        XCTAssertEqual(bytes.withUnsafeBufferPointer { NalUnits.nextStartCode($0, from: 0) }, 1)
        XCTAssertNil(bytes.withUnsafeBufferPointer { NalUnits.nextStartCode($0, from: 2) })
    }
}
