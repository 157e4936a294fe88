import Atomics
import PluginABI
import RouterCore
import XCTest

/// The bus alone: one source on loop 0, 100 readers spread over two loops, each counting what it gets.
/// Allocations must stay O(loops) per frame (none per delivery) and the loops' user CPU per delivery
/// under its budget (FanoutBudget).
final class BusFanoutCostTests: XCTestCase {
    /// One reader's count (relaxed atomic: written on the reader's loop, read by the test at the end).
    final class Counter: Sendable {
        let loopIndex: Int
        let frames = ManagedAtomic<Int>(0)
        init(loopIndex: Int) { self.loopIndex = loopIndex }
    }

    func testHundredReadersCostNoAllocationPerDelivery() throws {
        let readers = 100, framesPerRun = 400
        try XCTSkipUnless(DeliveryCost.countsAllocations, "allocations are not counted in this build (sanitizer)")
        let g = GuardCore()
        defer { g.shutdown() }
        let pollers = g.pollers, embedded = g.embedded
        let source = try SyntheticSource(embedded: embedded, app: "guard", stream: "bus",
                                         tracks: [.h264(avcC: FanoutBudget.avcC)])
        let api = embedded.api.pointee
        var counters: [Counter] = []
        var cbs = mr_reader_callbacks()
        cbs.size = UInt32(MemoryLayout<mr_reader_callbacks>.size)
        cbs.on_frames = { user, _, _, count in
            guard let user else { return }
            Unmanaged<Counter>.fromOpaque(user).takeUnretainedValue().frames.wrappingIncrement(by: count, ordering: .relaxed)
        }
        cbs.on_event = { _, _, _, _ in }
        for i in 0..<readers {
            let c = Counter(loopIndex: i % pollers.count)
            counters.append(c)
            var options = mr_reader_options()
            options.size = UInt32(MemoryLayout<mr_reader_options>.size)
            options.loop = Int32(c.loopIndex)
            options.wait_ms = 1000
            var reader: OpaquePointer?
            let rc = "guard".withCString { a in "bus".withCString { s in
                var key = mr_stream_key(vhost: nil, app: a, stream: s)
                return api.reader_open(embedded.host, &key, &options, &cbs, Unmanaged.passUnretained(c).toOpaque(), &reader)
            } }
            XCTAssertEqual(rc, Int32(MR_OK))
        }
        let payload = try source.buffer([0, 0, 0x03, 0xE4, 0x65] + [UInt8](repeating: 0x5A, count: 995))
        defer { source.release([payload]) }

        var runs: [DeliveryCost] = []
        var written = 0
        for _ in 0..<3 {
            runs.append(DeliveryCost.measure(pollers, frames: framesPerRun, deliveries: framesPerRun * readers) {
                for _ in 0..<framesPerRun {
                    source.write(track: 0, pts: Int64(written) * 40_000, key: written % 50 == 0, payload)
                    written += 1
                }
            })
        }
        XCTAssertTrue(counters.allSatisfy { $0.frames.load(ordering: .relaxed) == written }, "every reader got all \(written) frames")
        source.close()
        let best = DeliveryCost.best(of: runs)
        print("bus fan-out, \(readers) readers: \(best)")
        XCTAssertLessThanOrEqual(best.allocationsPerDelivery, FanoutBudget.busAllocationsPerDelivery, "\(best)")
        XCTAssertLessThanOrEqual(best.userNsPerDelivery, FanoutBudget.busUserNsPerDelivery, "\(best)")
        withExtendedLifetime(counters) {}
    }
}
