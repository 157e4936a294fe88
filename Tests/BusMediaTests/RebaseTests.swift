import BusMedia
import MediaFormats
import MRPluginKit
import RtmpProtocol
import XCTest

/// Per-player timestamp rewrites of shared packets: the rewritten bytes must parse as the same messages
/// with the new timestamps, whatever the extended-timestamp layout before and after.
final class RebaseTests: XCTestCase {
    /// A fake `mr_buf` handle: the tests only need an identity to resolve ranges.
    private let handle = OpaquePointer(bitPattern: 0x1000)!

    private func rebaseRtmp(_ packet: [UInt8], shift: UInt32) throws -> [RtmpMessage] {
        var out = IovecBuilder()
        let ok = packet.withUnsafeBytes { RtmpRebase.append(&out, buf: handle, data: $0, shiftMs: shift, chunkSize: 4096) }
        XCTAssertTrue(ok)
        let bytes = packet.withUnsafeBytes { raw in out.assembled { _ in raw } }
        var parser = RtmpChunkParser()
        parser.feed(RtmpChunkWriter.setChunkSize(4096) + bytes)
        var messages: [RtmpMessage] = []
        while let m = try parser.next() {
            if m.type != RtmpMessage.setChunkSize { messages.append(m) }
        }
        return messages
    }

    func testRtmpMessagesKeepTheirPayloadAndGetTheNewTimestamp() throws {
        let payload = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let cases: [(UInt32, UInt32, UInt32)] = [
            (5_000, 4_000, 1_000),                 // plain -> plain
            (0x0100_0000, 0x00FF_FF00, 0x100),     // extended -> plain (continuations lose their 4 bytes)
            (0x0200_0000, 0x100, 0x01FF_FF00),     // extended -> extended
            (300, 1_000, 0),                       // before the player's start: floored at 0
        ]
        for (ts, shift, expected) in cases {
            let packet = RtmpChunkWriter.chunks(csid: 6, timestamp: ts, type: 9, streamId: 1, payload: payload[...], chunkSize: 4096)
                + RtmpChunkWriter.chunks(csid: 4, timestamp: ts, type: 8, streamId: 1, payload: [0xAF, 1, 2][...], chunkSize: 4096)
            let ms = try rebaseRtmp(packet, shift: shift)
            XCTAssertEqual(ms.map(\.timestamp), [expected, expected], "ts \(ts) shift \(shift)")
            XCTAssertEqual(ms.first?.payload, payload)
            XCTAssertEqual(ms.last?.payload, [0xAF, 1, 2])
        }
    }

    func testMalformedRtmpPacketAddsNothing() {
        var out = IovecBuilder()
        let bad: [UInt8] = [0xC6, 0, 0]
        XCTAssertFalse(bad.withUnsafeBytes { RtmpRebase.append(&out, buf: handle, data: $0, shiftMs: 0, chunkSize: 4096) })
        XCTAssertTrue(out.isEmpty)
    }

    func testFlvTagsGetTheNewTimestampAndKeepTheirBodies() throws {
        let body1: [UInt8] = [0x17, 1, 0, 0, 0, 9, 9, 9]
        let body2: [UInt8] = [0xAF, 1, 5]
        let packet = FlvFraming.tag(type: .video, timestampMs: 0x0123_4567, body: body1[...])
            + FlvFraming.tag(type: .audio, timestampMs: 0x0123_4600, body: body2[...])
        var out = IovecBuilder()
        XCTAssertTrue(packet.withUnsafeBytes { FlvTagRebase.append(&out, buf: handle, data: $0, from: 0, shiftMs: 0x0123_0000) })
        let bytes = packet.withUnsafeBytes { raw in out.assembled { _ in raw } }
        let parsed = try XCTUnwrap(FlvFraming.parseTags(bytes[...]))
        XCTAssertEqual(parsed.consumed, packet.count)
        XCTAssertEqual(parsed.tags.map(\.timestampMs), [0x4567, 0x4600])
        XCTAssertEqual(parsed.tags.map { Array($0.body) }, [body1, body2])
        var bad = IovecBuilder()
        XCTAssertFalse(packet.dropLast().withUnsafeBytes { FlvTagRebase.append(&bad, buf: handle, data: $0, from: 0, shiftMs: 0) })
        XCTAssertTrue(bad.isEmpty)
    }
}
