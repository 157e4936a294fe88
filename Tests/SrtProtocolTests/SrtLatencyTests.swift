import SrtProtocol
import XCTest

/// ZLMediaKit's latencyMul rule on libsrt: max(latency, RTT × latency_mul), the peer's latency winning when
/// larger, and the per-address RTT table it reads.
final class SrtLatencyTests: XCTestCase {
    func testOfferedIsTheConfiguredFloorOrRttTimesMultiplier() {
        XCTAssertEqual(SrtLatency.offered(configuredMs: 120, multiplier: 4, rttMs: nil), 120, "unknown peer")
        XCTAssertEqual(SrtLatency.offered(configuredMs: 120, multiplier: 4, rttMs: 10), 120, "4 x 10 ms is under the floor")
        XCTAssertEqual(SrtLatency.offered(configuredMs: 120, multiplier: 4, rttMs: 80.2), 321, "rounded up")
        XCTAssertEqual(SrtLatency.offered(configuredMs: 500, multiplier: 4, rttMs: 80), 500)
        XCTAssertEqual(SrtLatency.offered(configuredMs: 120, multiplier: 0, rttMs: 300), 120, "multiplier 0 turns it off")
        XCTAssertEqual(SrtLatency.offered(configuredMs: 120, multiplier: 4, rttMs: .infinity), 120)
        XCTAssertEqual(SrtLatency.offered(configuredMs: 120, multiplier: 4, rttMs: .nan), 120)
        XCTAssertEqual(SrtLatency.offered(configuredMs: 120, multiplier: 100, rttMs: 1e9), SrtLatency.maxMs, "capped")
        XCTAssertEqual(SrtLatency.offered(configuredMs: -5, multiplier: 4, rttMs: nil), 0)
        // libsrt agrees on the larger of both sides: a caller asking 200 ms against our 120 gets 200.
        XCTAssertEqual(SrtLatency.agreed(offeredMs: 120, peerMs: 200), 200)
        XCTAssertEqual(SrtLatency.agreed(offeredMs: 321, peerMs: 200), 321)
    }

    func testPeerRttsHoldTheLargerAgeAndStayBounded() {
        var t = SrtPeerRtts(capacity: 2, maxAgeMs: 60_000, holdMs: 10_000)
        t.record("10.0.0.1", rttMs: 80, nowMs: 0)
        t.record("10.0.0.1", rttMs: 1, nowMs: 1_000)
        XCTAssertEqual(t.rtt("10.0.0.1", nowMs: 2_000), 80, "a smaller RTT from the same address waits for the hold")
        t.record("10.0.0.1", rttMs: 1, nowMs: 10_500)
        XCTAssertEqual(t.rtt("10.0.0.1", nowMs: 10_500), 1, "after the hold the latest counts")
        t.record("10.0.0.1", rttMs: 90, nowMs: 11_000)
        XCTAssertEqual(t.rtt("10.0.0.1", nowMs: 11_000), 90, "a larger one replaces at once")
        XCTAssertNil(t.rtt("10.0.0.1", nowMs: 80_000), "too old")
        XCTAssertNil(t.rtt("10.0.0.9", nowMs: 0))

        t.record("10.0.0.2", rttMs: 5, nowMs: 12_000)
        t.record("10.0.0.3", rttMs: 7, nowMs: 13_000)
        XCTAssertEqual(t.count, 2, "bounded")
        XCTAssertNil(t.rtt("10.0.0.1", nowMs: 13_000), "the oldest address made room")
        XCTAssertEqual(t.rtt("10.0.0.3", nowMs: 13_000), 7)

        t.record("", rttMs: 5, nowMs: 0)
        t.record("10.0.0.4", rttMs: -1, nowMs: 14_000)
        t.record(String(repeating: "x", count: 100), rttMs: 5, nowMs: 14_000)
        XCTAssertNil(t.rtt("10.0.0.4", nowMs: 14_000), "no RTT is not a measurement")
        XCTAssertEqual(t.count, 2)
    }

    func testAddressOfAPeer() {
        XCTAssertEqual(SrtPeerRtts.address("127.0.0.1:5000"), "127.0.0.1")
        XCTAssertEqual(SrtPeerRtts.address("[::1]:5000"), "::1")
        XCTAssertEqual(SrtPeerRtts.address("?"), "?")
        XCTAssertEqual(SrtPeerRtts.address("host:notaport"), "host:notaport")
    }
}
