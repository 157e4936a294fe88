import Foundation
import XCTest

/// RTP servers fed by senders the project did not write: TS over RTP from ffmpeg (`-f rtp_mpegts`), ES over
/// RTP from GStreamer's payloaders (UDP, and RFC 4571 over TCP with `rtpstreampay`), program stream files
/// from ffmpeg (`-f mpeg`: MPEG-1 packs, no map, 2 KiB packets not aligned to frames) and GStreamer
/// (`mpegpsmux`), and H.265 + AAC over PS; each stream read back with ffprobe.
final class Gb28181InteropTests: XCTestCase {
    private static let ssrc = "305419896"

    /// ffmpeg's test pattern as H.264 (no B-frames, a keyframe a second) and AAC, sent as TS over RTP (PT 33).
    func testTsOverRtpFromFfmpeg() throws {
        let g = try Gb28181Harness()
        defer { g.stop() }
        let port = try g.open("TSRTP")
        let ff = try Gb28181Harness.launch("/usr/bin/ffmpeg", ["-hide_banner", "-loglevel", "error", "-re"] + Gb28181Harness.testInputs(seconds: 12)
            + ["-c:v", "libx264", "-preset", "ultrafast", "-bf", "0", "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "aac",
               "-f", "rtp_mpegts", "rtp://127.0.0.1:\(port)"])
        defer { ff.terminate() }
        let p = try g.probe("TSRTP", seconds: 3)
        XCTAssertEqual(p.videoCodec, "h264", "\(p)")
        XCTAssertEqual(p.audioCodec, "aac", "\(p)")
        XCTAssertEqual(p.width, 320)
        XCTAssertGreaterThan(p.videoFrames, 50, "3 s at 25 fps: \(p)")
        XCTAssertGreaterThan(p.audioFrames, 80, "3 s of 1024-sample AAC frames at 44.1 kHz: \(p)")
    }

    /// GStreamer's H.264 (PT 98) and PCMA (PT 8) payloaders through one socket, as a device sends ES.
    private func gstEs(sink: String, seconds: Int) throws -> Process {
        let pipeline = "funnel name=f ! \(sink) "
            + "videotestsrc is-live=true num-buffers=\(seconds * 25) ! video/x-raw,format=I420,width=320,height=240,framerate=25/1 "
            + "! x264enc tune=zerolatency bframes=0 key-int-max=25 ! rtph264pay pt=98 config-interval=-1 ssrc=\(Self.ssrc) ! f. "
            + "audiotestsrc is-live=true num-buffers=\(seconds * 8) samplesperbuffer=1000 ! audio/x-raw,rate=8000,channels=1 "
            + "! alawenc ! rtppcmapay ssrc=\(Self.ssrc) ! f."
        return try Gb28181Harness.launch("/usr/bin/gst-launch-1.0", ["-q"] + pipeline.split(separator: " ").map(String.init))
    }

    private func assertEsPlays(_ stream: String, tcpMode: Int, sink: (Int) -> String, file: StaticString = #filePath, line: UInt = #line) throws {
        let g = try Gb28181Harness()
        defer { g.stop() }
        let port = try g.open(stream, tcpMode: tcpMode)
        let gst = try gstEs(sink: sink(port), seconds: 12)
        defer { gst.terminate() }
        let p = try g.probe(stream, over: "rtsp", seconds: 3, file: file, line: line)
        XCTAssertEqual(p.videoCodec, "h264", "\(p)", file: file, line: line)
        XCTAssertEqual(p.audioCodec, "pcm_alaw", "\(p)", file: file, line: line)
        XCTAssertGreaterThan(p.videoFrames, 50, "\(p)", file: file, line: line)
        XCTAssertGreaterThan(p.audioFrames, 10, "\(p)", file: file, line: line)
    }

    func testEsOverUdpFromGStreamer() throws {
        try assertEsPlays("ESUDP", tcpMode: 0) { "udpsink host=127.0.0.1 port=\($0)" }
    }

    func testEsOverTcpFromGStreamerRtpstreampay() throws {
        try assertEsPlays("ESTCP", tcpMode: 1) { "rtpstreampay ! tcpclientsink host=127.0.0.1 port=\($0)" }
    }

    /// ffmpeg's `-f mpeg`: an MPEG-1 system stream (12-byte packs, MPEG-1 PES headers), video as stream 0xE2,
    /// no program stream map, 2 KiB packets that split frames anywhere and hold several small frames under one
    /// PTS. Its MP3 audio has no place on the bus and must be left out, not guessed as G.711.
    func testPsFileFromFfmpegWithoutMap() throws {
        let file = Gb28181Harness.make("ff.mpg", Gb28181Harness.testInputs(seconds: 12)
            + ["-c:v", "libx264", "-preset", "ultrafast", "-bf", "0", "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "libmp3lame", "-f", "mpeg"])
        let g = try Gb28181Harness()
        defer { g.stop() }
        let port = try g.open("FFPS")
        let sender = try Gb28181Harness.psSender(file, port: port, extra: ["--ps-file"])
        defer { sender.terminate() }
        let p = try g.probe("FFPS", over: "rtsp", seconds: 4)
        XCTAssertEqual(p.videoCodec, "h264", "\(p)")
        XCTAssertEqual(p.audioCodec, "", "MP3 is not carried: \(p)")
        XCTAssertGreaterThan(p.videoFrames, 75, "4 s at 25 fps: \(p)")
        XCTAssertEqual(try g.decodeErrors("FFPS"), [], "frames whole: not cut at the 2 KiB packets, not merged")
    }

    /// GStreamer's mpegpsmux: MPEG-2 packs with a map (0x1B, 0x0F), H.264 + AAC.
    func testPsFileFromGStreamerMpegpsmux() throws {
        let file = NSTemporaryDirectory() + "mr-gb-\(getpid())-gst.mpg"
        let (status, out) = try runCommand("/usr/bin/gst-launch-1.0", ["-q"] + """
            mpegpsmux name=m ! filesink location=\(file) \
            videotestsrc num-buffers=300 ! video/x-raw,format=I420,width=320,height=240,framerate=25/1 \
            ! x264enc bframes=0 key-int-max=25 ! h264parse ! m. \
            audiotestsrc num-buffers=517 ! audio/x-raw,rate=44100,channels=1 ! audioconvert ! avenc_aac ! aacparse ! m.
            """.split(separator: " ").map(String.init), timeout: 120)
        XCTAssertEqual(status, 0, out)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let g = try Gb28181Harness()
        defer { g.stop() }
        let port = try g.open("GSTPS")
        let sender = try Gb28181Harness.psSender(file, port: port, extra: ["--ps-file"])
        defer { sender.terminate() }
        let p = try g.probe("GSTPS", seconds: 4)
        XCTAssertEqual(p.videoCodec, "h264", "\(p)")
        XCTAssertEqual(p.audioCodec, "aac", "\(p)")
        XCTAssertGreaterThan(p.videoFrames, 75, "\(p)")
        XCTAssertGreaterThan(p.audioFrames, 100, "\(p)")
    }

    /// The suite's own PS sender with H.265 (stream type 0x24) and AAC (0x0F) from ffmpeg's elementary files.
    func testH265AndAacOverPs() throws {
        let video = Gb28181Harness.make("v.h265", ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "4", "-c:v", "libx265",
                                                   "-x265-params", "bframes=0:keyint=25:log-level=error", "-pix_fmt", "yuv420p", "-f", "hevc"])
        let audio = Gb28181Harness.make("a.aac", ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "4", "-c:a", "aac", "-f", "adts"])
        let g = try Gb28181Harness()
        defer { g.stop() }
        let port = try g.open("HEVCPS")
        let sender = try Gb28181Harness.psSender(video, port: port, seconds: 12, extra: ["--aac", audio])
        defer { sender.terminate() }
        let p = try g.probe("HEVCPS", over: "rtsp", seconds: 3)
        XCTAssertEqual(p.videoCodec, "hevc", "\(p)")
        XCTAssertEqual(p.audioCodec, "aac", "\(p)")
        XCTAssertGreaterThan(p.videoFrames, 50, "\(p)")
        XCTAssertGreaterThan(p.audioFrames, 80, "\(p)")
    }
}
