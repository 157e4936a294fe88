import NIOCore

/// When a loop mirror may keep audio frames back for the next video frame (the default delivery), and until
/// when: the time the next video frame is due (the last one's arrival plus one video frame interval as the
/// source's timestamps show it), never more than `maxWaitUs` from now. So held audio gains less than one frame
/// interval of latency, and a late video frame only costs a write of its own.
struct AudioHold {
    /// A 25 fps stream until the source's timestamps say otherwise.
    static let defaultIntervalUs: Int64 = 40_000
    /// Audio never waits longer than this, whatever the frame rate (a 5 fps camera's audio stays live).
    static let maxWaitUs: Int64 = 50_000
    var pending = false
    var generation: UInt64 = 0
    private(set) var intervalUs = defaultIntervalUs
    private var lastVideoDts: Int64?
    private var lastVideoAt: NIODeadline?

    /// When audio arriving `now` must be out at the latest; nil when that is already now.
    func deadline(now: NIODeadline) -> NIODeadline? {
        let due = (lastVideoAt ?? now) + .microseconds(intervalUs)
        let limit = now + .microseconds(Self.maxWaitUs)
        let at = min(due, limit)
        return at > now + .milliseconds(1) ? at : nil
    }

    /// Only plain audio frames of a source that also has video may wait: headers, config frames, video,
    /// unknown tracks and audio-only sources go out at once.
    func mayWait(_ frame: BusFrame, tracks: [TrackInfo]) -> Bool {
        guard frame.flags & (FrameFlags.header | FrameFlags.config) == 0, Int(frame.track) < tracks.count,
              !tracks[Int(frame.track)].isVideo else { return false }
        return tracks.contains { $0.isVideo }
    }

    /// Learns the video frame interval from consecutive video timestamps (microseconds); jumps are ignored.
    mutating func observeVideo(_ batch: [(BusFrame, Bool)], tracks: [TrackInfo], now: NIODeadline) {
        for (frame, _) in batch where Int(frame.track) < tracks.count && tracks[Int(frame.track)].isVideo
            && frame.flags & (FrameFlags.header | FrameFlags.config) == 0 {
            if let last = lastVideoDts {
                let delta = frame.dts - last
                if delta >= 1_000 && delta <= 1_000_000 { intervalUs = delta }
            }
            lastVideoDts = frame.dts
            lastVideoAt = now
        }
    }
}
