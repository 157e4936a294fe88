/// When a loop mirror may keep audio frames back for the next video frame (the default delivery), and for how
/// long: one video frame interval as the source's own timestamps show it, never more than `maxWaitUs`.
struct AudioHold {
    /// A 25 fps stream until the source's timestamps say otherwise.
    static let defaultIntervalUs: Int64 = 40_000
    /// Audio never waits longer than this, whatever the frame rate (a 5 fps camera's audio stays live).
    static let maxWaitUs: Int64 = 50_000
    var pending = false
    var generation: UInt64 = 0
    private(set) var intervalUs = defaultIntervalUs
    private var lastVideoDts: Int64?

    var waitLimitUs: Int64 { min(intervalUs, Self.maxWaitUs) }

    /// Only plain audio frames of a source that also has video may wait: headers, config frames, video,
    /// unknown tracks and audio-only sources go out at once.
    func mayWait(_ frame: BusFrame, tracks: [TrackInfo]) -> Bool {
        guard frame.flags & (FrameFlags.header | FrameFlags.config) == 0, Int(frame.track) < tracks.count,
              !tracks[Int(frame.track)].isVideo else { return false }
        return tracks.contains { $0.isVideo }
    }

    /// Learns the video frame interval from consecutive video timestamps (microseconds); jumps are ignored.
    mutating func observeVideo(_ batch: [(BusFrame, Bool)], tracks: [TrackInfo]) {
        for (frame, _) in batch where Int(frame.track) < tracks.count && tracks[Int(frame.track)].isVideo
            && frame.flags & (FrameFlags.header | FrameFlags.config) == 0 {
            if let last = lastVideoDts {
                let delta = frame.dts - last
                if delta >= 1_000 && delta <= 1_000_000 { intervalUs = delta }
            }
            lastVideoDts = frame.dts
        }
    }
}
