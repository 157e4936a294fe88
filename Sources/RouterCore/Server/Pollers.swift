import NIOCore
import NIOPosix

/// The event loops ("pollers"): one per core by default. A session lives on one loop for its life.
public final class Pollers: Sendable {
    public let group: MultiThreadedEventLoopGroup
    public let loops: [EventLoop]
    private let next = RoundRobin()
    /// One per loop: the timed reads of trickle UDP sockets (mr_udp_options.read_interval_ms).
    private let udpReadBatchers: [UdpReadBatcher]

    public init(threads: Int) {
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        loops = Array(group.makeIterator())
        udpReadBatchers = loops.map { UdpReadBatcher(loop: $0) }
    }

    func udpReadBatcher(_ index: Int) -> UdpReadBatcher { udpReadBatchers[((index % count) + count) % count] }

    public var count: Int { loops.count }

    /// Index of the loop the caller runs on, or nil off-loop.
    public func currentIndex() -> Int? { loops.firstIndex { $0.inEventLoop } }

    public func loop(_ index: Int) -> EventLoop { loops[((index % count) + count) % count] }

    /// `index` if valid, else the calling loop, else the next in turn.
    public func resolve(_ index: Int32) -> Int {
        if index >= 0, Int(index) < count { return Int(index) }
        return currentIndex() ?? next.take(modulo: count)
    }

    public func nextIndex() -> Int { next.take(modulo: count) }

    public func shutdown() { try? group.syncShutdownGracefully() }
}

final class RoundRobin: @unchecked Sendable {
    private let counter = ManagedAtomicCounter()
    func take(modulo n: Int) -> Int { Int(counter.next() % UInt64(max(n, 1))) }
}
