import NIOCore

/// When a loop mirror walks its readers, so that the loop still polls its sockets while it fans out.
///
/// NIO runs a loop's tasks until none is due before it polls again, and each batch the home loop sends is a
/// task. On a loop whose walk took as long as a frame interval (1,500 players a loop on 2 busy cores), batches
/// came in during every walk, walk followed walk, and the loop went seconds without accepting a connection or
/// reading a request: at 3,000 players the time to first frame p99 was 1.6 s over RTMP, whose handshake needs
/// three polls, and 459 ms over RTSP (six). A task scheduled for a moment still ahead ends the loop's tick, so
/// once the loop has walked for `slice` without a pause, the next walk, or the rest of the walk under way, is
/// scheduled `pollGap` ahead of the tasks queued meanwhile: a handshake waits for a slice, not for walk after
/// walk. The deferred walk takes every batch that came meanwhile.
struct WalkPacer {
    /// Walks at least this far apart leave the loop time to poll.
    static let pollGap = TimeAmount.microseconds(200)
    static let slice = TimeAmount.milliseconds(5)
    /// Readers walked between two looks at the clock.
    static let readersPerCheck = 32

    /// When the last walk, or part of one, ended.
    private(set) var lastEnd = NIODeadline.uptimeNanoseconds(0)
    /// When the loop began walking without a pause of `pollGap` since.
    private var busySince = NIODeadline.uptimeNanoseconds(0)
    /// A walk is scheduled: deferred, or the rest of one cut short.
    var scheduled = false
    /// The reader a walk cut short goes on from; 0 when none is under way.
    var resume = 0
    /// The ring's head when the walk under way began.
    var startHead: UInt64 = 0

    /// A walk asked for at `now` waits for a poll: one is under way, or the loop has walked for a slice.
    func mustWait(now: NIODeadline) -> Bool {
        resume > 0 || (now - lastEnd < Self.pollGap && now - busySince >= Self.slice)
    }

    /// A walk, or the rest of one, begins.
    mutating func begin(now: NIODeadline) {
        if now - lastEnd >= Self.pollGap { busySince = now }
    }

    /// Whether the walk stops after `done` of `count` readers, to go on after a poll.
    func shouldCut(done: Int, count: Int) -> Bool {
        done % Self.readersPerCheck == 0 && done < count && NIODeadline.now() - busySince >= Self.slice
    }

    mutating func ended(at time: NIODeadline) { lastEnd = time }

    /// A reader left from `index` of the list: the walk under way goes on from the same reader.
    mutating func readerRemoved(at index: Int) {
        if index < resume { resume -= 1 }
    }
}
