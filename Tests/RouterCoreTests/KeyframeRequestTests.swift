import Foundation
@preconcurrency import PluginABI
import XCTest
@testable import RouterCore

/// ABI 1.4: a reader asks the source's publisher for a keyframe; the core forwards at most one request per
/// source per 500 ms to the handler the publisher set, on the loop that set it.
final class KeyframeRequestTests: XCTestCase {
    /// Counts handler calls and the loop each ran on.
    private final class Handler: @unchecked Sendable {
        private let lock = NSLock()
        private var loops: [Int?] = []
        let pollers: Pollers
        init(_ pollers: Pollers) { self.pollers = pollers }
        var calls: [Int?] { lock.lock(); defer { lock.unlock() }; return loops }
        func called() { let i = pollers.currentIndex(); lock.lock(); loops.append(i); lock.unlock() }
        var user: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }
        static let fn: mr_task_fn = { user in
            guard let user else { return }
            Unmanaged<Handler>.fromOpaque(user).takeUnretainedValue().called()
        }
    }

    private func onLoop<T>(_ t: TestHost, _ loop: Int, _ body: @escaping () -> T) throws -> T {
        let box = UnsafeSendableBox(body)
        return try t.core.pollers.loops[loop].submit { UnsafeSendableBox(box.value()) }.wait().value
    }

    private func setHandler(_ t: TestHost, _ source: OpaquePointer, _ h: Handler?, loop: Int) throws -> Int32 {
        let api = t.api
        return try onLoop(t, loop) { api.source_set_keyframe_handler(source, h == nil ? nil : Handler.fn, h?.user) }
    }

    private func request(_ t: TestHost, _ reader: OpaquePointer, loop: Int) throws -> Int32 {
        let api = t.api
        return try onLoop(t, loop) { api.reader_request_keyframe(reader) }
    }

    private func startedReader(_ t: TestHost, _ stream: String, loop: Int32) throws -> OpaquePointer {
        let c = Collector()
        XCTAssertEqual(c.open(t, "live", stream, loop: loop), Int32(MR_OK))
        XCTAssertTrue(waitUntil { c.snapshot.events.contains(Int32(bitPattern: MR_READER_STARTED.rawValue)) })
        return try XCTUnwrap(c.reader)
    }

    func testRequestsReachThePublishersHandlerOnItsLoopAtMostOncePerInterval() throws {
        let t = TestHost(threads: 2)
        defer { t.shutdown() }
        let source = try XCTUnwrap(t.publish("live", "kf"))
        let reader = try startedReader(t, "kf", loop: 0)
        XCTAssertEqual(try request(t, reader, loop: 0), Int32(MR_ERR_UNSUPPORTED), "no handler: nobody to ask")

        let h = Handler(t.core.pollers)
        XCTAssertEqual(try setHandler(t, source, h, loop: 1), Int32(MR_OK))
        XCTAssertEqual(try request(t, reader, loop: 0), Int32(MR_OK))
        XCTAssertEqual(try request(t, reader, loop: 0), Int32(MR_ERR_BUSY), "inside 500 ms: absorbed")
        XCTAssertTrue(waitUntil { h.calls.count == 1 })
        XCTAssertEqual(h.calls, [1], "on the loop that set the handler, not the reader's")

        // A second reader of the same source shares the limit: one keyframe serves both.
        let other = try startedReader(t, "kf", loop: 1)
        XCTAssertEqual(try request(t, other, loop: 1), Int32(MR_ERR_BUSY))
        usleep(550_000)
        XCTAssertEqual(try request(t, other, loop: 1), Int32(MR_OK))
        XCTAssertTrue(waitUntil { h.calls.count == 2 })
        t.sync()
        XCTAssertEqual(h.calls.count, 2)
        let described = try XCTUnwrap(t.core.bus.source(StreamKey(app: "live", stream: "kf"))?.describe())
        XCTAssertEqual(described["keyframe_requests"] as? Int64, 2)
    }

    func testAClearedHandlerIsNotCalledEvenForARequestAlreadyQueued() throws {
        let t = TestHost(threads: 2)
        defer { t.shutdown() }
        let source = try XCTUnwrap(t.publish("live", "clear"))
        let reader = try startedReader(t, "clear", loop: 1)
        let h = Handler(t.core.pollers)
        XCTAssertEqual(try setHandler(t, source, h, loop: 0), Int32(MR_OK))
        let api = t.api
        // The request is queued to loop 0 behind this task, which then clears the handler (a session ending).
        let rc = try onLoop(t, 0) { () -> Int32 in
            let rc = api.reader_request_keyframe(reader)
            _ = api.source_set_keyframe_handler(source, nil, nil)
            return rc
        }
        XCTAssertEqual(rc, Int32(MR_OK))
        t.sync()
        XCTAssertEqual(h.calls, [], "cleared before the queued request ran: its user pointer may be gone")
    }

    func testThePublishersHandlerEndsWithItAndAReturningPublisherSetsItsOwn() throws {
        var settings = BusSettings()
        settings.reconnectWindowMs = 3000
        let t = TestHost(threads: 2, bus: settings)
        defer { t.shutdown() }
        let first = try XCTUnwrap(t.publish("live", "back"))
        t.write(first, seq: 0, key: true, loop: 0)
        let reader = try startedReader(t, "back", loop: 1)
        let h1 = Handler(t.core.pollers)
        XCTAssertEqual(try setHandler(t, first, h1, loop: 0), Int32(MR_OK))
        t.closeSource(first, loop: 0)
        XCTAssertEqual(try request(t, reader, loop: 1), Int32(MR_ERR_NOT_FOUND), "inside the reconnect window: no publisher")

        let second = try XCTUnwrap(t.publish("live", "back", loop: 1))
        XCTAssertEqual(try request(t, reader, loop: 1), Int32(MR_ERR_UNSUPPORTED), "the first one's handler left with it")
        let h2 = Handler(t.core.pollers)
        XCTAssertEqual(try setHandler(t, second, h2, loop: 1), Int32(MR_OK))
        XCTAssertEqual(try request(t, reader, loop: 1), Int32(MR_OK))
        XCTAssertTrue(waitUntil { h2.calls == [1] })
        XCTAssertEqual(h1.calls, [])
    }

    func testAnUnpublishedStreamHasNobodyToAsk() throws {
        let t = TestHost()
        defer { t.shutdown() }
        let c = Collector()
        XCTAssertEqual(c.open(t, "live", "later", loop: 0, waitMs: 2000), Int32(MR_OK))
        let reader = try XCTUnwrap(c.reader)
        XCTAssertEqual(try request(t, reader, loop: 0), Int32(MR_ERR_NOT_FOUND))
    }
}
