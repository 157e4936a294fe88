import RtmpProtocol
import BusMedia
import MediaFormats
import MRPluginKit
import PluginABI

/// One RTMP connection: handshake, then commands, then either publishing into the bus or playing from
/// it. Runs on its connection's loop only.
final class RtmpSession: ConnectionHandler, ReaderHandler {
    private enum Phase { case waitingC0C1, waitingC2, connected, closing }

    private unowned let plugin: RtmpPlugin
    private let core: SessionCore
    private var host: PluginHost { core.host }
    private var conn: OpaquePointer { core.conn }
    private var peer: String { core.peer }
    private var phase = Phase.waitingC0C1
    private var handshakeBuffer: [UInt8] = []
    private var parser = RtmpChunkParser()
    private var app = ""
    private var tcUrl = ""
    private var objectEncoding = 0.0
    private var acks = RtmpAcknowledger()
    private var streamName: RtmpStreamName?

    // Publishing
    private var source: OpaquePointer?
    private var ingest: FlvIngest?
    // Playing
    private var reader: OpaquePointer?
    private var handshakeTimer: SessionTimer?
    private lazy var readerBox = ReaderBox(self)
    private var timeline = PlayerTimeline()

    init(plugin: RtmpPlugin, conn: OpaquePointer) {
        self.plugin = plugin
        core = SessionCore(host: plugin.host, conn: conn, gauge: "sessions")
    }

    // MARK: connection

    func opened(_ conn: OpaquePointer) {
        core.opened()
        // A peer that never finishes the handshake, or stays connected without publishing or playing, does not
        // keep a session (and a descriptor) forever.
        let ms = plugin.settings.handshakeTimeoutMs
        handshakeTimer = core.startTimer(afterMs: Int64(ms)) { [unowned self] in
            handshakeTimer = nil
            if phase != .closing { fail("no publish or play within \(ms) ms of connecting") }
        }
    }

    func received(_ conn: OpaquePointer, _ bytes: UnsafeRawBufferPointer) {
        core.countIn(bytes.count)
        switch phase {
        case .closing:
            return
        case .waitingC0C1, .waitingC2:
            handshakeBuffer.append(contentsOf: bytes)
            handshake()
        case .connected:
            parser.feed(bytes)
            drain()
        }
    }

    func writabilityChanged(_ conn: OpaquePointer, writable: Bool) {
        let timeoutMs = plugin.settings.stallTimeoutMs
        core.writabilityChanged(reader: reader, writable: writable, stallTimeoutMs: timeoutMs) { [weak self] in
            self?.fail("player stopped reading for \(timeoutMs) ms")
        }
    }

    func closed(reason: Int32, message: String) {
        phase = .closing
        handshakeTimer = nil
        stopPublishing()
        stopPlaying()
        core.closed(message: message, logged: true)
    }

    private func fail(_ why: String) {
        core.fail(why)
        phase = .closing
    }

    /// Control messages go out uncounted, as before: bytes_out counts the media a player was sent.
    private func send(_ bytes: [UInt8]) { host.send(conn, bytes) }

    // MARK: handshake

    private func handshake() {
        if phase == .waitingC0C1 {
            guard handshakeBuffer.count >= 1 + RtmpHandshake.size else { return }
            let now = UInt32(truncatingIfNeeded: host.table.now_us() / 1000)
            switch RtmpHandshake.respond(toC0C1: handshakeBuffer[0..<(1 + RtmpHandshake.size)], now: now) {
            case .needMore:
                return
            case .failed(let why):
                fail(why)
                return
            case .reply(let bytes):
                send(bytes)
                handshakeBuffer.removeFirst(1 + RtmpHandshake.size)
                phase = .waitingC2
            }
        }
        if phase == .waitingC2 {
            guard handshakeBuffer.count >= RtmpHandshake.size else { return }
            let rest = Array(handshakeBuffer.dropFirst(RtmpHandshake.size))
            handshakeBuffer = []
            phase = .connected
            if !rest.isEmpty {
                parser.feed(rest)
                drain()
            }
        }
    }

    // MARK: messages

    private func drain() {
        do {
            while phase == .connected, let message = try parser.next() {
                try handle(message)
            }
        } catch let error as RtmpChunkParser.ProtocolError {
            fail("protocol error: \(error.message)")
        } catch let error as AMFDecodeError {
            fail("bad command: \(error)")
        } catch let error as FlvIngest.IngestError {
            fail("bad media: \(error.message)")
        } catch {
            fail("\(error)")
        }
        if let ack = acks.due(parser.bytesConsumed) { send(ack) }
    }

    private func handle(_ m: RtmpMessage) throws {
        switch m.type {
        case RtmpMessage.windowAckSize:
            acks.setWindow(m.payload)
        case RtmpMessage.userControl:
            // Ping request (6): answer with a ping response (7) carrying the same timestamp.
            if m.payload.count >= 6, m.payload[0] == 0, m.payload[1] == 6 {
                let ts = UInt32(m.payload[2]) << 24 | UInt32(m.payload[3]) << 16 | UInt32(m.payload[4]) << 8 | UInt32(m.payload[5])
                send(RtmpChunkWriter.userControl(7, ts))
            }
        case RtmpMessage.commandAMF0:
            var d = AMFDecoder(m.payload)
            try command(d.decodeAll(), streamId: m.streamId)
        case RtmpMessage.commandAMF3:
            // AMF3 command messages start with a format byte (0) and are AMF0 with AMF3 values behind 0x11.
            var d = AMFDecoder(m.payload.dropFirst())
            try command(d.decodeAll(), streamId: m.streamId)
        case RtmpMessage.dataAMF0, RtmpMessage.dataAMF3:
            var d = AMFDecoder(m.type == RtmpMessage.dataAMF3 ? m.payload.dropFirst() : m.payload[...])
            let values = try d.decodeAll()
            if let ingest, let first = values.first?.string, first == "@setDataFrame" || first == "onMetaData" {
                ingest.metadata(Array(values.dropFirst()))
            }
        case RtmpMessage.video:
            try ingest?.video(timestampMs: m.timestamp, body: m.payload[...])
        case RtmpMessage.audio:
            try ingest?.audio(timestampMs: m.timestamp, body: m.payload[...])
        case RtmpMessage.aggregate:
            try aggregate(m)
        default:
            break  // acknowledgements, bandwidth, chunk size (handled by the parser)
        }
        if phase == .connected, ingest?.closedByBus == true {
            let name = streamName.map { "\($0.app)/\($0.stream)" } ?? "?"
            send(RtmpCommands.onStatus(level: "error", code: "NetStream.Publish.Stop", description: "\(name) was closed by the server"))
            fail("publish of \(name) ended: the stream was closed or taken over")
        }
    }

    /// Aggregate messages (RTMP spec 7.1.6): FLV-style sub-messages with timestamps relative to the first.
    private func aggregate(_ m: RtmpMessage) throws {
        guard let parsed = FlvFraming.parseTags(m.payload[...]) else { throw FlvIngest.IngestError(message: "bad aggregate message") }
        let base = parsed.tags.first?.timestampMs ?? 0
        for tag in parsed.tags {
            let ts = m.timestamp &+ (tag.timestampMs &- base)
            if tag.type == RtmpMessage.video { try ingest?.video(timestampMs: ts, body: tag.body) }
            if tag.type == RtmpMessage.audio { try ingest?.audio(timestampMs: ts, body: tag.body) }
        }
    }

    private func command(_ values: [AMFValue], streamId: UInt32) throws {
        guard let name = values.first?.string else { return }
        let txn = values.count > 1 ? (values[1].number ?? 0) : 0
        let args = Array(values.dropFirst(3))
        switch name {
        case "connect":
            let obj = values.count > 2 ? values[2] : .null
            app = obj["app"]?.string ?? ""
            tcUrl = obj["tcUrl"]?.string ?? ""
            objectEncoding = obj["objectEncoding"]?.number ?? 0
            send(RtmpChunkWriter.windowAckSize(5_000_000))
            send(RtmpChunkWriter.setPeerBandwidth(5_000_000))
            send(RtmpChunkWriter.setChunkSize(RtmpCommands.outChunkSize))
            send(RtmpCommands.connectResult(transaction: txn, objectEncoding: objectEncoding))
        case "releaseStream", "FCPublish", "FCUnpublish", "getStreamLength":
            if name == "FCUnpublish" { stopPublishing() }
            if txn != 0 { send(RtmpCommands.result(transaction: txn, name == "getStreamLength" ? .number(0) : .undefined)) }
        case "createStream":
            send(RtmpCommands.result(transaction: txn, .number(1)))
        case "publish":
            guard let raw = args.first?.string else { return fail("publish without a stream name") }
            publish(raw)
        case "play", "play2":
            let raw = name == "play2" ? (args.first?["streamName"]?.string ?? "") : (args.first?.string ?? "")
            guard !raw.isEmpty else { return fail("\(name) without a stream name") }
            play(raw)
        case "deleteStream", "closeStream":
            stopPublishing()
            stopPlaying()
        case "_result", "_error", "onBWDone", "_checkbw", "receiveAudio", "receiveVideo", "pause", "seek":
            break
        default:
            host.log(MR_LOG_DEBUG, "session \(peer): ignoring command \(name)")
            if txn != 0 { send(RtmpCommands.error(transaction: txn, code: "NetConnection.Call.Failed", description: "unknown command \(name)")) }
        }
    }

    // MARK: publish

    private func publish(_ raw: String) {
        guard source == nil, reader == nil else { return fail("publish on a session that already streams") }
        stopHandshakeTimer()
        guard let name = RtmpStreamName(app: app, name: raw) else {
            send(RtmpCommands.onStatus(level: "error", code: "NetStream.Publish.BadName", description: "invalid stream name"))
            return fail("invalid stream name \(app)/\(raw)")
        }
        streamName = name
        ask(MR_AUTH_PUBLISH, name) { [weak self] allowed, reason in
            guard let self, self.phase == .connected else { return }
            guard allowed else {
                self.send(RtmpCommands.onStatus(level: "error", code: "NetStream.Publish.BadAuth", description: reason))
                return self.fail("publish of \(name.app)/\(name.stream) denied: \(reason)")
            }
            self.startPublishing(name)
        }
    }

    private func startPublishing(_ name: RtmpStreamName) {
        let out = host.openSource(vhost: name.vhost, app: name.app, stream: name.stream, protocolName: "rtmp", peer: peer,
                                  loop: core.loop, takeover: plugin.settings.takeover)
        guard let out else {
            send(RtmpCommands.onStatus(level: "error", code: "NetStream.Publish.BadName", description: "Already publishing"))
            return fail("publish of \(name.app)/\(name.stream) refused: \(host.lastError)")
        }
        source = out
        ingest = FlvIngest(host: host, source: out)
        send(RtmpChunkWriter.userControl(0, 1))
        send(RtmpCommands.onStatus(code: "NetStream.Publish.Start", description: "\(name.stream) is now published."))
        host.log(MR_LOG_INFO, "publish \(name.vhost ?? "")/\(name.app)/\(name.stream) from \(peer)")
    }

    private func stopPublishing() {
        guard let source else { return }
        host.table.source_close(source)
        self.source = nil
        ingest = nil
    }

    /// From here on the auth answer (bounded by auth_timeout_ms) and the stall timeouts take over.
    private func stopHandshakeTimer() {
        handshakeTimer?.cancel()
        handshakeTimer = nil
    }

    // MARK: play

    private func play(_ raw: String) {
        guard source == nil, reader == nil else { return }
        stopHandshakeTimer()
        guard let name = RtmpStreamName(app: app, name: raw) else {
            send(RtmpCommands.onStatus(level: "error", code: "NetStream.Play.StreamNotFound", description: "invalid stream name"))
            return fail("invalid stream name \(app)/\(raw)")
        }
        streamName = name
        ask(MR_AUTH_PLAY, name) { [weak self] allowed, reason in
            guard let self, self.phase == .connected else { return }
            guard allowed else {
                self.send(RtmpCommands.onStatus(level: "error", code: "NetStream.Play.Failed", description: reason))
                return self.fail("play of \(name.app)/\(name.stream) denied: \(reason)")
            }
            self.startPlaying(name)
        }
    }

    private func startPlaying(_ name: RtmpStreamName) {
        let (rc, out) = host.openReader(vhost: name.vhost, app: name.app, stream: name.stream, format: "rtmp", muxer: plugin,
                                        protocolName: "rtmp", peer: peer, loop: core.loop, box: readerBox)
        guard rc == MR_OK else { return fail("play of \(name.app)/\(name.stream) failed: \(host.lastError)") }
        reader = out
    }

    private func stopPlaying() {
        guard let reader else { return }
        host.table.reader_close(reader)
        self.reader = nil
    }

    /// Shared packets, with each message's timestamp moved so this player's timeline starts near 0.
    func frames(_ reader: OpaquePointer, _ frames: UnsafeBufferPointer<mr_frame>) {
        guard phase == .connected else { return }
        let bytes = timeline.send(host, conn, frames) { out, buf, data, shift in
            RtmpRebase.append(&out, buf: buf, data: data, shiftMs: shift, chunkSize: RtmpCommands.outChunkSize)
        }
        core.countOut(bytes)
    }

    func event(_ reader: OpaquePointer, _ event: mr_reader_event, detail: Int64) {
        let name = streamName.map { "\($0.app)/\($0.stream)" } ?? "?"
        switch event {
        case MR_READER_STARTED:
            send(RtmpChunkWriter.userControl(0, 1))
            send(RtmpCommands.onStatus(code: "NetStream.Play.Reset", description: "Playing and resetting \(name)."))
            send(RtmpCommands.onStatus(code: "NetStream.Play.Start", description: "Started playing \(name)."))
            send(RtmpCommands.data([.string("|RtmpSampleAccess"), .bool(true), .bool(true)], streamId: 1))
            host.log(MR_LOG_INFO, "play \(name) to \(peer)")
        case MR_READER_NOT_FOUND:
            send(RtmpCommands.onStatus(level: "error", code: "NetStream.Play.StreamNotFound", description: "No such stream: \(name)"))
            self.reader = nil
            fail("play of \(name): stream not found")
        case MR_READER_ENDED:
            send(RtmpCommands.onStatus(code: "NetStream.Play.UnpublishNotify", description: "\(name) is unpublished."))
            send(RtmpChunkWriter.userControl(1, 1))
            self.reader = nil
            core.close()
            phase = .closing
        case MR_READER_SKIPPED:
            host.log(MR_LOG_INFO, "player \(peer) of \(name) fell behind: skipped \(detail) frames to the newest keyframe")
        case MR_READER_CLOSED:
            self.reader = nil
        default:
            break
        }
    }

    // MARK: auth

    private func ask(_ action: mr_auth_action, _ name: RtmpStreamName, _ done: @escaping (Bool, String) -> Void) {
        AuthQuestion(action: action, vhost: name.vhost, app: name.app, stream: name.stream, protocolName: "rtmp", peer: peer,
                     query: name.query).ask(host, loop: core.loop, done)
    }
}
