import RtpFormats
import XCTest

/// RFC 4571 and RFC 2326 10.12 framing of RTP over TCP.
final class RtpTcpFramerTests: XCTestCase {
    static func rtp(seq: UInt16, ssrc: UInt32 = 0x0102_0304, size: Int = 40) -> [UInt8] {
        var out: [UInt8] = []
        RtpPacket.writeHeader(into: &out, marker: false, payloadType: 96, sequence: seq, timestamp: 0, ssrc: ssrc)
        return out + [UInt8](repeating: 0xAB, count: size - 12)
    }

    static func rfc4571(_ p: [UInt8]) -> [UInt8] { [UInt8(p.count >> 8), UInt8(p.count & 0xFF)] + p }
    static func interleaved(_ p: [UInt8]) -> [UInt8] { [0x24, 0, UInt8(p.count >> 8), UInt8(p.count & 0xFF)] + p }

    func testBothFramingsDetectedAndSplitAnywhere() {
        for frame in [Self.rfc4571, Self.interleaved] {
            let bytes = (0..<5).flatMap { frame(Self.rtp(seq: UInt16($0))) }
            var f = RtpTcpFramer()
            var packets: [ArraySlice<UInt8>] = []
            for b in bytes { packets += f.push([b][...]) }
            XCTAssertEqual(packets.map { RtpPacket($0)?.sequence }, [0, 1, 2, 3, 4])
            XCTAssertEqual(f.resyncs, 0)
        }
        var f = RtpTcpFramer()
        _ = f.push(Self.interleaved(Self.rtp(seq: 0))[...])
        XCTAssertEqual(f.framing, .interleaved)
    }

    func testCorruptLengthResynchronisesOnTheSsrc() {
        var f = RtpTcpFramer()
        var bytes = Self.rfc4571(Self.rtp(seq: 1))
        bytes += [0xFF, 0xFF] + [UInt8](repeating: 0x5A, count: 300)     // a 64 KB length over garbage
        bytes += Self.rfc4571(Self.rtp(seq: 2)) + Self.rfc4571(Self.rtp(seq: 3))
        let packets = f.push(bytes[...])
        XCTAssertEqual(packets.map { RtpPacket($0)?.sequence }, [1, 2, 3])
        XCTAssertEqual(f.resyncs, 1)
        XCTAssertEqual(f.skippedBytes, 302)
        XCTAssertEqual(f.buffered, 0)
    }

    func testGarbageRunSplitOverReadsResynchronises() {
        var f = RtpTcpFramer()
        var garbage: [UInt8] = [0xFF, 0xFF]
        for _ in 0..<4 { garbage += (0...255).map { UInt8($0) } }
        let before = (0..<3).flatMap { Self.rfc4571(Self.rtp(seq: UInt16($0), size: 1400)) }
        let after = (3..<9).flatMap { Self.rfc4571(Self.rtp(seq: UInt16($0), size: 1400)) }
        let stream = before + garbage + after
        var got: [UInt16] = []
        var i = 0
        for n in [700, 3000, 100, 1500, 9000, 5000] where i < stream.count {
            got += f.push(stream[i..<min(stream.count, i + n)]).compactMap { RtpPacket($0)?.sequence }
            i += n
        }
        got += f.push(stream[min(i, stream.count)...]).compactMap { RtpPacket($0)?.sequence }
        XCTAssertEqual(got, Array(0..<9))
    }

    func testForeignSsrcAfterTheFirstIsNotTrusted() {
        var f = RtpTcpFramer()
        let bytes = Self.interleaved(Self.rtp(seq: 1)) + Self.interleaved(Self.rtp(seq: 9, ssrc: 7)) + Self.interleaved(Self.rtp(seq: 2))
        XCTAssertEqual(f.push(bytes[...]).map { RtpPacket($0)?.sequence }, [1, 2])
    }
}
