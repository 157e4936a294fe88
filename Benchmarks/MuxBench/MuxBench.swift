import MediaFormats
import MP4Formats
import MpegTS
import RtpFormats
#if canImport(Glibc)
import Glibc
#endif

/// Cost of muxing one live stream into each container, once per source as the server does: a synthetic
/// 2 Mbit/s H.264 (30 fps, keyframe every 2 s) + AAC (48 kHz, 96 kbit/s) stream is pushed through the MPEG-TS
/// muxer, the fMP4 muxer and the RTP packetizers, and the process CPU time is scaled to one stream-hour.
/// Run the release build: `swift run -c release mediarouter-muxbench [seconds of media]`.
@main
struct MuxBench {
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    /// A length-prefixed access unit of `size` bytes (one slice NAL; the content does not matter to muxers).
    static func accessUnit(size: Int, key: Bool) -> [UInt8] {
        var nal = [UInt8](repeating: 0xAB, count: size - 4)
        nal[0] = key ? 0x65 : 0x41
        return NalUnits.lengthPrefixed([nal[...]])
    }

    static func main() {
        let seconds = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 600
        let sps: [UInt8] = [0x67, 0x64, 0x00, 0x1F, 0xAC, 0xD9, 0x40, 0x50, 0x05, 0xBB, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10,
                            0x00, 0x00, 0x03, 0x03, 0xC0, 0xF1, 0x83, 0x19, 0x60]
        let pps: [UInt8] = [0x68, 0xEB, 0xE3, 0xCB, 0x22, 0xC0]
        let avcC = AVCDecoderConfig(sps: [sps], pps: [pps]).encode()
        let asc = AudioSpecificConfig(objectType: 2, sampleRate: 48000, channels: 2)?.bytes ?? [0x11, 0x90]
        let tracks: [MediaTrack?] = [MediaTrack(codec: .h264, config: avcC, width: 1280, height: 720),
                                     MediaTrack(codec: .aac, config: asc, sampleRate: 48000, channels: 2)]
        // 1.9 Mbit/s of video at 30 fps: a 60 KB keyframe every 60 frames, the rest share what is left.
        let key = accessUnit(size: 60_000, key: true)
        let delta = accessUnit(size: (1_900_000 / 8 * 2 - 60_000) / 59, key: false)
        let audio = [UInt8](repeating: 0x21, count: 96_000 / 8 * 1024 / 48000)
        var frames: [(track: Int, pts: Int64, key: Bool, data: [UInt8])] = []
        var v = 0, a = 0
        let endUs = Int64(seconds) * 1_000_000
        while true {
            let vt = Int64(v) * 1_000_000 / 30, at = Int64(a) * 1024 * 1_000_000 / 48000
            if min(vt, at) >= endUs { break }
            if vt <= at {
                frames.append((0, vt, v % 60 == 0, v % 60 == 0 ? key : delta))
                v += 1
            } else {
                frames.append((1, at, false, audio))
                a += 1
            }
        }
        let mediaBytes = frames.reduce(0) { $0 + $1.data.count }
        print("media: \(seconds) s, \(frames.count) frames, \(mediaBytes * 8 / seconds / 1000) kbit/s")

        func measure(_ name: String, _ body: () -> Int) {
            let c0 = cpuSeconds()
            let out = body()
            let cpu = cpuSeconds() - c0
            print(name + String(repeating: " ", count: max(1, 10 - name.count))
                  + "\(String(Int(cpu * 1000))) ms CPU for \(seconds) s of media = "
                  + "\(String(Int(cpu * 3600 / Double(seconds) * 1000))) ms per stream-hour; \(out / 1_000_000) MB out")
        }
        measure("MPEG-TS") {
            var ts = TsMuxer(tracks: tracks)
            var out: [UInt8] = []
            var total = 0
            for f in frames {
                out.removeAll(keepingCapacity: true)
                ts.mux(track: f.track, pts: f.pts, dts: f.pts, key: f.key, data: f.data[...], into: &out)
                total += out.count
            }
            return total
        }
        measure("fMP4") {
            var mp4 = Fmp4Muxer(tracks: tracks)
            var total = 0
            for f in frames {
                for p in mp4.mux(track: f.track, pts: f.pts, dts: f.pts, key: f.key, data: f.data[...]) { total += p.bytes.count }
            }
            return total
        }
        measure("RTP") {
            guard var video = RtpPacketizers.make(codec: .h264, payloadType: 96, ssrc: 1, clockRate: 90000, channels: 1),
                  var aac = RtpPacketizers.make(codec: .aac, payloadType: 97, ssrc: 2, clockRate: 48000, channels: 2) else { return 0 }
            var total = 0
            for f in frames {
                let ts = UInt32(truncatingIfNeeded: f.pts * (f.track == 0 ? 90000 : 48000) / 1_000_000)
                if f.track == 0 {
                    video.packetize(f.data[...], timestamp: ts) { total += $0.count }
                } else {
                    aac.packetize(f.data[...], timestamp: ts) { total += $0.count }
                }
            }
            return total
        }
    }
}
