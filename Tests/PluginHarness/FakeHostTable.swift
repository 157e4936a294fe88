import NIOCore
import PluginABI
@_spi(PluginHarness) import RouterCore

/// The host table a plugin under the harness gets: the core's own, with the transport and timer entries
/// replaced by fakes (FakeTcpEntries, FakeUdpEntries, and the timers below). Everything else (buffers,
/// bus, events, auth, routes, commands, config) is the real core. One table for the process, like the
/// core's: the entries find each harness's fakes through the handles they are given.
enum FakeHostTable {
    nonisolated(unsafe) static let table: UnsafeMutablePointer<mr_host_api> = {
        let p = UnsafeMutablePointer<mr_host_api>.allocate(capacity: 1)
        p.initialize(to: make())
        return p
    }()

    /// The real table, for the buffer functions the fakes read payloads with.
    nonisolated(unsafe) static let real = InProcessPlugin.hostTable

    private static func make() -> mr_host_api {
        var api = InProcessPlugin.hostTable
        FakeTcpEntries.install(&api)
        FakeUdpEntries.install(&api)
        api.timer_start = { h, loop, delay, repeatMs, fn, user in
            guard let fakes = HarnessRegistry.fakes(h), let fn else {
                _ = InProcessPlugin.fail(Int32(MR_ERR_INVALID), "no function")
                return nil
            }
            return fakes.startTimer(loop: loop, delayMs: delay, repeatMs: repeatMs, fn: fn, user: user).handle
        }
        api.timer_cancel = { t in
            guard let timer = FakeTimer.from(t) else { return }
            timer.clock.cancel(timer)
        }
        api.now_us = { HarnessRegistry.currentClock?.nowUs ?? Int64(NIODeadline.now().uptimeNanoseconds / 1000) }
        return api
    }

    /// The bytes of `count` borrowed buffers, or nil when the list is malformed (as the host refuses it).
    static func bytes(_ list: UnsafePointer<OpaquePointer?>?, _ count: Int) -> [[UInt8]]? {
        guard count >= 0, count <= 4096 else { return nil }
        guard count > 0 else { return [] }
        guard let list else { return nil }
        var out: [[UInt8]] = []
        for i in 0..<count {
            guard let b = list[i] else { return nil }
            out.append(bytes(b))
        }
        return out
    }

    static func bytes(_ b: OpaquePointer) -> [UInt8] {
        let n = real.buf_len(b)
        guard n > 0, let p = real.buf_data(b) else { return [] }
        return Array(UnsafeBufferPointer(start: p, count: n))
    }
}
