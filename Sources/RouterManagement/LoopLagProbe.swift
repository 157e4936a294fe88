#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOConcurrencyHelpers
import NIOCore
import RouterCore

/// How late each event loop runs a task queued on it, sampled every second: ZLMediaKit's getThreadsLoad
/// `delay`, and the event-loop lag of the metrics. A loop busy with frames shows it here first.
final class LoopLagProbe: @unchecked Sendable {
    private let pollers: Pollers
    private let lags: NIOLockedValueBox<[Double]>
    private let busy: NIOLockedValueBox<[Double]>
    private var tasks: [RepeatedTask] = []

    init(pollers: Pollers) {
        self.pollers = pollers
        lags = NIOLockedValueBox(Array(repeating: 0, count: pollers.count))
        busy = NIOLockedValueBox(Array(repeating: 0, count: pollers.count))
    }

    /// Milliseconds of the last sample, per loop.
    var lagMs: [Double] { lags.withLockedValue { $0 } }

    func start() {
        for (i, loop) in pollers.loops.enumerated() {
            let lags = self.lags
            tasks.append(loop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
                let queued = NIODeadline.now()
                loop.execute {
                    let ms = Double((NIODeadline.now() - queued).nanoseconds) / 1_000_000
                    lags.withLockedValue { $0[i] = ms }
                }
            })
        }
    }

    func stop() {
        for t in tasks { t.cancel() }
        tasks.removeAll()
    }
}
