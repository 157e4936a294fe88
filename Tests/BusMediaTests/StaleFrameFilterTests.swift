import BusMedia
import PluginABI
import XCTest

final class StaleFrameFilterTests: XCTestCase {
    private func frame(dtsMs: Int64) -> mr_frame { mr_frame(track: 0, flags: 0, pts: dtsMs * 1000, dts: dtsMs * 1000, payload: nil) }

    /// Audio stored after the starting keyframe but a little older than it is dropped; what follows is not.
    func testDropsFramesJustBeforeTheStart() {
        var f = StaleFrameFilter()
        XCTAssertTrue(f.admits(frame(dtsMs: 10_000)))
        XCTAssertFalse(f.admits(frame(dtsMs: 9_930)))
        XCTAssertFalse(f.admits(frame(dtsMs: 9_999)))
        XCTAssertTrue(f.admits(frame(dtsMs: 10_000)))
        XCTAssertTrue(f.admits(frame(dtsMs: 10_023)))
        XCTAssertEqual(f.dropped, 2)
    }

    /// A clock that restarted (far older frames) is not interleaving: those frames go through.
    func testLetsAClockRestartThrough() {
        var f = StaleFrameFilter()
        XCTAssertTrue(f.admits(frame(dtsMs: 60_000)))
        XCTAssertTrue(f.admits(frame(dtsMs: 0)))
        XCTAssertTrue(f.admits(frame(dtsMs: 40)))
    }

    /// Dropping is bounded: a source whose stamps go back a little for good still plays after 64 frames.
    func testDropsAtMost64Frames() {
        var f = StaleFrameFilter()
        XCTAssertTrue(f.admits(frame(dtsMs: 1_000)))
        let admitted = (0..<100).filter { _ in f.admits(frame(dtsMs: 900)) }.count
        XCTAssertEqual(admitted, 36)
    }
}
