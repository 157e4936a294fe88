import Foundation
@preconcurrency import PluginABI
import XCTest
@testable import RouterCore

/// ABI 1.3 clock references: a publisher's NTP <-> pts mapping per track, read by players.
final class ClockReferenceTests: XCTestCase {
    private func readRef(_ t: TestHost, _ reader: OpaquePointer, track: UInt32, size: Int) throws -> (Int32, mr_clock_ref) {
        try t.core.pollers.loops[1].submit {
            var out = mr_clock_ref()
            out.size = UInt32(size)
            out.updated_us = -1
            let rc = t.api.reader_clock_ref(reader, track, &out)
            return UnsafeSendableBox((rc, out))
        }.wait().value
    }

    func testReadersSeeThePublishersLatestReferenceUntilAnotherPublisherTakesOver() throws {
        let t = TestHost()
        defer { t.shutdown() }
        let source = try XCTUnwrap(t.publish("live", "clock"))
        let c = Collector()
        XCTAssertEqual(c.open(t, "live", "clock", loop: 1), Int32(MR_OK))
        XCTAssertTrue(waitUntil { c.snapshot.events.contains(Int32(bitPattern: MR_READER_STARTED.rawValue)) })
        let reader = try XCTUnwrap(c.reader)
        XCTAssertEqual(try readRef(t, reader, track: 0, size: MemoryLayout<mr_clock_ref>.size).0, Int32(MR_ERR_NOT_FOUND))

        var ref = mr_clock_ref(size: UInt32(MemoryLayout<mr_clock_ref>.size), pts: 1_000_000, ntp: 0xE8A1_0000_8000_0000, updated_us: 0)
        XCTAssertEqual(t.api.source_set_clock_ref(source, 0, &ref), Int32(MR_OK))
        XCTAssertEqual(t.api.source_set_clock_ref(source, 1, &ref), Int32(MR_ERR_INVALID), "one track only")
        ref.pts = 2_000_000
        ref.ntp = 0xE8A1_0001_8000_0000
        XCTAssertEqual(t.api.source_set_clock_ref(source, 0, &ref), Int32(MR_OK), "a newer sender report replaces it")
        let (rc, got) = try readRef(t, reader, track: 0, size: MemoryLayout<mr_clock_ref>.size)
        XCTAssertEqual(rc, Int32(MR_OK))
        XCTAssertEqual([got.pts, Int64(bitPattern: got.ntp)], [2_000_000, Int64(bitPattern: 0xE8A1_0001_8000_0000)])
        XCTAssertGreaterThan(got.updated_us, 0)
        XCTAssertEqual(try readRef(t, reader, track: 1, size: MemoryLayout<mr_clock_ref>.size).0, Int32(MR_ERR_NOT_FOUND))

        // A reader built before updated_us existed gets only the bytes it has room for.
        let short = try readRef(t, reader, track: 0, size: MemoryLayout<mr_clock_ref>.offset(of: \.updated_us)!)
        XCTAssertEqual(short.1.ntp, 0xE8A1_0001_8000_0000)
        XCTAssertEqual(short.1.updated_us, -1)
        XCTAssertEqual(short.1.size, UInt32(MemoryLayout<mr_clock_ref>.offset(of: \.updated_us)!))

        // A new publisher's capture clock is another one: its references start empty.
        var options = mr_source_options()
        options.size = UInt32(MemoryLayout<mr_source_options>.size)
        options.takeover = 1
        options.loop = 0
        var second: OpaquePointer?
        let opened = "live".withCString { a in "clock".withCString { s in
            var key = mr_stream_key(vhost: nil, app: a, stream: s)
            return t.api.source_open(t.host, &key, &options, &second)
        } }
        XCTAssertEqual(opened, Int32(MR_OK))
        XCTAssertEqual(try readRef(t, reader, track: 0, size: MemoryLayout<mr_clock_ref>.size).0, Int32(MR_ERR_NOT_FOUND))
    }
}
