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
            guard let user, let reader, let frames,
                  let h = Unmanaged<AnyObject>.fromOpaque(user).takeUnretainedValue() as? ReaderHandler else { return }
            h.frames(reader, UnsafeBufferPointer(start: frames, count: count))
        }
        c.on_event = { user, reader, event, detail in
            guard let user, let reader, let h = Unmanaged<AnyObject>.fromOpaque(user).takeUnretainedValue() as? ReaderHandler
            else { return }
            h.event(reader, mr_reader_event(rawValue: UInt32(bitPattern: event)), detail: detail)
        }
        return c
    }

    public static func user(for handler: ReaderHandler) -> UnsafeMutableRawPointer {
        Unmanaged.passUnretained(handler as AnyObject).toOpaque()
    }

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
