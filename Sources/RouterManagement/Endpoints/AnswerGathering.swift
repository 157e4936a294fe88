#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOConcurrencyHelpers

/// Waits for the answers of several asynchronous calls, from any threads; the last to arrive hands over
/// the answers that came (a nil answer, a call that failed, is counted but not kept). No calls: at once.
final class AnswerGathering<Answer>: @unchecked Sendable {
    private let lock = NIOLock()
    private var left: Int
    private var answers: [Answer] = []
    private let done: @Sendable ([Answer]) -> Void

    init(count: Int, done: @escaping @Sendable ([Answer]) -> Void) {
        left = count
        self.done = done
        if count == 0 { done([]) }
    }

    func arrived(_ answer: Answer?) {
        let finished = lock.withLock { () -> [Answer]? in
            guard left > 0 else { return nil }
            if let answer { answers.append(answer) }
            left -= 1
            return left == 0 ? answers : nil
        }
        if let finished { done(finished) }
    }
}
