import PluginABI

/// A Swift object that receives a bus reader's callbacks.
public protocol ReaderHandler: AnyObject {
    func frames(_ reader: OpaquePointer, _ frames: UnsafeBufferPointer<mr_frame>)
    func event(_ reader: OpaquePointer, _ event: mr_reader_event, detail: Int64)
}

/// Builds a derived ring's muxer state.
public protocol RingMuxer: AnyObject {
    func frames(_ ring: OpaquePointer, _ frames: UnsafeBufferPointer<mr_frame>)
    func tracksChanged(_ ring: OpaquePointer)
}

public protocol RingMuxerFactory: AnyObject {
    func makeMuxer(for ring: OpaquePointer) -> RingMuxer?
}

public enum ReaderBridge {
    /// C callbacks whose `user` is an unretained `ReaderHandler` (the handler outlives its reader).
    public static func callbacks() -> mr_reader_callbacks {
        var c = mr_reader_callbacks()
        c.size = UInt32(MemoryLayout<mr_reader_callbacks>.size)
        c.on_frames = { user, reader, frames, count in
            guard let user, let reader, let frames else { return }
            Unmanaged<ReaderBox>.fromOpaque(user)._withUnsafeGuaranteedRef {
                $0.frames(reader, UnsafeBufferPointer(start: frames, count: count))
            }
        }
        c.on_event = { user, reader, event, detail in
            guard let user, let reader else { return }
            Unmanaged<ReaderBox>.fromOpaque(user)._withUnsafeGuaranteedRef {
                $0.event(reader, mr_reader_event(rawValue: UInt32(bitPattern: event)), detail: detail)
            }
        }
        return c
    }

    /// The `user` pointer for a reader of `box`'s handler; the caller keeps `box` alive while the reader
    /// exists (a handler owns its box).
    public static func user(for box: ReaderBox) -> UnsafeMutableRawPointer { Unmanaged.passUnretained(box).toOpaque() }

    /// Muxer callbacks whose `user` is an unretained factory; each ring's state is a retained muxer.
    public static func muxerCallbacks() -> mr_muxer_callbacks {
        var m = mr_muxer_callbacks()
        m.size = UInt32(MemoryLayout<mr_muxer_callbacks>.size)
        m.create = { user, ring in
            guard let user, let ring, let f = Unmanaged<AnyObject>.fromOpaque(user).takeUnretainedValue() as? RingMuxerFactory,
                  let muxer = f.makeMuxer(for: ring) else { return nil }
            return Unmanaged.passRetained(muxer as AnyObject).toOpaque()
        }
        m.on_frames = { state, ring, frames, count in
            guard let state, let ring, let frames, let mx = Unmanaged<AnyObject>.fromOpaque(state).takeUnretainedValue() as? RingMuxer
            else { return }
            mx.frames(ring, UnsafeBufferPointer(start: frames, count: count))
        }
        m.on_tracks = { state, ring in
            guard let state, let ring, let mx = Unmanaged<AnyObject>.fromOpaque(state).takeUnretainedValue() as? RingMuxer
            else { return }
            mx.tracksChanged(ring)
        }
        m.destroy = { state in
            guard let state else { return }
            Unmanaged<AnyObject>.fromOpaque(state).release()
        }
        return m
    }

    public static func user(for factory: RingMuxerFactory) -> UnsafeMutableRawPointer {
        Unmanaged.passUnretained(factory as AnyObject).toOpaque()
    }
}

/// A concrete box for a reader handler, so the hot callback needs no dynamic cast.
///
/// The handler owns its box and closes its reader before it goes, so neither is retained per call. Every
/// retain counts here: a handler that was ever weakly referenced (a timer's `[weak self]`) keeps its count
/// in a side table, and retaining it and its box for each call was about 4 % of the server's CPU in the
/// HTTP-FLV fan-out profile.
public final class ReaderBox {
    private let handler: UnsafeMutableRawPointer
    private let deliver: (UnsafeMutableRawPointer, OpaquePointer, UnsafeBufferPointer<mr_frame>) -> Void
    private let tell: (UnsafeMutableRawPointer, OpaquePointer, mr_reader_event, Int64) -> Void

    public init<H: ReaderHandler>(_ handler: H) {
        self.handler = Unmanaged.passUnretained(handler).toOpaque()
        deliver = { h, reader, frames in Unmanaged<H>.fromOpaque(h)._withUnsafeGuaranteedRef { $0.frames(reader, frames) } }
        tell = { h, reader, event, detail in
            Unmanaged<H>.fromOpaque(h)._withUnsafeGuaranteedRef { $0.event(reader, event, detail: detail) }
        }
    }

    func frames(_ reader: OpaquePointer, _ frames: UnsafeBufferPointer<mr_frame>) { deliver(handler, reader, frames) }
    func event(_ reader: OpaquePointer, _ event: mr_reader_event, detail: Int64) { tell(handler, reader, event, detail) }
}
