import PluginABI

/// The host functions ABI 1.4 appended: readers' keyframe requests and the publisher's handler for them.
extension HostAPITable {
    static func installABI14(_ api: inout mr_host_api) {
        api.reader_request_keyframe = { r in
            guard let reader = BusReader.from(r), !reader.closed, let ctx = reader.owner else {
                return LastError.fail(MR_ERR_INVALID, "no reader")
            }
            guard let source = ctx.core.bus.source(reader.key) else {
                return LastError.fail(MR_ERR_NOT_FOUND, "stream \(reader.key) is not published")
            }
            switch source.keyframes.request(nowUs: HostClock.nowUs()) {
            case .forwarded: return Int32(MR_OK)
            case .limited: return LastError.fail(MR_ERR_BUSY, "a keyframe was asked for less than 500 ms ago")
            case .noHandler:
                return ctx.core.bus.hasPublisher(source)
                    ? LastError.fail(MR_ERR_UNSUPPORTED, "the publisher of \(reader.key) takes no keyframe requests")
                    : LastError.fail(MR_ERR_NOT_FOUND, "stream \(reader.key) has no publisher now")
            }
        }
        api.source_set_keyframe_handler = { s, fn, user in
            guard let p = Publisher.from(s), !p.closed else { return LastError.fail(MR_ERR_INVALID, "no source") }
            if p.kicked.load(ordering: .relaxed) { return LastError.fail(MR_ERR_CLOSED, "another publisher took over this stream") }
            let pollers = p.source.bus.pollers
            let loop = pollers.currentIndex().map { pollers.loop($0) } ?? p.source.home
            p.source.keyframes.set(fn, user: user, loop: loop, publisher: p)
            return Int32(MR_OK)
        }
    }
}
