import NIOConcurrencyHelpers
import NIOCore

/// A question answered once, by a plugin (auth, commands) or by a timeout, whichever comes first; the answer
/// is delivered on the asker's loop. The C handle given to the answering plugin holds one reference.
final class AnswerTicket<Answer: Sendable>: @unchecked Sendable {
    let loop: EventLoop
    let done: @Sendable (Answer) -> Void
    private let lock = NIOLock()
    private var answered = false
    private var timer: Scheduled<Void>?

    init(loop: EventLoop, done: @escaping @Sendable (Answer) -> Void) {
        self.loop = loop
        self.done = done
    }

    /// The timeout, set under the lock: an answer may race its scheduling (a 1 ms timeout on another loop).
    func setTimeout(_ t: Scheduled<Void>) {
        let cancel = lock.withLock { () -> Bool in
            if answered { return true }
            timer = t
            return false
        }
        if cancel { t.cancel() }
    }

    /// First answer wins; returns whether this one did.
    @discardableResult
    func resolve(_ answer: Answer) -> Bool {
        let (first, t) = lock.withLock { () -> (Bool, Scheduled<Void>?) in
            defer { answered = true }
            return (!answered, timer)
        }
        guard first else { return false }
        t?.cancel()
        loop.execute { self.done(answer) }
        return true
    }
}

typealias AuthTicket = AnswerTicket<(allowed: Bool, reason: String)>
typealias CommandTicket = AnswerTicket<(status: Int32, reply: String)>
