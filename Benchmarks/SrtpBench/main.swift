import Foundation
import WebRtcProtocol

// SRTP protect cost per profile for 1,200-byte RTP packets (the WebRTC payload limit), as CPU seconds per
// Gbit of protected output. Run a release build: swift run -c release mediarouter-srtpbench
let packets = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 400_000
let size = 1_200

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

for profile in [SrtpProfile.aes128CmHmacSha1_80, .aeadAes128Gcm] {
    let master = SrtpMasterKey(key: [UInt8](repeating: 1, count: 16), salt: [UInt8](repeating: 2, count: profile.saltLength))
    guard let ctx = SrtpContext(profile: profile, master: master) else { fatalError("context") }
    var template = [UInt8](repeating: 0xAB, count: size)
    template[0] = 0x80
    template[1] = 96
    var buffer = template
    buffer.reserveCapacity(size + 32)
    let start = cpuSeconds()
    for i in 0..<packets {
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: template)
        buffer[2] = UInt8(truncatingIfNeeded: i >> 8)
        buffer[3] = UInt8(truncatingIfNeeded: i)
        do { try ctx.protectRtp(&buffer) } catch { fatalError("\(error)") }
    }
    let cpu = cpuSeconds() - start
    let gbit = Double(packets * size * 8) / 1e9
    print("\(profile): \(packets) packets of \(size) B in \(String(format: "%.3f", cpu)) s CPU: "
        + "\(String(format: "%.3f", cpu / gbit)) CPU-s per Gbit, \(String(format: "%.2f", gbit / cpu)) Gbit/s per core, "
        + "\(String(format: "%.2f", cpu / Double(packets) * 1e6)) µs per packet")
}
