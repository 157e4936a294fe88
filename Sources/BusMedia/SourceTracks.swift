import MediaFormats
import MRPluginKit
import PluginABI

/// A publisher's tracks on the bus, for every ingest (FLV tags, RTP, TS): it declares the tracks once the
/// codecs that need a config (H.264, H.265, AAC) have one, holds the frames that come before that (bounded),
/// pushes config changes as track updates, and writes frames with microsecond timestamps.
///
/// Tracks are addressed by the ingest's own slot numbers (FLV: 0 video, 1 audio; RTP: the SDP order).
/// Tracks are declared when every expected slot is complete, or after `readyAfterFrames` held frames when
/// some never complete; a slot that first appears after that is not added (the bus's track set is fixed
/// once ready).
public final class SourceTracks {
    public typealias Track = MediaTrack


    private let host: PluginHost
    private let source: OpaquePointer
    private let readyAfterFrames: Int
    private var tracks: [Int: Track] = [:]
    private var indices: [Int: Int32] = [:]
    private var expected: Set<Int> = []
    public private(set) var ready = false
    private var held: [(slot: Int, flags: UInt32, pts: Int64, dts: Int64, data: [UInt8])] = []
    private var heldBytes = 0
    /// Held frames may not add up to more than this: a publisher that never sends its config cannot make
    /// the server buffer 50 huge frames.
    public static let maxHeldBytes = 8 << 20
    public private(set) var framesIn = 0
    /// The bus refused a write because this publisher no longer owns the stream (close_stream, a takeover):
    /// its session should end the connection instead of sending into a source nobody reads.
    public private(set) var closedByBus = false

    public init(host: PluginHost, source: OpaquePointer, readyAfterFrames: Int = 50) {
        self.host = host
        self.source = source
        self.readyAfterFrames = readyAfterFrames
    }

    /// Announces a slot that will carry media (metadata, SDP), so declaring waits for it.
    public func expect(_ slot: Int) { expected.insert(slot) }

    public func track(_ slot: Int) -> Track? { tracks[slot] }

    /// Sets or replaces a slot's description; a declared track is updated on the bus when it changed.
    public func set(_ slot: Int, _ track: Track) {
        let old = tracks[slot]
        tracks[slot] = track
        if let index = indices[slot] {
            if old != track { update(index, track) }
        } else {
            tryReady()
        }
    }

    public func write(_ slot: Int, flags: UInt32, pts: Int64, dts: Int64, _ payload: [UInt8]) {
        framesIn += 1
        guard ready else {
            held.append((slot, flags, pts, dts, payload))
            heldBytes += payload.count
            if held.count >= readyAfterFrames || heldBytes > Self.maxHeldBytes { declare() } else { tryReady() }
            return
        }
        guard let index = indices[slot], index >= 0, let buf = host.buffer(payload) else { return }
        var frame = mr_frame(track: UInt32(index), flags: flags, pts: pts, dts: dts, payload: buf)
        if host.table.source_write(source, &frame, 1) == Int32(MR_ERR_CLOSED) { closedByBus = true }
        host.table.buf_release(buf)
    }

    private func tryReady() {
        guard !ready, !tracks.isEmpty else { return }
        guard expected.allSatisfy({ tracks[$0]?.isComplete == true }), tracks.values.allSatisfy(\.isComplete) else { return }
        declare()
    }

    private func declare() {
        guard !ready, !tracks.isEmpty else { return }
        ready = true
        for slot in tracks.keys.sorted() {
            guard let t = tracks[slot] else { continue }
            indices[slot] = Self.withInfo(t) { host.table.source_add_track(source, &$0) }
        }
        _ = host.table.source_ready(source)
        let pending = held
        held = []
        heldBytes = 0
        for h in pending { write(h.slot, flags: h.flags, pts: h.pts, dts: h.dts, h.data) }
        framesIn -= pending.count
    }

    private func update(_ index: Int32, _ t: Track) {
        guard index >= 0 else { return }
        _ = Self.withInfo(t) { host.table.source_update_track(source, UInt32(index), &$0) }
    }

    /// The track's C description with its config as extradata, valid for the call.
    private static func withInfo(_ t: Track, _ body: (inout mr_track_info) -> Int32) -> Int32 {
        var info = mr_track_info()
        info.size = UInt32(MemoryLayout<mr_track_info>.size)
        info.codec = CodecMapping.abi(t.codec)
        if t.codec.isVideo {
            info.kind = Int32(bitPattern: MR_TRACK_VIDEO.rawValue)
            info.clock_rate = 90000
            info.width = UInt32(clamping: t.width)
            info.height = UInt32(clamping: t.height)
        } else {
            info.kind = Int32(bitPattern: MR_TRACK_AUDIO.rawValue)
            info.clock_rate = UInt32(clamping: t.sampleRate)
            info.channels = UInt32(clamping: t.channels)
        }
        return t.config.withUnsafeBufferPointer { p in
            info.extradata = p.baseAddress
            info.extradata_len = p.count
            return body(&info)
        }
    }
}

extension MediaTrack {
    /// H.264, H.265 and AAC cannot be declared without their config; other codecs can.
    var isComplete: Bool { !(codec == .h264 || codec == .h265 || codec == .aac) || !config.isEmpty }
}
