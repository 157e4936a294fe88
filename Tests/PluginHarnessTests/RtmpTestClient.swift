import MediaFormats
import PluginABI
import PluginHarness
import RtmpProtocol
import XCTest

/// The client side of RTMP as the specification writes it (Adobe RTMP 1.0: handshake 5.2, chunk format
/// 5.3, command messages 7.2; AMF0), built here rather than from the plugin's own code, so a test of the
/// plugin cannot agree with a mistake in it. Only what the plugin answers is parsed with RtmpProtocol.
enum RtmpSpec {
    static let handshakeSize = 1536

    /// C0 (version 3) and C1: time, four zero bytes (the simple handshake), then 1528 bytes of our choice.
    static func c0c1(time: UInt32) -> [UInt8] {
        var c1 = be32(time) + [0, 0, 0, 0]
        c1 += (0..<(handshakeSize - 8)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) }
        return [3] + c1
    }

    /// C2 echoes S1: its time, then the time we read it (ours), then its random bytes.
    static func c2(echoing s1: ArraySlice<UInt8>, readAt: UInt32) -> [UInt8] {
        let s1 = Array(s1)
        return Array(s1[0..<4]) + be32(readAt) + Array(s1[8..<handshakeSize])
    }

    /// One message as chunks: a type 0 chunk, then type 3 chunks of at most `chunkSize` bytes each (5.3.1).
    static func chunks(csid: UInt8, type: UInt8, streamId: UInt32 = 0, timestamp: UInt32 = 0, _ payload: [UInt8],
                       chunkSize: Int = 128) -> [UInt8] {
        precondition(csid >= 2 && csid < 64 && timestamp < 0xFF_FFFF)
        var out: [UInt8] = [csid]
        out += Array(be32(timestamp).dropFirst()) + Array(be32(UInt32(payload.count)).dropFirst()) + [type]
        out += [UInt8(streamId & 0xFF), UInt8(streamId >> 8 & 0xFF), UInt8(streamId >> 16 & 0xFF), UInt8(streamId >> 24)]
        var at = 0
        repeat {
            if at > 0 { out.append(0xC0 | csid) }
            let n = min(chunkSize, payload.count - at)
            out += payload[at..<(at + n)]
            at += n
        } while at < payload.count
        return out
    }

    static func command(_ values: [Amf0], streamId: UInt32 = 0) -> [UInt8] {
        chunks(csid: 3, type: 20, streamId: streamId, values.flatMap(\.bytes))
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
}

/// AMF0 values a client sends (AMF0 specification, 2.2–2.7).
indirect enum Amf0 {
    case number(Double)
    case bool(Bool)
    case string(String)
    case object([(String, Amf0)])
    case null

    var bytes: [UInt8] {
        switch self {
        case .number(let d):
            return [0x00] + withUnsafeBytes(of: d.bitPattern.bigEndian) { Array($0) }
        case .bool(let b):
            return [0x01, b ? 1 : 0]
        case .string(let s):
            return [0x02] + Self.utf8(s)
        case .object(let pairs):
            return [0x03] + pairs.flatMap { Self.utf8($0.0) + $0.1.bytes } + [0x00, 0x00, 0x09]
        case .null:
            return [0x05]
        }
    }

    private static func utf8(_ s: String) -> [UInt8] {
        let b = Array(s.utf8)
        return [UInt8(b.count >> 8), UInt8(b.count & 0xFF)] + b
    }
}

/// Reads what the plugin sent a client: S0+S1+S2, then chunked messages.
struct RtmpServerOutput {
    private(set) var handshake: [UInt8] = []
    private var parser = RtmpChunkParser()
    private(set) var messages: [RtmpMessage] = []

    mutating func add(_ bytes: [UInt8]) throws {
        var rest = bytes[...]
        let missing = 1 + 2 * RtmpSpec.handshakeSize - handshake.count
        if missing > 0 {
            handshake += rest.prefix(missing)
            rest = rest.dropFirst(missing)
        }
        guard !rest.isEmpty else { return }
        parser.feed(Array(rest))
        while let m = try parser.next() { messages.append(m) }
    }

    /// The command messages (AMF0), decoded.
    func commands() throws -> [[AMFValue]] {
        try messages.filter { $0.type == 20 }.map { m in
            var d = AMFDecoder(m.payload)
            return try d.decodeAll()
        }
    }

    /// The `code` of every onStatus command, in order.
    func statusCodes() throws -> [String] {
        try commands().filter { $0.first?.string == "onStatus" }.compactMap { $0.count > 3 ? $0[3]["code"]?.string : nil }
    }

    func media(type: UInt8) -> [RtmpMessage] { messages.filter { $0.type == type } }
}

/// A client session over one fake connection: handshake and the commands every client sends first.
struct RtmpTestSession {
    let connection: FakeConnection
    let harness: PluginHarness
    var output = RtmpServerOutput()

    init(_ harness: PluginHarness) throws {
        self.harness = harness
        connection = try harness.connect()
    }

    /// C0+C1, then C2 once S0+S1+S2 are in; returns C1's time and S0+S1+S2.
    mutating func handshake(c1Time: UInt32 = 0x0102_0304) throws -> [UInt8] {
        connection.feed(RtmpSpec.c0c1(time: c1Time))
        harness.runLoops()
        try output.add(connection.takeSent())
        let hs = output.handshake
        XCTAssertEqual(hs.count, 1 + 2 * RtmpSpec.handshakeSize, "S0+S1+S2 answer C0+C1 at once")
        guard hs.count == 1 + 2 * RtmpSpec.handshakeSize else { throw HarnessError("short handshake: \(hs.count) bytes") }
        connection.feed(RtmpSpec.c2(echoing: hs[1...RtmpSpec.handshakeSize], readAt: 0))
        harness.runLoops()
        return hs
    }

    /// connect (transaction 1) to `app`, then createStream (transaction 2).
    mutating func connectAndCreateStream(app: String) throws {
        send(RtmpSpec.command([.string("connect"), .number(1), .object([
            ("app", .string(app)), ("type", .string("nonprivate")), ("flashVer", .string("FMLE/3.0")),
            ("tcUrl", .string("rtmp://127.0.0.1/\(app)")),
        ])]))
        send(RtmpSpec.command([.string("createStream"), .number(2), .null]))
    }

    mutating func send(_ bytes: [UInt8]) {
        connection.feed(bytes)
        harness.runLoops()
    }

    mutating func read() throws { try output.add(connection.takeSent()) }
}
