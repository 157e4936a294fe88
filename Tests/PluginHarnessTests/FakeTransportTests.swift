import Foundation
import PluginABI
import PluginHarness
import XCTest

/// The harness's own fakes, checked with a small C plugin built here against the header: UDP echo,
/// gathered sends, closes from either side, and timers (repeating, one-shot, cancelled) on the virtual clock.
final class FakeTransportTests: XCTestCase {
    static let source = """
    #include <mediarouter_plugin.h>
    #include <string.h>
    static const mr_host_api *api; static mr_host *host;
    static mr_timer *tick; static mr_udp *udp; static mr_listener *listener;
    static void on_datagram(void *u, mr_udp *s, const uint8_t *d, size_t n, const struct sockaddr *from, socklen_t len) {
        (void)u; mr_buf *b = api->buf_copy(d, n); api->udp_send(s, from, len, &b, 1); api->buf_release(b);
    }
    static void on_open(void *u, mr_conn *c) { (void)u; api->stat_add(host, "opened", 1); (void)c; }
    static void on_data(void *u, mr_conn *c, const uint8_t *d, size_t n) {
        (void)u;
        if (n == 5 && memcmp(d, "close", 5) == 0) { api->conn_close(c, 0); return; }
        mr_buf *b = api->buf_copy(d, n);
        mr_iovec v[3] = {{NULL, 0, 5, "echo:"}, {b, 1, n - 1, NULL}, {NULL, 0, 1, "!"}};
        api->conn_send_vec(c, v, 3); api->buf_release(b);
    }
    static void on_close(void *u, mr_conn *c, int32_t reason, const char *m) { (void)u; (void)c; (void)m; api->stat_set(host, "close_reason", reason); }
    static void on_tick(void *u, mr_timer *t) { (void)u; (void)t; api->stat_add(host, "ticks", 1); api->stat_set(host, "tick_at_ms", api->now_us() / 1000); }
    static void on_stop_ticking(void *u, mr_timer *t) { (void)u; (void)t; api->timer_cancel(tick); api->stat_add(host, "stopped", 1); }
    static mr_status my_init(mr_host *h, const mr_host_api *a, void **state) { host = h; api = a; *state = NULL; return MR_OK; }
    static mr_status my_start(void *s) {
        (void)s;
        mr_udp_options uo; memset(&uo, 0, sizeof uo); uo.size = sizeof uo; uo.loop = -1;
        mr_udp_callbacks ucb; memset(&ucb, 0, sizeof ucb); ucb.size = sizeof ucb; ucb.on_datagram = on_datagram;
        if (api->udp_bind(host, &uo, &ucb, NULL, &udp) != MR_OK) return MR_ERR;
        mr_listen_options lo; memset(&lo, 0, sizeof lo); lo.size = sizeof lo; lo.port = (uint16_t)api->config_int(host, "port", 0);
        mr_conn_callbacks ccb; memset(&ccb, 0, sizeof ccb); ccb.size = sizeof ccb;
        ccb.on_open = on_open; ccb.on_data = on_data; ccb.on_close = on_close;
        if (api->tcp_listen(host, &lo, &ccb, NULL, &listener) != MR_OK) return MR_ERR;
        tick = api->timer_start(host, 0, 100, 100, on_tick, NULL);
        api->timer_start(host, 0, 250, 0, on_stop_ticking, NULL);
        return MR_OK;
    }
    static mr_plugin_descriptor d;
    const mr_plugin_descriptor *mr_plugin_entry_v1(void) {
        memset(&d, 0, sizeof d);
        d.size = sizeof d; d.abi_major = MR_ABI_MAJOR; d.abi_minor = MR_ABI_MINOR;
        d.name = "fakeprobe"; d.version = "1"; d.init = my_init; d.start = my_start;
        return &d;
    }
    """

    private var harness: PluginHarness?

    override func tearDown() {
        harness?.shutdown()
        harness = nil
    }

    private func start() throws -> PluginHarness {
        let header = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/PluginABI/include").path
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mr-harness-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let src = dir.appendingPathComponent("fakeprobe.c"), out = dir.appendingPathComponent("libmrplugin_fakeprobe.so")
        try Self.source.write(to: src, atomically: true, encoding: .utf8)
        let cc = Process()
        cc.executableURL = URL(fileURLWithPath: "/usr/bin/cc")
        cc.arguments = ["-shared", "-fPIC", "-Wall", "-Werror", "-I", header, "-o", out.path, src.path]
        try cc.run()
        cc.waitUntilExit()
        XCTAssertEqual(cc.terminationStatus, 0, "cc failed")
        let h = try PluginHarness(plugin: "fakeprobe", config: "port = 7000", path: out.path)
        harness = h
        return h
    }

    func testUdpDatagramsReachThePluginAndItsRepliesAreRecorded() throws {
        let h = try start()
        let sock = try XCTUnwrap(h.udpSockets.first)
        XCTAssertNotEqual(sock.port, 0, "port 0 gets a fake free port")
        sock.deliver([1, 2, 3], from: "10.1.2.3", port: 5004)
        XCTAssertEqual(sock.takeSent(), [Datagram(address: "10.1.2.3", port: 5004, bytes: [1, 2, 3])])
        XCTAssertEqual(sock.takeSent(), [], "taken once")
    }

    func testGatheredSendKeepsPiecesInOrderAndPluginCloseIsReported() throws {
        let h = try start()
        XCTAssertEqual(h.listeners.map(\.port), [7000], "the configured port")
        let c = try h.connect(port: 7000)
        XCTAssertEqual(h.stats["opened"], 1)
        c.feed("xhello")
        XCTAssertEqual(String(decoding: c.sent, as: UTF8.self), "echo:hello!", "inline, buffer range, inline")
        c.feed("close")
        h.runLoops()
        XCTAssertTrue(c.closedByPlugin)
        XCTAssertEqual(c.closeReason, Int32(MR_CLOSE_LOCAL.rawValue))
        XCTAssertEqual(h.stats["close_reason"], Int64(MR_CLOSE_LOCAL.rawValue), "on_close came after conn_close")
        c.feed("late")
        XCTAssertEqual(String(decoding: c.sent, as: UTF8.self), "echo:hello!", "nothing reaches a closed connection")
    }

    func testPeerCloseAndShutdownCloseReachThePlugin() throws {
        let h = try start()
        let c = try h.connect()
        c.close()
        XCTAssertEqual(h.stats["close_reason"], Int64(MR_CLOSE_PEER.rawValue))
        XCTAssertFalse(c.closedByPlugin)
        let open = try h.connect()
        h.shutdown()
        XCTAssertEqual(open.closeReason, Int32(MR_CLOSE_SHUTDOWN.rawValue))
    }

    func testTimersFireInDueOrderOnlyWhenTheClockMoves() throws {
        let h = try start()
        let start = h.clock.nowUs / 1000
        h.runLoops()
        XCTAssertNil(h.stats["ticks"], "no time has passed")
        h.advance(ms: 99)
        XCTAssertNil(h.stats["ticks"])
        h.advance(ms: 1)
        XCTAssertEqual(h.stats["ticks"], 1)
        XCTAssertEqual(h.stats["tick_at_ms"], start + 100, "now_us stands at the timer's due time")
        h.advance(ms: 10_000)
        XCTAssertEqual(h.stats["ticks"], 2, "the one-shot at 250 ms cancelled the 100 ms ticker after its second tick")
        XCTAssertEqual(h.stats["stopped"], 1)
        XCTAssertEqual(h.clock.armedTimers, 0)
        XCTAssertEqual(h.clock.nowUs / 1000, start + 10_100)
    }

    func testConnectingWhereNoListenerIsThrows() throws {
        let h = try start()
        XCTAssertThrowsError(try h.connect(port: 7001), "no listener there")
    }
}
