import XCTest
@testable import RouterCore

/// getStatistic's live object counts: a buffer and its slice are counted while alive and no longer after.
final class LiveObjectsTests: XCTestCase {
    func testBuffersAndSlicesAreCountedWhileAliveOnly() throws {
        let before = LiveObjects.snapshot()
        var buffer: MediaBuffer? = MediaBuffer(capacity: 100)
        var slice = buffer?.slice(offset: 10, length: 40)
        let during = LiveObjects.snapshot()
        XCTAssertEqual(during["MediaBuffer"], (before["MediaBuffer"] ?? 0) + 2)
        XCTAssertEqual(during["MediaBufferBytes"], (before["MediaBufferBytes"] ?? 0) + 140)
        buffer = nil
        XCTAssertEqual(LiveObjects.count(.buffer), (before["MediaBuffer"] ?? 0) + 1, "the slice is still alive")
        XCTAssertNotNil(slice)
        slice = nil
        XCTAssertEqual(LiveObjects.snapshot(), before)
    }

    func testHeapFiguresSeeAnAllocation() throws {
        let before = HeapFigures.snapshot()["HeapInUseBytes"] ?? 0
        let block = try XCTUnwrap(malloc(8 << 20))
        memset(block, 1, 8 << 20)
        let during = HeapFigures.snapshot()["HeapInUseBytes"] ?? 0
        free(block)
        XCTAssertGreaterThanOrEqual(during - before, 8 << 20, "the allocator's in-use bytes")
    }
}
