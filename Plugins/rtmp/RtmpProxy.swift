import BusMedia
import MediaFormats
import MRPluginKit
import PluginABI
import RtmpProtocol

/// A pull (remote RTMP stream into the bus) or push (bus stream to a remote RTMP server), kept connected
/// by a ProxyLink.
final class RtmpProxy: ManagedProxy, ProxyConnectionMaker, @unchecked Sendable {
    let host: PluginHost
    let request: ProxyRequest
    let url: RtmpURL
    private let link: ProxyLink

    /// nil when the URL is not rtmp:// or rtmps://.
    init?(host: PluginHost, request: ProxyRequest) {
        guard let url = RtmpURL(request.url) else { return nil }
        self.host = host
        self.request = request
        self.url = url
        link = ProxyLink(host: host, request: request, label: request.label(url: request.url), connectTo: url.host, port: url.port,
                         tls: url.secure)
        link.maker = self
    }

    var urlText: String { request.url }
    var label: String { link.label }

    func makeHandler(_ link: ProxyLink, _ conn: OpaquePointer) -> ConnectionHandler? { RtmpClientSession(proxy: self, conn: conn) }

    func start() { link.start() }
    func failed(_ why: String) { link.failed(why) }
    func online() { link.online() }
    func streaming() { link.streaming() }
    func stop() { link.stop() }
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
        let out = host.openSource(vhost: proxy.request.busVhost, app: proxy.app, stream: proxy.stream, protocolName: "rtmp-pull", peer: proxy.urlText,
                                  loop: host.table.conn_loop(conn))
        guard let out else { return fail("cannot publish \(proxy.app)/\(proxy.stream): \(host.lastError)") }
        source = out
        ingest = FlvIngest(host: host, source: out)
        phase = .streaming
        proxy.online()
        startedAt = host.table.now_us()
        host.log(MR_LOG_INFO, "\(proxy.label): pulling")
    }

    private func openReader() {
        let (rc, out) = host.openReader(vhost: proxy.request.busVhost, app: proxy.app, stream: proxy.stream, protocolName: "rtmp-push", peer: proxy.urlText,
                                        loop: host.table.conn_loop(conn), box: readerBox)
        guard rc == MR_OK else { return fail("cannot read \(proxy.app)/\(proxy.stream): \(host.lastError)") }
        reader = out
        phase = .streaming
        startedAt = host.table.now_us()
        proxy.online()
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
