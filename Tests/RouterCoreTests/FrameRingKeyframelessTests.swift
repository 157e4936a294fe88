@testable import RouterCore
import XCTest

/// A source that never sends a keyframe: nothing in its ring can start a reader, so the ring keeps no more
/// than its soft limit (`gop_cache_frames`), not its hard capacity (`ring_frames`).
final class FrameRingKeyframelessTests: XCTestCase {
    private func frame() -> BusFrame {
        BusFrame(track: 0, flags: 0, pts: 0, dts: 0, payload: MediaBuffer(bytes: Array(repeating: UInt8(7), count: 100)))
    }

    func testFramesWithoutAnyGopStartAreTrimmedToTheSoftLimit() {
        let ring = FrameRing(capacity: 64, softLimit: 16)
        for _ in 0..<200 { ring.append(frame(), gopStart: false) }
        XCTAssertEqual(ring.count, 16)
        XCTAssertEqual(ring.head, 200)
        XCTAssertEqual(ring.totalBytes, 20_000, "the byte total counts every frame that passed")
        XCTAssertEqual(ring.payloadBytes(from: 184, to: 200), 1600)
        XCTAssertNil(ring.lastGopStart)
    }

    func testTheNewestGopIsStillKeptWholeBeyondTheSoftLimit() {
        let ring = FrameRing(capacity: 64, softLimit: 16)
        for _ in 0..<10 { ring.append(frame(), gopStart: false) }
        ring.append(frame(), gopStart: true)
        for _ in 0..<40 { ring.append(frame(), gopStart: false) }
        XCTAssertEqual(ring.tail, 10, "the GOP of 41 frames stays, only what precedes it goes")
        XCTAssertEqual(ring.lastGopStart, 10)
        // That GOP outgrows the capacity: its start is evicted, and then the soft limit applies again.
        for _ in 0..<40 { ring.append(frame(), gopStart: false) }
        XCTAssertNil(ring.lastGopStart)
        XCTAssertEqual(ring.count, 16)
    }
}
