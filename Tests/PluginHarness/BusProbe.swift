import NIOConcurrencyHelpers
import PluginABI
import RouterCore

/// A reader on the core's bus, for tests of a plugin's publishers: records the tracks the source declared
/// (at MR_READER_STARTED and MR_READER_TRACKS_CHANGED), every frame with its payload copied, and the events.
public final class BusProbe: @unchecked Sendable {
    private struct State {
        var tracks: [BusTrack] = []
        var frames: [BusFrameCopy] = []
        var events: [mr_reader_event] = []
        var reader: OpaquePointer?
    }

    private let state = NIOLockedValueBox(State())
    private let embedded: EmbeddedHost

    init(embedded: EmbeddedHost, app: String, stream: String, loopIndex: Int, waitMs: Int32) throws {
        self.embedded = embedded
        let api = embedded.api.pointee
        var options = mr_reader_options()
        options.size = UInt32(MemoryLayout<mr_reader_options>.size)
        options.loop = Int32(loopIndex)
        options.wait_ms = waitMs
        var cbs = mr_reader_callbacks()
        cbs.size = UInt32(MemoryLayout<mr_reader_callbacks>.size)
        cbs.on_frames = { user, _, frames, count in
            guard let user else { return }
            Unmanaged<BusProbe>.fromOpaque(user).takeUnretainedValue().record(UnsafeBufferPointer(start: frames, count: count))
        }
        cbs.on_event = { user, reader, event, _ in
            guard let user else { return }
            Unmanaged<BusProbe>.fromOpaque(user).takeUnretainedValue().record(event: mr_reader_event(rawValue: UInt32(bitPattern: event)), reader)
        }
        var out: OpaquePointer?
        let me = Unmanaged.passUnretained(self).toOpaque()
        let rc = "harness".withCString { proto in app.withCString { a in stream.withCString { s in
            options.protocol = proto
            var key = mr_stream_key(vhost: nil, app: a, stream: s)
            return api.reader_open(embedded.host, &key, &options, &cbs, me, &out)
        } } }
        guard rc == MR_OK else { throw HarnessError("reader_open \(app)/\(stream) failed: \(rc)") }
        state.withLockedValue { $0.reader = out }
    }

    public var tracks: [BusTrack] { state.withLockedValue { $0.tracks } }
    public var frames: [BusFrameCopy] { state.withLockedValue { $0.frames } }
    public var events: [mr_reader_event] { state.withLockedValue { $0.events } }
    public func frames(track: UInt32) -> [BusFrameCopy] { frames.filter { $0.track == track } }

    private func record(_ frames: UnsafeBufferPointer<mr_frame>) {
        let api = embedded.api.pointee
        let copies = frames.map { f in
            BusFrameCopy(track: f.track, flags: f.flags, pts: f.pts, dts: f.dts,
                         payload: f.payload.map { b in api.buf_data(b).map { Array(UnsafeBufferPointer(start: $0, count: api.buf_len(b))) } ?? [] } ?? [])
        }
        state.withLockedValue { $0.frames += copies }
    }

    private func record(event: mr_reader_event, _ reader: OpaquePointer?) {
        var tracks: [BusTrack]?
        if event == MR_READER_STARTED || event == MR_READER_TRACKS_CHANGED, let reader {
            let api = embedded.api.pointee
            tracks = (0..<api.reader_track_count(reader)).compactMap { i in
                var info = mr_track_info()
                info.size = UInt32(MemoryLayout<mr_track_info>.size)
                return api.reader_track_info(reader, i, &info) == MR_OK ? BusTrack(info) : nil
            }
        }
        state.withLockedValue { s in
            s.events.append(event)
            if let tracks { s.tracks = tracks }
            if event == MR_READER_CLOSED { s.reader = nil }
        }
    }
}
