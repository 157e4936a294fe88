import Foundation
import Glibc
import PluginABI
import PluginHarness
@_spi(PluginHarness) import RouterCore
import XCTest

/// The whole default-configuration write path for HTTP-FLV: the httpmux plugin loaded in-process on the
/// real host table, 100 players on real loopback sockets, one H.264 + AAC source. Each delivery is the bus
/// hop, the player's timestamp rewrite (PlayerTimeline, FlvTagRebase), its iovec (IovecBuilder) and the
/// host's conn_send_vec onto the socket (a direct sendmsg, TcpConnection+Direct). Budgets in FanoutBudget.
final class HttpFlvFanoutCostTests: XCTestCase {
    func testHundredHttpFlvPlayersCostNoAllocationPerDelivery() throws {
        let players = 100, stepsPerRun = 150, batch = 10
        try XCTSkipUnless(DeliveryCost.countsAllocations, "allocations are not counted in this build (sanitizer)")
        let port = try Self.freePort()
        let config = try ConfigDocument.parse(text: "[httpmux]\nport = \(port)\n", path: "guard").plugin("httpmux") ?? [:]
        let g = GuardCore()
        let pollers = g.pollers, embedded = g.embedded
        let plugin: InProcessPlugin
        do {
            plugin = try InProcessPlugin(path: PluginBinaries.path("httpmux"), config: config, core: g.core, api: embedded.api)
        } catch {
            g.shutdown()
            throw error
        }
        defer {
            plugin.stop()
            g.shutdown()
        }
        try plugin.start()

        let source = try SyntheticSource(embedded: embedded, app: "live", stream: "cam", tracks: [
            .h264(avcC: FanoutBudget.avcC, width: 176, height: 144), .aac(config: [0x12, 0x10], sampleRate: 44_100, channels: 2),
        ])
        defer { source.close() }
        let key = try source.buffer([0, 0, 0x03, 0xE4, 0x65] + [UInt8](repeating: 0x5A, count: 995))
        let inter = try source.buffer([0, 0, 0x03, 0xE4, 0x41] + [UInt8](repeating: 0x5B, count: 995))
        let audio = try source.buffer([0x21] + [UInt8](repeating: 0x5C, count: 199))
        defer { source.release([key, inter, audio]) }
        var step = 0
        func writeStep() {
            source.write(track: 0, pts: Int64(step) * 40_000, key: step % 50 == 0, step % 50 == 0 ? key : inter)
            source.write(track: 1, pts: Int64(step) * 40_000 + 20_000, key: false, audio)
            step += 1
        }
        writeStep()
        DeliveryCost.settle(pollers)

        let sockets = try PlayerSockets(port: port, count: players,
                                        request: "GET /live/cam.live.flv HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: guard\r\n\r\n")
        defer { sockets.close() }
        XCTAssertTrue(sockets.read(until: { $0.received.allSatisfy { $0 > 0 } }), "every player got its response head and first tags")
        // Payload bytes each player gets per step: a lower bound on what it reads (tag headers come on top).
        let perStep = 1000 + 200
        var runs: [DeliveryCost] = []
        for _ in 0..<3 {
            let start = sockets.received
            var stalled = false
            runs.append(DeliveryCost.measure(pollers, frames: 2 * stepsPerRun, deliveries: 2 * stepsPerRun * players) {
                // In batches, reading as the loops write, so no socket fills up and NIO never queues.
                for done in stride(from: batch, through: stepsPerRun, by: batch) {
                    for _ in 0..<batch { writeStep() }
                    let ok = sockets.read(until: { s in s.received.indices.allSatisfy { s.received[$0] - start[$0] >= done * perStep } })
                    if !ok { stalled = true }
                }
            })
            XCTAssertFalse(stalled, "every player read every frame")
        }
        let best = DeliveryCost.best(of: runs)
        print("HTTP-FLV fan-out, \(players) players: \(best)")
        XCTAssertLessThanOrEqual(best.allocationsPerDelivery, FanoutBudget.httpFlvAllocationsPerDelivery, "\(best)")
        XCTAssertLessThanOrEqual(best.userNsPerDelivery, FanoutBudget.httpFlvUserNsPerDelivery, "\(best)")
    }

    /// A port nothing listens on now (the kernel's pick for a socket bound to port 0).
    static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw PlayerSockets.Failure(description: "no free port: errno \(errno)") }
        return UInt16(bigEndian: addr.sin_port)
    }
}
