@testable import MRPluginKit
import XCTest

/// A builder lives as long as its player: a burst (the GOP a new player is sent at once) must not leave its
/// capacity behind, while the steady state's small sends keep theirs (no allocation per frame).
final class IovecBuilderMemoryTests: XCTestCase {
    private let a = OpaquePointer(bitPattern: 0x1000)!
    private let b = OpaquePointer(bitPattern: 0x2000)!

    func testBurstCapacityIsLetGoAfterTheSend() {
        var out = IovecBuilder()
        for i in 0..<600 {
            out.inline([UInt8(i & 0xFF), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
            out.range(i % 2 == 0 ? a : b, 0, 1000)
        }
        XCTAssertGreaterThan(out.retainedCapacity.pieces, IovecBuilder.keptPieces)
        out.reset()
        XCTAssertTrue(out.isEmpty)
        XCTAssertLessThanOrEqual(out.retainedCapacity.pieces, IovecBuilder.keptPieces)
        XCTAssertLessThanOrEqual(out.retainedCapacity.scratch, IovecBuilder.keptScratch)
    }

    func testSteadyStateCapacityIsKept() {
        var out = IovecBuilder()
        out.inline([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
        out.range(a, 0, 1000)
        out.inline([1, 2, 3, 4])
        let before = out.retainedCapacity
        out.reset()
        XCTAssertEqual(out.retainedCapacity.pieces, before.pieces)
        XCTAssertEqual(out.retainedCapacity.scratch, before.scratch)
    }
}
