import PluginABI

/// A codec-level frame (or a derived ring's packet) with its payload held strongly.
public struct BusFrame: Sendable {
    public var track: UInt32
    public var flags: UInt32
    public var pts: Int64
    public var dts: Int64
    public var payload: MediaBuffer

    public init(track: UInt32, flags: UInt32, pts: Int64, dts: Int64, payload: MediaBuffer) {
        self.track = track
        self.flags = flags
        self.pts = pts
        self.dts = dts
        self.payload = payload
    }

    public var isKey: Bool { flags & FrameFlags.key != 0 }

    /// The C view; the payload is passed unretained, so `self` must outlive the view.
    var cFrame: mr_frame {
        mr_frame(track: track, flags: flags, pts: pts, dts: dts,
                 payload: OpaquePointer(Unmanaged.passUnretained(payload).toOpaque()))
    }

    /// Reads a C frame, retaining its payload. Nil when the payload is missing.
    init?(c frame: mr_frame) {
        guard let payload = frame.payload else { return nil }
        self.init(track: frame.track, flags: frame.flags, pts: frame.pts, dts: frame.dts,
                  payload: Unmanaged<MediaBuffer>.fromOpaque(UnsafeRawPointer(payload)).takeUnretainedValue())
    }
}
