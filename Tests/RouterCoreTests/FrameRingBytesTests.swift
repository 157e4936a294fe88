@testable import RouterCore
import XCTest

/// The ring's byte accounting behind the reader-stop event's byte count (ZLMediaKit's on_flow_report).
final class FrameRingBytesTests: XCTestCase {
    private func frame(_ size: Int, key: Bool = false) -> BusFrame {
        BusFrame(track: 0, flags: key ? 1 : 0, pts: 0, dts: 0, payload: MediaBuffer(bytes: Array(repeating: UInt8(7), count: size)))
    }

    func testRunsAreCountedByOneSubtractionAcrossWrapAndEviction() {
        let ring = FrameRing(capacity: 8, softLimit: 8)
        for (i, size) in [10, 20, 30].enumerated() { ring.append(frame(size, key: i == 0), gopStart: i == 0) }
        XCTAssertEqual(ring.payloadBytes(from: 0, to: 3), 60)
        XCTAssertEqual(ring.payloadBytes(from: 1, to: 3), 50)
        XCTAssertEqual(ring.payloadBytes(from: 1, to: 2), 20)
        XCTAssertEqual(ring.payloadBytes(from: 2, to: 2), 0)
        // Past the capacity the oldest frames go; counts over what is left stay exact.
        for i in 0..<10 { ring.append(frame(100 + i), gopStart: false) }
        XCTAssertEqual(ring.head, 13)
        XCTAssertEqual(ring.tail, 5)
        XCTAssertEqual(ring.payloadBytes(from: 5, to: 13), (102...109).reduce(0) { $0 + Int64($1) })
        XCTAssertEqual(ring.payloadBytes(from: 11, to: 12), 108)
        XCTAssertEqual(ring.payloadBytes(from: 0, to: 13), 0, "a start already evicted is refused, not guessed")
    }
}
