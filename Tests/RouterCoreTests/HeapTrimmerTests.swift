import Foundation
import XCTest
@testable import RouterCore

/// Freed heap below a live block stays in RSS until malloc_trim hands its pages back.
final class HeapTrimmerTests: XCTestCase {
    private func rssBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
              let pages = text.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    func testTrimReturnsFreedPagesAndSkipsWhenLittleIsFree() {
        XCTAssertFalse(HeapTrimmer.trimIfWorthIt(thresholdBytes: Int.max), "nothing is worth trimming below the threshold")
        // 64 MB in 4 KiB blocks (under the mmap threshold, so on the heap), touched, then freed except the
        // last, which keeps the freed run from being the arena's top (glibc would release a free top itself).
        let blocks = (0..<16_384).map { _ -> UnsafeMutableRawPointer in
            let p = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 16)
            p.initializeMemory(as: UInt8.self, repeating: 1, count: 4096)
            return p
        }
        for p in blocks.dropLast() { p.deallocate() }
        let before = rssBytes()
        XCTAssertTrue(HeapTrimmer.trimIfWorthIt(thresholdBytes: 1 << 20))
        let after = rssBytes()
        blocks.last?.deallocate()
        XCTAssertGreaterThan(before - after, 32 << 20, "RSS \(before >> 20) MB -> \(after >> 20) MB")
    }
}
