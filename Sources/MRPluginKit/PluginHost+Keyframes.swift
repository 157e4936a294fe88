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
