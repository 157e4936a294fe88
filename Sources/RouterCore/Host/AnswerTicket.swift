import NIOConcurrencyHelpers
import NIOCore

/// A question answered once, by a plugin (auth, commands) or by a timeout, whichever comes first; the answer
/// is delivered on the asker's loop. The C handle given to the answering plugin holds one reference.
final class AnswerTicket<Answer: Sendable>: @unchecked Sendable {
    let loop: EventLoop
    let done: @Sendable (Answer) -> Void
    var timer: Scheduled<Void>?
    private let lock = NIOLock()
    private var answered = false

    init(loop: EventLoop, done: @escaping @Sendable (Answer) -> Void) {
        self.loop = loop
        self.done = done
    }

    /// First answer wins; returns whether this one did.
    @discardableResult
    func resolve(_ answer: Answer) -> Bool {
        let first = lock.withLock { () -> Bool in
            defer { answered = true }
            return !answered
        }
        guard first else { return false }
        timer?.cancel()
        loop.execute { self.done(answer) }
        return true
    }
}

typealias AuthTicket = AnswerTicket<(allowed: Bool, reason: String)>
typealias CommandTicket = AnswerTicket<(status: Int32, reply: String)>
