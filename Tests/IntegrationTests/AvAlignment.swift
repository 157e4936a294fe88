import Foundation
import XCTest

/// Audio/video alignment as a player sees it, from a probe's per-track packet timestamps.
///
/// A server that shifts one track against the other when it rebases a timeline (a publisher's return, an HLS
/// discontinuity, a VOD seek) leaves a mark a timestamp check can see: the shifted track either overlaps its own
/// earlier stamps (not strictly increasing), or leaves a hole (a gap no 25 fps video or 43 fps AAC track has),
/// or ends away from the other track. Which content plays when cannot be seen here; that needs decoded
/// pictures (Mp4VodTests' clock file does it for video).
extension MediaTools.Probe {
    /// What is wrong with the alignment, one line per problem; empty when the tracks are aligned within `bound`
    /// seconds. Times are read after `from` (a seek's target, a rebase's point) when given.
    func alignmentProblems(bound: Double = 0.5, from: Double? = nil) -> [String] {
        let video = videoDts.filter { $0 >= (from ?? -.infinity) }
        let audio = audioDts.filter { $0 >= (from ?? -.infinity) }
        guard let v0 = video.first, let a0 = audio.first, let v1 = video.last, let a1 = audio.last else {
            return ["a track is missing: \(video.count) video and \(audio.count) audio packets"]
        }
        var problems: [String] = []
        if !MediaTools.isIncreasing(audio) { problems.append("audio timestamps repeat or go back: \(MediaTools.firstBackStep(audio))") }
        if !MediaTools.isIncreasing(video) { problems.append("video timestamps repeat or go back: \(MediaTools.firstBackStep(video))") }
        if abs(a0 - v0) >= bound { problems.append(String(format: "first audio %.3f s vs first video %.3f s", a0, v0)) }
        if abs(a1 - v1) >= bound { problems.append(String(format: "last audio %.3f s vs last video %.3f s", a1, v1)) }
        for (name, track) in [("audio", audio), ("video", video)] {
            if let (at, gap) = MediaTools.largestGap(track), gap >= bound {
                problems.append(String(format: "%@ has a %.3f s hole after %.3f s", name, gap, at))
            }
        }
        return problems
    }
}

extension MediaTools {
    /// The step of a track with the largest increase: where it starts and how long it is.
    static func largestGap(_ values: [Double]) -> (Double, Double)? {
        zip(values, values.dropFirst()).map { ($0, $1 - $0) }.max { $0.1 < $1.1 }
    }

    /// Where a track first fails to increase, for failure messages.
    static func firstBackStep(_ values: [Double]) -> String {
        guard let i = values.indices.dropLast().first(where: { values[$0] >= values[$0 + 1] }) else { return "none" }
        return "\(values[i]) then \(values[i + 1]) at packet \(i + 1)"
    }

    /// Fails the test with every alignment problem of `p`, naming `what` was probed.
    static func assertAligned(_ p: Probe, _ what: String, bound: Double = 0.5, from: Double? = nil,
                              file: StaticString = #filePath, line: UInt = #line) {
        let problems = p.alignmentProblems(bound: bound, from: from)
        XCTAssertTrue(problems.isEmpty, "\(what): audio and video out of line by \(bound) s or more: "
                      + problems.joined(separator: "; "), file: file, line: line)
    }
}
