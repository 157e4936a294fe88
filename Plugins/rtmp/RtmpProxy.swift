import BusMedia
import MediaFormats
import MRPluginKit
import PluginABI
import RtmpProtocol

/// A pull (remote RTMP stream into the bus) or push (bus stream to a remote RTMP server) that keeps
/// itself connected: after a failure it waits 1 s, then 2, 4, ... up to 30 s, and starts over at 1 s once a
/// connection has streamed for 10 s.
final class RtmpProxy: @unchecked Sendable {
    enum Mode { case pull, push }

    let host: PluginHost
    let mode: Mode
    let url: RtmpURL
    let urlText: String
    let app: String
    let stream: String
    private var backoffMs: Int64 = 1000
    private var retry: OpaquePointer?
    /// Weak: the connection owns its session, and the session keeps its proxy alive while it runs.
    private(set) weak var session: RtmpClientSession?
    private var stopped = false

    init?(host: PluginHost, mode: Mode, spec: String) {
        // "app/stream=rtmp://host/app/stream"
        guard let eq = spec.firstIndex(of: "=") else { return nil }
        let name = spec[..<eq].split(separator: "/").map(String.init)
        guard name.count >= 2, let url = RtmpURL(String(spec[spec.index(after: eq)...])) else { return nil }
        self.host = host
        self.mode = mode
        self.url = url
        self.urlText = String(spec[spec.index(after: eq)...])
        self.app = name.dropLast().joined(separator: "/")
        self.stream = name.last ?? ""
    }

    var label: String { "\(mode == .pull ? "pull" : "push") \(app)/\(stream) \(mode == .pull ? "<-" : "->") \(urlText)" }

    func start() {
        guard !stopped else { return }
        var options = mr_connect_options()
        options.size = UInt32(MemoryLayout<mr_connect_options>.size)
        options.port = UInt16(url.port)
        options.timeout_ms = 5000
        options.loop = -1
        var cbs = ConnectionBridge.callbacks()
        let factory = SessionFactory(proxy: self)
        let rc = url.host.withCString { h in
            options.host = h
            return host.table.tcp_connect(host.host, &options, &cbs, Unmanaged.passRetained(factory).toOpaque())
        }
        if rc != MR_OK { failed("connect failed: \(host.lastError)") }
    }

    /// Called on the session's loop when a session ends (or the connect failed).
    func failed(_ why: String) {
        session = nil
        guard !stopped else { return }
        host.log(MR_LOG_WARNING, "\(label): \(why); retrying in \(backoffMs) ms")
        // The pending retry holds the proxy, so a plugin stop that drops its list cannot free it under the timer.
        retry = host.table.timer_start(host.host, -1, backoffMs, 0, { user, _ in
            guard let user else { return }
            let p = Unmanaged<RtmpProxy>.fromOpaque(user).takeRetainedValue()
            p.retry = nil
            p.start()
        }, Unmanaged.passRetained(self).toOpaque())
        backoffMs = min(backoffMs * 2, 30_000)
    }

    func streaming() { backoffMs = 1000 }

    func attach(_ s: RtmpClientSession) { session = s }

    /// Control thread, from the plugin's stop; the host cancels the timer and closes the connection.
    func stop() {
        stopped = true
        if let s = session { host.table.conn_close(s.conn, 0) }
    }
}

/// The connect call's `user`: makes the session on open, or reports a failed connect.
final class SessionFactory: ConnectionFactory {
    let proxy: RtmpProxy
    init(proxy: RtmpProxy) { self.proxy = proxy }

    func makeHandler(for conn: OpaquePointer) -> ConnectionHandler? {
        defer { Unmanaged.passUnretained(self).release() }   // the connect's reference, taken in start()
        let s = RtmpClientSession(proxy: proxy, conn: conn)
        proxy.attach(s)
        return s
    }

    func connectFailed(_ message: String) {
        Unmanaged.passUnretained(self).release()   // the connect's reference, taken in start()
        proxy.failed(message)
    }
}

/// One client connection of a proxy: handshake, connect, createStream, then play (pull) or publish (push).
final class RtmpClientSession: ConnectionHandler, ReaderHandler {
    private enum Phase { case handshake, connecting, creating, starting, streaming, closing }

    let proxy: RtmpProxy
    let conn: OpaquePointer
    private var host: PluginHost { proxy.host }
    private var phase = Phase.handshake
    private var handshake: [UInt8] = []
    private var parser = RtmpChunkParser()
    private var streamId: UInt32 = 1
    private var source: OpaquePointer?
    private var ingest: FlvIngest?
    private var reader: OpaquePointer?
    private lazy var readerBox = ReaderBox(self)
    private var flv = FlvBodyMuxer()
    private var startedAt: Int64 = 0
    private var acks = RtmpAcknowledger()

    init(proxy: RtmpProxy, conn: OpaquePointer) {
        self.proxy = proxy
        self.conn = conn
    }

    private func send(_ bytes: [UInt8]) { host.send(conn, bytes) }

    private func command(_ values: [AMFValue], streamId: UInt32 = 0) {
        send(RtmpChunkWriter.chunks(csid: 3, timestamp: 0, type: RtmpMessage.commandAMF0, streamId: streamId,
                                    payload: AMF0Encoder.encode(values)[...], chunkSize: RtmpCommands.outChunkSize))
    }

    func opened(_ conn: OpaquePointer) {
        // Simple handshake: C0 + C1 with a zero version field.
        send([3] + [0, 0, 0, 0, 0, 0, 0, 0] + RtmpHandshake.random(1528))
    }

    func received(_ conn: OpaquePointer, _ bytes: UnsafeRawBufferPointer) {
        if phase == .handshake {
            handshake.append(contentsOf: bytes)
            guard handshake.count >= 1 + 2 * 1536 else { return }
            guard handshake[0] == 3 else { return fail("server answered RTMP version \(handshake[0])") }
            send(Array(handshake[1..<1537]))     // C2 echoes S1
            send(RtmpChunkWriter.setChunkSize(RtmpCommands.outChunkSize))
            command([.string("connect"), .number(1), .object([
                AMFPair("app", .string(proxy.url.app)), AMFPair("type", .string("nonprivate")),
                AMFPair("flashVer", .string("FMLE/3.0 (compatible; MediaRouter)")), AMFPair("tcUrl", .string(proxy.url.tcUrl)),
            ])])
            phase = .connecting
            let rest = Array(handshake[(1 + 2 * 1536)...])
            handshake = []
            parser.feed(rest)
        } else {
            parser.feed(bytes)
        }
        drain()
    }

    private func drain() {
        do {
            while phase != .closing, let m = try parser.next() { try handle(m) }
        } catch {
            fail("\(error)")
        }
        if let ack = acks.due(parser.bytesConsumed) { send(ack) }
    }

    private func handle(_ m: RtmpMessage) throws {
        switch m.type {
        case RtmpMessage.windowAckSize:
            acks.setWindow(m.payload)
        case RtmpMessage.commandAMF0, RtmpMessage.commandAMF3:
            var d = AMFDecoder(m.type == RtmpMessage.commandAMF3 ? m.payload.dropFirst() : m.payload[...])
            try reply(d.decodeAll())
        case RtmpMessage.dataAMF0:
            var d = AMFDecoder(m.payload)
            let values = try d.decodeAll()
            if let first = values.first?.string, first == "onMetaData" || first == "@setDataFrame" {
                ingest?.metadata(Array(values.dropFirst()))
            }
        case RtmpMessage.video:
            try ingest?.video(timestampMs: m.timestamp, body: m.payload[...])
            noteStreaming()
        case RtmpMessage.audio:
            try ingest?.audio(timestampMs: m.timestamp, body: m.payload[...])
        default:
            break
        }
    }

    private func reply(_ values: [AMFValue]) throws {
        guard let name = values.first?.string else { return }
        let txn = values.count > 1 ? (values[1].number ?? 0) : 0
        switch (name, phase) {
        case ("_result", .connecting) where txn == 1:
            if proxy.mode == .push {
                command([.string("releaseStream"), .number(2), .null, .string(proxy.url.stream)])
                command([.string("FCPublish"), .number(3), .null, .string(proxy.url.stream)])
            }
            command([.string("createStream"), .number(4), .null])
            phase = .creating
        case ("_result", .creating) where txn == 4:
            streamId = UInt32(values.count > 3 ? (values[3].number ?? 1) : 1)
            if proxy.mode == .pull {
                command([.string("play"), .number(0), .null, .string(proxy.url.stream), .number(-1000)], streamId: streamId)
            } else {
                command([.string("publish"), .number(5), .null, .string(proxy.url.stream), .string("live")], streamId: streamId)
            }
            phase = .starting
        case ("onStatus", _):
            let info = values.count > 3 ? values[3] : .null
            let code = info["code"]?.string ?? ""
            if info["level"]?.string == "error" || code.hasSuffix("StreamNotFound") || code.hasSuffix("BadName") {
                return fail("server refused: \(code) \(info["description"]?.string ?? "")")
            }
            if code == "NetStream.Play.Start" && proxy.mode == .pull && source == nil { openSource() }
            if code == "NetStream.Publish.Start" && proxy.mode == .push && reader == nil { openReader() }
            if code == "NetStream.Play.UnpublishNotify" || code == "NetStream.Play.Stop" { fail("remote stream ended") }
        case ("_error", _):
            fail("server answered _error to \(phase)")
        default:
            break
        }
    }

    private func openSource() {
        var options = mr_source_options()
        options.size = UInt32(MemoryLayout<mr_source_options>.size)
        options.loop = host.table.conn_loop(conn)
        var out: OpaquePointer?
        let rc = "rtmp-pull".withCString { proto in proxy.urlText.withCString { peer in
            options.protocol = proto
            options.peer = peer
            return host.withKey(vhost: nil, app: proxy.app, stream: proxy.stream) { host.table.source_open(host.host, &$0, &options, &out) }
        } }
        guard rc == MR_OK, let out else { return fail("cannot publish \(proxy.app)/\(proxy.stream): \(host.lastError)") }
        source = out
        ingest = FlvIngest(host: host, source: out)
        phase = .streaming
        startedAt = host.table.now_us()
        host.log(MR_LOG_INFO, "\(proxy.label): pulling")
    }

    private func openReader() {
        var options = mr_reader_options()
        options.size = UInt32(MemoryLayout<mr_reader_options>.size)
        options.loop = host.table.conn_loop(conn)
        options.wait_ms = -1
        var cbs = ReaderBridge.callbacks()
        var out: OpaquePointer?
        let rc = "rtmp-push".withCString { proto in
            options.protocol = proto
            return host.withKey(vhost: nil, app: proxy.app, stream: proxy.stream) { key in
                host.table.reader_open(host.host, &key, &options, &cbs, ReaderBridge.user(for: readerBox), &out)
            }
        }
        guard rc == MR_OK else { return fail("cannot read \(proxy.app)/\(proxy.stream): \(host.lastError)") }
        reader = out
        phase = .streaming
        startedAt = host.table.now_us()
    }

    private func noteStreaming() {
        if startedAt > 0, host.table.now_us() - startedAt > 10_000_000 {
            startedAt = 0
            proxy.streaming()
        }
    }

    private func message(_ body: FlvBodyMuxer.Body) -> [UInt8] {
        let (csid, type): (UInt32, UInt8) = body.type == .video ? (6, RtmpMessage.video)
            : body.type == .audio ? (4, RtmpMessage.audio) : (5, RtmpMessage.dataAMF0)
        var payload = body.bytes
        if body.type == .script {
            // A publisher sends metadata as @setDataFrame.
            payload = AMF0Encoder.encode([.string("@setDataFrame")]) + payload
        }
        return RtmpChunkWriter.chunks(csid: csid, timestamp: body.timestampMs, type: type, streamId: streamId,
                                      payload: payload[...], chunkSize: RtmpCommands.outChunkSize)
    }

    func frames(_ reader: OpaquePointer, _ frames: UnsafeBufferPointer<mr_frame>) {
        for f in frames {
            if let body = flv.body(host: host, f) { send(message(body)) }
        }
        noteStreaming()
    }

    func event(_ reader: OpaquePointer, _ event: mr_reader_event, detail: Int64) {
        switch event {
        case MR_READER_STARTED:
            for body in flv.load(host: host, reader: reader) { send(message(body)) }
            host.log(MR_LOG_INFO, "\(proxy.label): pushing")
        case MR_READER_TRACKS_CHANGED:
            for body in flv.load(host: host, reader: reader).dropFirst() { send(message(body)) }
        case MR_READER_NOT_FOUND, MR_READER_ENDED:
            self.reader = nil
            fail(event == MR_READER_ENDED ? "the local stream ended" : "the local stream does not exist")
        case MR_READER_CLOSED:
            self.reader = nil
        default:
            break
        }
    }

    private func fail(_ why: String) {
        guard phase != .closing else { return }
        phase = .closing
        lastFailure = why
        host.table.conn_close(conn, 0)
    }

    private var lastFailure = ""

    func closed(reason: Int32, message: String) {
        phase = .closing
        if let reader { host.table.reader_close(reader) }
        reader = nil
        if let source { host.table.source_close(source) }
        source = nil
        ingest = nil
        proxy.failed(lastFailure.isEmpty ? "connection closed (\(message))" : lastFailure)
    }
}
