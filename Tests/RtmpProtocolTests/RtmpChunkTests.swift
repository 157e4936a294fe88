import MediaFormats
import TestSupport
import XCTest
@testable import RtmpProtocol

final class RtmpChunkTests: XCTestCase {
    /// ffmpeg 5.1's `connect`, as captured on the wire: type-0 header on chunk stream 3, 128 bytes, then a
    /// type-3 continuation (0xC3) and the last 12 bytes.
    static let ffmpegConnect = hex("0300000000008c1400000000020007636f6e6e656374003ff00000000000000300036170700200046c69766500047479706502000a6e6f6e707269766174650008666c617368566572020024464d4c452f332e302028636f6d70617469626c653b204c61766635392e32372e313030290005746355726c02001b72746d703a2f2f3132372e302e302e313a31c3393933352f6c697665000009")

    static func hex(_ s: String) -> [UInt8] { hexBytes(s) }

    private func messages(_ bytes: [UInt8], feedBy step: Int = Int.max) throws -> [RtmpMessage] {
        var p = RtmpChunkParser()
        var out: [RtmpMessage] = []
        var i = 0
        while i < bytes.count {
            let end = min(bytes.count, i + step)
            p.feed(Array(bytes[i..<end]))
            while let m = try p.next() { out.append(m) }
            i = end
        }
        return out
    }

    func testCapturedConnectReassemblesAcrossTheChunkBoundary() throws {
        for step in [Int.max, 1, 7, 128] {
            let ms = try messages(Self.ffmpegConnect, feedBy: step)
            XCTAssertEqual(ms.count, 1)
            XCTAssertEqual(ms[0].type, RtmpMessage.commandAMF0)
            XCTAssertEqual(ms[0].payload.count, 140)
            var d = AMFDecoder(ms[0].payload)
            XCTAssertEqual(try d.decode(), .string("connect"), "fed \(step) bytes at a time")
        }
    }

    func testWriterAndParserAgreeOnEveryHeaderForm() throws {
        let payload = (0..<10_000).map { UInt8($0 & 0xFF) }
        var bytes = RtmpChunkWriter.setChunkSize(4096)
        var expected: [RtmpMessage] = []
        for (csid, ts) in [(UInt32(4), UInt32(0)), (63, 1000), (64, 0xFF_FFFE), (319, 0xFF_FFFF), (320, 0x1234_5678), (65599, 7)] {
            bytes += RtmpChunkWriter.chunks(csid: csid, timestamp: ts, type: 9, streamId: 1, payload: payload[...], chunkSize: 4096)
            expected.append(RtmpMessage(type: 9, streamId: 1, timestamp: ts, payload: payload))
        }
        let ms = try messages(bytes, feedBy: 1000)
        XCTAssertEqual(ms.count, 7)
        XCTAssertEqual(ms[0].type, RtmpMessage.setChunkSize)
        XCTAssertEqual(Array(ms.dropFirst()), expected)
    }

    func testDeltaHeadersAccumulateAndType3RepeatsTheDelta() throws {
        // fmt 0 (ts 1000, len 1, type 8, stream 1) / fmt 2 delta 40 / fmt 3: 1000, 1040, 1080 (RTMP spec 5.3.1.2).
        let bytes: [UInt8] = [0x04, 0x00, 0x03, 0xE8, 0x00, 0x00, 0x01, 0x08, 0x01, 0x00, 0x00, 0x00, 0xAA,
                              0x84, 0x00, 0x00, 0x28, 0xBB,
                              0xC4, 0xCC]
        let ms = try messages(bytes)
        XCTAssertEqual(ms.map(\.timestamp), [1000, 1040, 1080])
        XCTAssertEqual(ms.map(\.payload), [[0xAA], [0xBB], [0xCC]])
        XCTAssertEqual(ms.map(\.streamId), [1, 1, 1])
    }

    func testProtocolViolationsAreErrors() {
        // Absurd chunk sizes.
        for size: UInt32 in [0, 0x7FFF_FFFF] {
            let bytes = RtmpChunkWriter.control(type: RtmpMessage.setChunkSize, RtmpChunkWriter.be32(size))
            XCTAssertThrowsError(try messages(bytes), "chunk size \(size)")
        }
        // A message longer than the limit.
        XCTAssertThrowsError(try messages([0x04, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0x09, 1, 0, 0, 0]))
        // A new chunk stream that starts with a type-3 header.
        XCTAssertThrowsError(try messages([0xC5, 0x01]))
        // Too many chunk streams with messages in progress: each sends only its first 128-byte chunk.
        var many: [UInt8] = []
        for csid in 3..<80 {
            let whole = RtmpChunkWriter.chunks(csid: UInt32(csid), timestamp: 0, type: 9, streamId: 1,
                                               payload: [UInt8](repeating: 1, count: 300)[...], chunkSize: 128)
            many += whole.prefix((csid < 64 ? 1 : 2) + 11 + 128)
        }
        XCTAssertThrowsError(try messages(many))
    }

    func testRandomizedInputNeverCrashesOrHangs() {
        let seeds = [Self.ffmpegConnect,
                     RtmpChunkWriter.chunks(csid: 6, timestamp: 0x0100_0000, type: 9, streamId: 1, payload: [UInt8](repeating: 7, count: 700)[...], chunkSize: 128)]
        var rng = SplitMix64(seed: 7)
        for _ in 0..<20_000 {
            var m = seeds[Int(rng.next() % 2)]
            for _ in 0..<Int(rng.next() % 8) { m[Int(rng.next() % UInt64(m.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            var p = RtmpChunkParser(maxMessageSize: 1 << 16)
            p.feed(m)
            var count = 0
            while count < 1000, let msg = try? p.next() { _ = msg; count += 1 }
            XCTAssertLessThan(count, 1000)
        }
    }
}

