import Foundation
import PluginABI
@testable import RouterCore
import XCTest

/// Commands between plugins (ABI 1.2), through the real C host table.
final class CommandTests: XCTestCase {
    /// What a handler saw, and what a caller got back.
    final class Log: @unchecked Sendable {
        let lock = NSLock()
        var calls: [(name: String, args: String)] = []
        var tickets: [OpaquePointer] = []
        var results: [(status: Int32, reply: String, loop: Int32)] = []
        var api: mr_host_api?
        var host: OpaquePointer?
        var answerAtOnce = true
    }

    private static let handler: mr_command_fn = { user, name, args, ticket in
        guard let user, let ticket else { return }
        let log = Unmanaged<Log>.fromOpaque(user).takeUnretainedValue()
        let n = name.map { String(cString: $0) } ?? ""
        let a = args.map { String(cString: $0) } ?? ""
        log.lock.lock()
        log.calls.append((n, a))
        let now = log.answerAtOnce
        if !now { log.tickets.append(ticket) }
        log.lock.unlock()
        if now { log.api?.command_answer(ticket, Int32(MR_OK), "{\"echo\":\(a)}") }
    }

    private static let done: mr_command_done_fn = { user, status, reply in
        guard let user else { return }
        let log = Unmanaged<Log>.fromOpaque(user).takeUnretainedValue()
        let loop = log.api.map { $0.loop_current(log.host) } ?? -2
        log.lock.lock()
        log.results.append((status, reply.map { String(cString: $0) } ?? "", loop))
        log.lock.unlock()
    }

    private func results(_ log: Log, count: Int) -> [(status: Int32, reply: String, loop: Int32)] {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            log.lock.lock()
            let r = log.results
            log.lock.unlock()
            if r.count >= count { return r }
            usleep(5000)
        }
        return log.results
    }

    func testCallReachesTheHandlerAndTheAnswerComesBackOnTheCallersLoop() {
        let t = TestHost()
        defer { t.shutdown() }
        let log = Log()
        log.api = t.api
        log.host = t.host
        let user = Unmanaged.passUnretained(log).toOpaque()
        XCTAssertEqual(t.api.command_register(t.host, "test.echo", Self.handler, user), Int32(MR_OK))
        XCTAssertEqual(t.api.command_call(t.host, "test.echo", "{\"a\":1}", 1, Self.done, user), Int32(MR_OK))
        let r = results(log, count: 1)
        XCTAssertEqual(r.count, 1)
        XCTAssertEqual(r.first?.status, Int32(MR_OK))
        XCTAssertEqual(r.first?.reply, "{\"echo\":{\"a\":1}}")
        XCTAssertEqual(r.first?.loop, 1, "delivered on the loop the caller named")
        XCTAssertEqual(log.calls.first?.name, "test.echo")
        // NULL arguments read as an empty object.
        XCTAssertEqual(t.api.command_call(t.host, "test.echo", nil, 0, Self.done, user), Int32(MR_OK))
        XCTAssertEqual(results(log, count: 2).last?.reply, "{\"echo\":{}}")
    }

    func testUnknownCommandsBadNamesAndNameClashesAreRefused() {
        let t = TestHost()
        defer { t.shutdown() }
        let log = Log()
        let user = Unmanaged.passUnretained(log).toOpaque()
        XCTAssertEqual(t.api.command_call(t.host, "nobody.offers", "{}", 0, Self.done, user), Int32(MR_ERR_NOT_FOUND))
        XCTAssertEqual(t.api.last_error().map { String(cString: $0) }, "no plugin offers command 'nobody.offers'")
        for bad in ["", "has space", "semi;colon", String(repeating: "x", count: 65)] {
            XCTAssertEqual(t.api.command_register(t.host, bad, Self.handler, user), Int32(MR_ERR_INVALID), bad)
        }
        XCTAssertEqual(t.api.command_register(t.host, "test.b-c_9", Self.handler, user), Int32(MR_OK))
        // Another plugin cannot take a name; the owner may register it again.
        let other = HostContext(name: "other", descriptor: t.ctx.descriptor, path: "-", config: [:], core: t.core)
        XCTAssertEqual(t.api.command_register(other.handle, "test.b-c_9", Self.handler, user), Int32(MR_ERR_INVALID))
        XCTAssertEqual(t.api.command_register(t.host, "test.b-c_9", Self.handler, user), Int32(MR_OK))
        // Management endpoints are shared: the first plugin to offer one keeps it.
        XCTAssertEqual(t.api.command_register(t.host, "api.hello", Self.handler, user), Int32(MR_OK))
        XCTAssertEqual(t.api.command_register(other.handle, "api.hello", Self.handler, user), Int32(MR_ERR_BUSY))
        XCTAssertEqual(t.core.commands.list().map(\.name), ["api.hello", "test.b-c_9"])
        t.core.commands.removeAll(ownedBy: t.ctx)
        XCTAssertTrue(t.core.commands.list().isEmpty, "a stopping plugin's commands vanish")
    }

    func testACommandNameMustCarryItsPluginsTableName() {
        let t = TestHost()
        defer { t.shutdown() }
        let log = Log()
        let user = Unmanaged.passUnretained(log).toOpaque()
        for foreign in ["vod.seek", "testx.echo", "test", "test.", "other.test.echo"] {
            XCTAssertEqual(t.api.command_register(t.host, foreign, Self.handler, user), Int32(MR_ERR_INVALID), foreign)
        }
        XCTAssertEqual(t.api.last_error().map { String(cString: $0) },
                       "command name 'other.test.echo' must start with 'test.' (the plugin's table name) or be a management endpoint 'api.<name>'")
        XCTAssertTrue(t.core.commands.list().isEmpty)
        XCTAssertEqual(t.api.command_register(t.host, "test.vod.seek", Self.handler, user), Int32(MR_OK))
    }

    func testAHandlerThatNeverAnswersTimesOutAndALateAnswerIsIgnored() {
        let t = TestHost()
        defer { t.shutdown() }
        t.core.commands.configure(timeoutMs: 100)
        let log = Log()
        log.api = t.api
        log.host = t.host
        log.answerAtOnce = false
        let user = Unmanaged.passUnretained(log).toOpaque()
        XCTAssertEqual(t.api.command_register(t.host, "test.slow", Self.handler, user), Int32(MR_OK))
        XCTAssertEqual(t.api.command_call(t.host, "test.slow", "{}", 0, Self.done, user), Int32(MR_OK))
        let r = results(log, count: 1)
        XCTAssertEqual(r.first?.status, Int32(MR_ERR))
        XCTAssertEqual(r.first?.reply, "{\"error\":\"timeout\"}")
        // The handler answers after the timeout: the ticket is freed, nothing more is delivered.
        log.lock.lock()
        let ticket = log.tickets.first
        log.lock.unlock()
        if let ticket { t.api.command_answer(ticket, Int32(MR_OK), "{}") }
        usleep(100_000)
        XCTAssertEqual(results(log, count: 1).count, 1)
    }
}
