import CMallocCounter
import Foundation
import NIOCore
import RouterCore

/// What one measured window cost the core's loops: their threads' heap allocations and user CPU (kernel
/// time is not counted). Per delivery, not wall time: figures that hold on a shared CI machine.
struct DeliveryCost: CustomStringConvertible {
    let deliveries: Int
    let frames: Int
    let allocations: Int
    let userSeconds: Double

    var allocationsPerDelivery: Double { Double(allocations) / Double(max(deliveries, 1)) }
    var allocationsPerFrame: Double { Double(allocations) / Double(max(frames, 1)) }
    var userNsPerDelivery: Double { userSeconds / Double(max(deliveries, 1)) * 1e9 }

    var description: String {
        String(format: "%d frames, %d deliveries: %.3f allocations per delivery (%.1f per frame), %.0f ns user CPU per delivery",
               frames, deliveries, allocationsPerDelivery, allocationsPerFrame, userNsPerDelivery)
    }

    /// False in a sanitizer build, whose runtime's malloc replaces the counting one: the guard then skips,
    /// as the sanitizer's own cost would also swamp the CPU budgets.
    static var countsAllocations: Bool {
        let before = mr_malloc_count()
        free(malloc(64))
        return mr_malloc_count() != before
    }

    /// Runs `body` (which must return once every delivery has happened) and measures it.
    static func measure(_ pollers: Pollers, frames: Int, deliveries: Int, _ body: () throws -> Void) rethrows -> DeliveryCost {
        settle(pollers)
        let before = loopCounters(pollers)
        try body()
        settle(pollers)
        let after = loopCounters(pollers)
        return DeliveryCost(deliveries: deliveries, frames: frames, allocations: after.allocations - before.allocations,
                            userSeconds: after.userSeconds - before.userSeconds)
    }

    /// The cheapest of `runs` measurements: interference from other processes only ever adds CPU.
    static func best(of runs: [DeliveryCost]) -> DeliveryCost {
        runs.min { $0.userNsPerDelivery < $1.userNsPerDelivery } ?? DeliveryCost(deliveries: 0, frames: 0, allocations: 0, userSeconds: 0)
    }

    /// Lets every loop run what is queued (a write may queue another hop), and the walks a busy loop put off
    /// until it had polled its sockets (scheduled a fraction of a millisecond ahead, `WalkPacer`).
    static func settle(_ pollers: Pollers) {
        for _ in 0..<3 { for l in pollers.loops { _ = try? l.scheduleTask(in: .milliseconds(2)) {}.futureResult.wait() } }
    }

    /// Sums of the loop threads' user CPU and heap allocations, each read on its own thread: what the test
    /// thread does (publishing, reading sockets; generic code allocates in a debug build) is not counted.
    static func loopCounters(_ pollers: Pollers) -> (userSeconds: Double, allocations: Int) {
        var total = (userSeconds: 0.0, allocations: 0)
        for loop in pollers.loops {
            let (cpu, allocations) = (try? loop.submit { () -> (Double, Int) in
                var usage = rusage()
                // RUSAGE_THREAD (1): Swift's Glibc hides the name behind _GNU_SOURCE.
                getrusage(1, &usage)
                return (Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6, Int(mr_malloc_count_thread()))
            }.wait()) ?? (0, 0)
            total.userSeconds += cpu
            total.allocations += allocations
        }
        return total
    }
}
