import ArgumentParser
import Foundation
import MediaFormats
import NIOCore
import NIOPosix
import RtmpProtocol

/// Opens N players against a live stream and reports what each received: delivered bitrate, failures,
/// time to first video frame, and (with --server-pid) the server's CPU per delivered Gbit and RSS.
@main
struct LoadTool: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mediarouter-bench",
                                                    abstract: "Fan-out load tool: many HTTP-FLV/TS/fMP4, RTMP or RTSP/TCP players on one stream.")

    @Option(help: "http://host:port/app/stream.live.flv, rtmp://host:port/app/stream or rtsp://host:port/app/stream")
    var url: String

    @Option(help: "Number of players.")
    var players: Int = 100

    @Option(help: "Seconds to measure after every player has started.")
    var seconds: Int = 20

    @Option(help: "New players per second while ramping up.")
    var rampPerSecond: Int = 500

    @Option(help: "The stream's bitrate in kbit/s; a player passes when it receives at least 99% of it.")
    var expectKbps: Double = 0

    @Option(help: "Server process id, to report its CPU time and RSS.")
    var serverPid: Int32 = 0

    @Option(help: "Client event loops.")
    var threads: Int = 1

    func run() throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)

        guard let target = Target(url) else { throw ValidationError("unsupported URL \(url)") }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        defer { try? group.syncShutdownGracefully() }
        var stats: [PlayerStats] = []
        let started = Date()
        for i in 0..<players {
            let s = PlayerStats()
            stats.append(s)
            connect(target, stats: s, group: group)
            if (i + 1) % max(1, rampPerSecond / 20) == 0 { usleep(50_000) }
        }
        // Let the last players settle, then measure a window during which every player should be flowing.
        sleep(2)
        let before = stats.map { $0.bytes.load() }
        let cpu0 = ProcessStats.cpuSeconds(serverPid)
        let t0 = Date()
        sleep(UInt32(seconds))
        let window = Date().timeIntervalSince(t0)
        let cpu1 = ProcessStats.cpuSeconds(serverPid)
        let after = stats.map { $0.bytes.load() }
        let rss = ProcessStats.rssMB(serverPid)

        let kbps = zip(before, after).map { Double($1 - $0) * 8 / window / 1000 }.sorted()
        let failures = stats.filter { $0.failed.load() }.count
        let ttff = stats.compactMap { $0.firstFrameMs.load() }.sorted()
        let delivered = Double(after.reduce(0, +) - before.reduce(0, +)) * 8
        func pct(_ a: [Double], _ p: Double) -> Double { a.isEmpty ? 0 : a[min(a.count - 1, Int(Double(a.count) * p))] }
        print("players: \(players) (\(target.kind)), window \(String(format: "%.1f", window)) s, ramp took \(String(format: "%.1f", t0.timeIntervalSince(started) - 2)) s")
        print(String(format: "delivered kbit/s per player: min %.0f, p1 %.0f, median %.0f, max %.0f", kbps.first ?? 0, pct(kbps, 0.01), pct(kbps, 0.5), kbps.last ?? 0))
        if expectKbps > 0 {
            let ok = kbps.filter { $0 >= expectKbps * 0.99 }.count
            print("players at >= 99% of \(Int(expectKbps)) kbit/s: \(ok) of \(players)")
        }
        print("failures: \(failures)")
        print(String(format: "time to first video frame ms: p50 %.0f, p99 %.0f, max %.0f (%d players)",
                     pct(ttff.map(Double.init), 0.5), pct(ttff.map(Double.init), 0.99), Double(ttff.last ?? 0), ttff.count))
        print(String(format: "delivered: %.3f Gbit in the window", delivered / 1e9))
        if serverPid > 0, let cpu0, let cpu1 {
            let cpu = cpu1 - cpu0
            print(String(format: "server CPU: %.2f s in the window (%.0f%% of one core); %.1f ms per delivered Gbit; RSS %.0f MB",
                         cpu, cpu / window * 100, delivered > 0 ? cpu / (delivered / 1e9) * 1000 : 0, rss ?? 0))
        }
    }

    private func connect(_ target: Target, stats: PlayerStats, group: EventLoopGroup) {
        let started = NIODeadline.now()
        ClientBootstrap(group: group)
            .channelOption(.socketOption(.so_rcvbuf), value: 256 * 1024)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler: any ChannelInboundHandler & RemovableChannelHandler
                    switch target.kind {
                    case "rtmp": handler = RtmpPlayerHandler(target: target, stats: stats, started: started)
                    case "rtsp": handler = RtspPlayerHandler(target: target, stats: stats, started: started)
                    default: handler = FlvPlayerHandler(target: target, stats: stats, started: started)
                    }
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(host: target.host, port: target.port)
            .whenFailure { _ in stats.failed.store(true) }
    }
}

struct Target {
    let kind: String
    let host: String
    let port: Int
    let path: String     // HTTP path, or "app/stream" for RTMP
    let app: String
    let stream: String

    init?(_ url: String) {
        guard let u = URL(string: url), let scheme = u.scheme, let host = u.host else { return nil }
        kind = scheme
        self.host = host
        port = u.port ?? ["rtmp": 1935, "rtsp": 554][scheme] ?? 80
        path = u.path + (u.query.map { "?" + $0 } ?? "")
        let parts = u.path.split(separator: "/").map(String.init)
        app = parts.dropLast().joined(separator: "/")
        stream = parts.last ?? ""
        guard ["http", "rtmp", "rtsp"].contains(scheme) else { return nil }
    }
}

/// Counters one player updates on its loop and the main thread reads.
final class PlayerStats: @unchecked Sendable {
    let bytes = Counter()
    let failed = Flag()
    let firstFrameMs = OptionalInt()
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func add(_ n: Int) { lock.lock(); value += n; lock.unlock() }
    func load() -> Int { lock.lock(); defer { lock.unlock() }; return value }
}

final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func store(_ v: Bool) { lock.lock(); value = v; lock.unlock() }
    func load() -> Bool { lock.lock(); defer { lock.unlock() }; return value }
}

final class OptionalInt: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int?
    func storeIfNil(_ v: Int) { lock.lock(); if value == nil { value = v }; lock.unlock() }
    func load() -> Int? { lock.lock(); defer { lock.unlock() }; return value }
}

/// Reads /proc for the server's CPU time and resident memory.
enum ProcessStats {
    static func cpuSeconds(_ pid: Int32) -> Double? {
        guard pid > 0, let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let u = Double(fields[11]), let s = Double(fields[12]) else { return nil }
        return (u + s) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func rssMB(_ pid: Int32) -> Double? {
        guard pid > 0, let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Double(line.split(separator: " ").dropFirst().first ?? "0").map { $0 / 1024 }
        }
        return nil
    }
}

/// An HTTP-FLV player: sends the request, then walks FLV tags by their sizes to spot the first video tag.
final class FlvPlayerHandler: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    let target: Target
    let stats: PlayerStats
    let started: NIODeadline
    private var headerDone = false
    private var head = [UInt8]()
    private var skip = 13          // FLV file header + PreviousTagSize0
    private var tagHeader = [UInt8]()
    private var isFlv: Bool { !(target.path.contains(".live.ts") || target.path.contains(".live.mp4")) }

    init(target: Target, stats: PlayerStats, started: NIODeadline) {
        self.target = target
        self.stats = stats
        self.started = started
    }

    func channelActive(context: ChannelHandlerContext) {
        let req = "GET \(target.path) HTTP/1.1\r\nHost: \(target.host)\r\nConnection: close\r\n\r\n"
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(string: req)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buf = unwrapInboundIn(data)
        stats.bytes.add(buf.readableBytes)
        if !headerDone {
            head += buf.readBytes(length: buf.readableBytes) ?? []
            guard let end = head.firstRange(of: [13, 10, 13, 10]) else { return }
            guard head.starts(with: Array("HTTP/1.1 200".utf8)) else { stats.failed.store(true); context.close(promise: nil); return }
            headerDone = true
            let body = Array(head[end.upperBound...])
            // HTTP-TS and HTTP-fMP4 start at a keyframe: their first body bytes are the first frame's.
            if !isFlv, !body.isEmpty { stats.firstFrameMs.storeIfNil(Int((NIODeadline.now() - started).nanoseconds / 1_000_000)) }
            if isFlv { scan(body) }
            return
        }
        if stats.firstFrameMs.load() == nil, let bytes = buf.readBytes(length: buf.readableBytes) {
            if isFlv { scan(bytes) } else { stats.firstFrameMs.storeIfNil(Int((NIODeadline.now() - started).nanoseconds / 1_000_000)) }
        }
    }

    private func scan(_ bytes: [UInt8]) {
        var i = 0
        while i < bytes.count, stats.firstFrameMs.load() == nil {
            if skip > 0 {
                let n = min(skip, bytes.count - i)
                skip -= n
                i += n
                continue
            }
            tagHeader.append(bytes[i])
            i += 1
            if tagHeader.count == 11 {
                if tagHeader[0] == 9 {
                    stats.firstFrameMs.storeIfNil(Int((NIODeadline.now() - started).nanoseconds / 1_000_000))
                }
                skip = (Int(tagHeader[1]) << 16 | Int(tagHeader[2]) << 8 | Int(tagHeader[3])) + 4
                tagHeader.removeAll()
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) { stats.failed.store(true) }
    func errorCaught(context: ChannelHandlerContext, error: Error) { stats.failed.store(true); context.close(promise: nil) }
}

/// An RTMP player: simple handshake, connect, createStream, play; counts bytes and spots the first video
/// message.
final class RtmpPlayerHandler: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    let target: Target
    let stats: PlayerStats
    let started: NIODeadline
    private var handshake = [UInt8]()
    private var phase = 0
    private var parser = RtmpChunkParser()

    init(target: Target, stats: PlayerStats, started: NIODeadline) {
        self.target = target
        self.stats = stats
        self.started = started
    }

    private func send(_ context: ChannelHandlerContext, _ bytes: [UInt8]) {
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
    }

    private func command(_ values: [AMFValue], streamId: UInt32 = 0) -> [UInt8] {
        RtmpChunkWriter.chunks(csid: 3, timestamp: 0, type: RtmpMessage.commandAMF0, streamId: streamId,
                               payload: AMF0Encoder.encode(values)[...], chunkSize: 128)
    }

    func channelActive(context: ChannelHandlerContext) {
        send(context, [3] + [UInt8](repeating: 0, count: 1536))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buf = unwrapInboundIn(data)
        stats.bytes.add(buf.readableBytes)
        let bytes = buf.readBytes(length: buf.readableBytes) ?? []
        if phase == 0 {
            handshake += bytes
            guard handshake.count >= 1 + 2 * 1536 else { return }
            send(context, Array(handshake[1..<1537]))
            let tcUrl = "rtmp://\(target.host):\(target.port)/\(target.app)"
            send(context, command([.string("connect"), .number(1),
                                   .object([AMFPair("app", .string(target.app)), AMFPair("tcUrl", .string(tcUrl))])]))
            send(context, command([.string("createStream"), .number(2), .null]))
            send(context, command([.string("play"), .number(0), .null, .string(target.stream)], streamId: 1))
            phase = 1
            let rest = Array(handshake[(1 + 2 * 1536)...])
            handshake = []
            if !rest.isEmpty { feed(rest, context) }
            return
        }
        if stats.firstFrameMs.load() == nil { feed(bytes, context) }
    }

    /// Parses messages only until the first video frame: after that, counting bytes is enough.
    private func feed(_ bytes: [UInt8], _ context: ChannelHandlerContext) {
        parser.feed(bytes)
        do {
            while let m = try parser.next() {
                if m.type == RtmpMessage.video, m.payload.count > 1, m.payload[1] == 1 || m.payload[0] & 0x80 != 0 {
                    stats.firstFrameMs.storeIfNil(Int((NIODeadline.now() - started).nanoseconds / 1_000_000))
                    return
                }
            }
        } catch {
            stats.failed.store(true)
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) { stats.failed.store(true) }
    func errorCaught(context: ChannelHandlerContext, error: Error) { stats.failed.store(true); context.close(promise: nil) }
}
