import Foundation
import PluginHarness

/// The RTMP plugin's whole server session: the real libmrplugin_rtmp.so (built with the fuzzer's
/// instrumentation beside this binary) loaded through the in-process plugin harness on a real core bus, with
/// fake connections and a virtual clock. Each input is one connection: a valid handshake (C0+C1, then C2
/// echoing S1), then the input in reads of up to 4 KiB, the clock moved on between reads so timers (ack
/// windows, stall checks) run, then the peer closes. The seeds carry connect, createStream, publish or play and
/// media, so mutations start from a session that reaches its publishing and playing states.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRtmpSession(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let h = harness, let connection = try? h.connect() else { fatalError("the rtmp plugin did not start in the harness") }
    connection.feed(c0c1)
    h.runLoops(rounds: 1)
    let s0s1s2 = connection.takeSent()
    if s0s1s2.count >= 1 + 2 * handshakeSize {
        connection.feed(Array(s0s1s2[1...handshakeSize]))
        h.runLoops(rounds: 1)
    }
    var rest = UnsafeBufferPointer(start: data, count: size)[...]
    while !rest.isEmpty, connection.isOpen {
        connection.feed(Array(rest.prefix(4096)))
        rest = rest.dropFirst(4096)
        h.runLoops(rounds: 2)
        h.advance(ms: 100)
        _ = connection.takeSent()
    }
    connection.close()
    h.runLoops(rounds: 2)
    return 0
}

private let handshakeSize = 1536
/// C0 (version 3) and a simple-handshake C1: time, zero version field, then filler.
private let c0c1: [UInt8] = [3, 0, 0, 0, 0, 0, 0, 0, 0] + (0..<(handshakeSize - 8)).map { UInt8(truncatingIfNeeded: $0) }

/// One harness for the process: starting a core and loading the plugin per input would cost milliseconds.
/// Sessions are independent connections, so state left by one (a stream it published) is state a real
/// server has too.
private let harness: PluginHarness? = {
    setenv("MR_PLUGIN_DIR", URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path, 0)
    return try? PluginHarness(plugin: "rtmp", config: "port = 0")
}()
