import MRPluginKit
import PluginABI
import RouterCore

/// The hooks that follow bus events: on_stream_changed, on_stream_none_reader, on_stream_not_found,
/// on_record_mp4 and on_flow_report.
extension HookService {
    static let eventTypes: [mr_event_type] = [MR_EVENT_PUBLISH, MR_EVENT_UNPUBLISH, MR_EVENT_STOP, MR_EVENT_NONE_READER,
                                              MR_EVENT_NOT_FOUND, MR_EVENT_RECORD_DONE]

    func subscribeEvents() {
        m.host.subscribe(Self.eventTypes) { [weak self] e in self?.event(e) }
    }

    /// On loop 0, so only cheap bodies are made here; the rest go to the hooks queue.
    private func event(_ e: BusEventInfo) {
        let key = HookBodies.key(e)
        if e.type == MR_EVENT_PUBLISH { applyPublishOptions(key) }
        // Taken before an unpublish forgets them: the schemas it was never registered in are not unregistered.
        let skipped = e.type == MR_EVENT_PUBLISH || e.type == MR_EVENT_UNPUBLISH ? disabledSchemas(key) : []
        if e.type == MR_EVENT_UNPUBLISH { forgetPublishOptions(key) }
        let s = snapshot
        switch e.type {
        case MR_EVENT_PUBLISH, MR_EVENT_UNPUBLISH:
            guard s.settings.url("on_stream_changed") != nil else { return }
            enqueue("on_stream_changed") { [self] in streamChanged(key, regist: e.type == MR_EVENT_PUBLISH, skipping: skipped) }
        case MR_EVENT_NONE_READER:
            guard let url = s.settings.url("on_stream_none_reader") else { return }
            let body: [String: any Sendable] = ["schema": ServedProtocols(m).hookSchema(e.protocolName), "vhost": key.vhost,
                                                "app": key.app, "stream": key.stream]
            client.send(request("on_stream_none_reader", url, body, s, what: "\(key) without readers")) { [self] v in
                // A failed hook keeps the stream: closing is only ever the operator's explicit answer.
                guard v.allowed, !v.byDefault, HookAnswer.flag(v.answer["close"]) == true else { return }
                logger.info("on_stream_none_reader: closing \(key)")
                ProxyEndpoints.closeStream(m, key) { _ in }
            }
        case MR_EVENT_NOT_FOUND:
            // The player keeps waiting [server] play_wait_ms: a stream the operator starts in answer (a
            // publisher, a pull proxy) reaches it.
            guard let url = s.settings.url("on_stream_not_found") else { return }
            client.send(request("on_stream_not_found", url, HookBodies.notFound(e, ServedProtocols(m)), s, what: "\(key) asked by \(e.peer)")) { _ in }
        case MR_EVENT_RECORD_DONE:
            guard let url = s.settings.url("on_record_mp4") else { return }
            guard let fields = CommandJSON.object(e.detail) else {
                return logger.warning("on_record_mp4: the record-done event of \(key) has no JSON detail: \(e.detail)")
            }
            client.send(request("on_record_mp4", url, fields.mapValues { JSONValue.sendable($0) }, s, what: "\(key) file")) { _ in }
        case MR_EVENT_STOP:
            // Readers without a peer are the server's own (recorders, muxers), not clients.
            guard !e.peer.isEmpty, let url = s.settings.url("on_flow_report") else { return }
            // ZLMediaKit's flowThreshold: sessions that moved less are not reported.
            guard e.bytes >= Int64(s.settings.flowThresholdKB) * 1024 else { return }
            client.send(request("on_flow_report", url, HookBodies.flowReport(e, ServedProtocols(m)), s, what: "\(key) player \(e.peer)")) { _ in }
        default:
            break
        }
    }

    /// Schemas the stream's on_publish answer turned off (enable_rtsp false, ...).
    func disabledSchemas(_ key: StreamKey) -> Set<String> {
        options(of: key)?.disabled ?? []
    }

    /// Once per schema the stream can be played in, as ZLMediaKit registers one source per schema; a
    /// registration carries getMediaList's item.
    private func streamChanged(_ key: StreamKey, regist: Bool, skipping: Set<String>) {
        let s = snapshot
        guard let url = s.settings.url("on_stream_changed") else { return }
        var bodies: [[String: any Sendable]]
        if regist {
            let call = ApiCall(name: "on_stream_changed", params: ["vhost": key.vhost, "app": key.app, "stream": key.stream], peer: "")
            bodies = m.mediaItems(call)
        } else {
            bodies = m.playableSchemas().map { ["schema": $0, "vhost": key.vhost, "app": key.app, "stream": key.stream] }
        }
        let only = s.settings.streamChangedSchemas
        for var body in bodies where !skipping.contains(body["schema"] as? String ?? "") {
            if !only.isEmpty, !only.contains(body["schema"] as? String ?? "") { continue }
            body["regist"] = regist
            client.send(request("on_stream_changed", url, body, s, what: "\(key) \(regist ? "registered" : "gone")")) { _ in }
        }
    }
}
