import PluginABI

/// ABI 1.4 keyframe requests: players ask, publishers that can ask their client (RTCP PLI, ...) answer.
/// On an older host every call reports MR_ERR_UNSUPPORTED and nothing is asked.
public extension PluginHost {
    /// True when the host has the ABI 1.4 functions (MR_HAS_FIELD on the last of them).
    var hasKeyframeRequests: Bool {
        guard let offset = MemoryLayout<mr_host_api>.offset(of: \.source_set_keyframe_handler) else { return false }
        return Int(table.size) >= offset + MemoryLayout<UnsafeRawPointer>.size
    }

    /// [owner loop] Asks the publisher of the reader's source for a keyframe: MR_OK when forwarded,
    /// MR_ERR_BUSY when the source's rate limit absorbed it, MR_ERR_UNSUPPORTED or MR_ERR_NOT_FOUND when
    /// nobody can be asked.
    @discardableResult
    func requestKeyframe(reader: OpaquePointer) -> Int32 {
        guard hasKeyframeRequests, let request = table.reader_request_keyframe else { return Int32(MR_ERR_UNSUPPORTED) }
        return request(reader)
    }

    /// [source loop] Readers' keyframe requests for `source` call `fn(user)` on this loop from now on;
    /// nil stops them. Keep `user` alive until it is cleared or the source is closed on this loop.
    @discardableResult
    func setKeyframeHandler(source: OpaquePointer, _ fn: mr_task_fn?, user: UnsafeMutableRawPointer?) -> Int32 {
        guard hasKeyframeRequests, let set = table.source_set_keyframe_handler else { return Int32(MR_ERR_UNSUPPORTED) }
        return set(source, fn, user)
    }
}

/// A closure that readers' keyframe requests run (see `PluginHost.onKeyframeRequest`). The core holds it
/// through a retained pointer: call `release()` after `source_close` on the loop that set it.
public final class KeyframeRequestHandler {
    fileprivate let body: () -> Void
    fileprivate var user: UnsafeMutableRawPointer?

    fileprivate init(_ body: @escaping () -> Void) { self.body = body }

    public func release() {
        guard let u = user else { return }
        user = nil
        Unmanaged<KeyframeRequestHandler>.fromOpaque(u).release()
    }
}

public extension PluginHost {
    /// [source loop] Runs `body` on this loop for each keyframe request the core forwards for `source`; nil
    /// when the host cannot (ABI < 1.4) or refused. Capture the session weakly in `body`.
    func onKeyframeRequest(source: OpaquePointer, _ body: @escaping () -> Void) -> KeyframeRequestHandler? {
        let handler = KeyframeRequestHandler(body)
        let user = Unmanaged.passRetained(handler).toOpaque()
        handler.user = user
        let rc = setKeyframeHandler(source: source, { user in
            guard let user else { return }
            Unmanaged<KeyframeRequestHandler>.fromOpaque(user).takeUnretainedValue().body()
        }, user: user)
        guard rc == MR_OK else {
            handler.release()
            return nil
        }
        return handler
    }
}
