#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsExtras
import RouterCore

/// ZLMediaKit's stream endpoints: getMediaList, isMediaOnline, getMediaInfo, getMediaPlayerList,
/// close_stream, close_streams. A stream is listed once per schema it can be played in, as ZLMediaKit does;
/// an origin that is a plugin's own session (PluginSessions) adds its identifier and `originStats`.
enum MediaEndpoints {
    static func register(_ m: ManagementService) {
        let filters: [(String, Bool, String)] = [("schema", false, "one schema the plugins serve (rtsp, rtmp, ts, fmp4, hls, ...)"), ("vhost", false, "vhost"),
                                                 ("app", false, "app"), ("stream", false, "stream")]
        m.api.add(.init("getMediaList", "streams on the bus, once per schema, with tracks and readers", parameters: filters) { call, reply in
            let items = m.mediaItems(call)
            PluginSession.gather(m) { reply(.success, ["data": PluginSession.attachOrigins(items, $0)]) }
        })
        m.api.add(.init("isMediaOnline", "whether a stream is published", parameters: filters) { call, reply in
            switch call.require("app", "stream") {
            case .failure(let e): reply(e.status, ["msg": e.message])
            case .success: reply(.success, ["online": !m.mediaItems(call).isEmpty])
            }
        })
        m.api.add(.init("getMediaInfo", "one stream's description (getMediaList's item, with online)", parameters: filters) { call, reply in
            switch call.require("app", "stream") {
            case .failure(let e): reply(e.status, ["msg": e.message])
            case .success:
                guard let item = m.mediaItems(call).first else { return reply(.success, ["online": false]) }
                PluginSession.gather(m) { sessions in
                    var described = PluginSession.attachOrigins([item], sessions)[0]
                    described["online"] = true
                    reply(.success, described)
                }
            }
        })
        m.api.add(.init("getMediaPlayerList", "the players of a stream", parameters: filters) { call, reply in
            switch call.require("app", "stream") {
            case .failure(let e): reply(e.status, ["msg": e.message])
            case .success(let v):
                let key = StreamKey(vhost: call.string("vhost"), app: v[0], stream: v[1])
                guard let readers = m.core.bus.describeReaders(key) else { return reply(.notFound, ["msg": "stream not found"]) }
                let wanted = call.string("schema").flatMap { s in ServedProtocols(m).schemas.first { $0.name == s }?.readers }
                let list: [any Sendable] = readers.filter { r in wanted.map { $0.contains(r["protocol"] as? String ?? "") } ?? true }
                    .map { r -> [String: any Sendable] in
                        let (ip, port) = splitPeer(r["peer"] as? String ?? "")
                        return ["identifier": "\(r["id"] ?? 0)", "peer_ip": ip, "peer_port": port, "local_ip": "", "local_port": 0,
                                "typeid": r["protocol"] as? String ?? "", "protocol": r["protocol"] as? String ?? ""]
                    }
                reply(.success, ["data": list])
            }
        })
        m.api.add(.init("close_stream", "ends a stream: its publisher is dropped and its players get the end",
                        parameters: filters + [("force", false, "accepted for compatibility; streams close even with players")]) { call, reply in
            switch call.require("app", "stream") {
            case .failure(let e): reply(e.status, ["msg": e.message])
            case .success(let v):
                ProxyEndpoints.closeStream(m, StreamKey(vhost: call.string("vhost"), app: v[0], stream: v[1])) { closed in
                    reply(.success, ["result": closed ? 0 : -2, "msg": closed ? "success" : "can not find the stream"])
                }
            }
        })
        m.api.add(.init("close_streams", "ends every stream matching the filters", parameters: filters + [("force", false, "ignored")]) { call, reply in
            let keys = Set(m.mediaItems(call).compactMap { item -> StreamKey? in
                guard let app = item["app"] as? String, let stream = item["stream"] as? String else { return nil }
                return StreamKey(vhost: item["vhost"] as? String, app: app, stream: stream)
            })
            let closes = AnswerGathering<Void>(count: keys.count) { closed in
                reply(.success, ["count_hit": keys.count, "count_closed": closed.count])
            }
            for key in keys { ProxyEndpoints.closeStream(m, key) { closes.arrived($0 ? () : nil) } }
        })
    }

    static func splitPeer(_ peer: String) -> (String, Int) {
        guard let colon = peer.lastIndex(of: ":"), let port = Int(peer[peer.index(after: colon)...]) else { return (peer, 0) }
        return (peer[..<colon].trimming(in: "[]"), port)
    }

    /// ZLMediaKit's codec ids (CodecId in its Frame.h).
    static func codecID(_ name: String) -> (Int, String) {
        switch name.uppercased() {
        case "H264": return (0, "CodecH264")
        case "H265": return (1, "CodecH265")
        case "AAC": return (2, "CodecAAC")
        case "PCMA": return (3, "CodecG711A")
        case "PCMU": return (4, "CodecG711U")
        case "OPUS": return (5, "CodecOpus")
        case "VP8": return (7, "CodecVP8")
        case "VP9": return (8, "CodecVP9")
        case "AV1": return (9, "CodecAV1")
        case "MP3": return (14, "CodecMP3")
        default: return (-1, "CodecInvalid")
        }
    }
}

extension ManagementService {
    /// The schemas streams can be played in now: those the running plugins declare.
    func playableSchemas() -> [String] { ServedProtocols(self).schemaNames }

    /// getMediaList's items for the call's filters.
    func mediaItems(_ call: ApiCall) -> [[String: any Sendable]] {
        let served = ServedProtocols(self)
        let byStream = core.bus.readerList
        var out: [[String: any Sendable]] = []
        let vhostFilter = call.string("vhost").map { $0 == StreamKey.defaultVhost ? $0 : $0 }
        for s in core.bus.describeStreams() {
            let vhost = s["vhost"] as? String ?? StreamKey.defaultVhost, app = s["app"] as? String ?? "", stream = s["stream"] as? String ?? ""
            if let f = vhostFilter, f != vhost { continue }
            if let f = call.string("app"), f != app { continue }
            if let f = call.string("stream"), f != stream { continue }
            let readers = byStream.filter { $0.key.vhost == vhost && $0.key.app == app && $0.key.stream == stream }.map(\.protocolName)
            let proto = s["protocol"] as? String ?? ""
            let (originType, originTypeStr) = served.origin(proto)
            // A pull's peer is the URL it pulls: that is its originUrl (ZLMediaKit shows the source URL), not an address.
            let peer = s["peer"] as? String ?? ""
            let pulledURL = peer.contains("://") ? peer : nil
            let (peerIP, peerPort) = pulledURL == nil ? MediaEndpoints.splitPeer(peer) : ("", 0)
            let tracks: [any Sendable] = (s["tracks"] as? [[String: Any]] ?? []).map { t -> [String: any Sendable] in
                let (id, name) = MediaEndpoints.codecID(t["codec"] as? String ?? "")
                let video = (t["kind"] as? String) == "video"
                var item: [String: any Sendable] = ["codec_id": id, "codec_id_name": name, "codec_type": video ? 0 : 1, "ready": true]
                if video {
                    item["width"] = t["width"] as? UInt32 ?? 0
                    item["height"] = t["height"] as? UInt32 ?? 0
                    item["fps"] = 0
                } else {
                    item["sample_rate"] = t["clock_rate"] as? UInt32 ?? 0
                    item["channels"] = t["channels"] as? UInt32 ?? 0
                    item["sample_bit"] = 16
                }
                return item
            }
            let alive = (s["alive_seconds"] as? Int64) ?? 0
            // A schema the stream's on_publish answer turned off is not a source of it (as in ZLMediaKit).
            let disabled = hooks?.disabledSchemas(StreamKey(vhost: vhost, app: app, stream: stream)) ?? []
            for schema in served.schemas where !disabled.contains(schema.name) {
                if let f = call.string("schema"), f != schema.name { continue }
                out.append([
                    "schema": schema.name, "vhost": vhost, "app": app, "stream": stream,
                    "readerCount": readers.filter { schema.readers.contains($0) }.count, "totalReaderCount": readers.count,
                    "originType": originType, "originTypeStr": originTypeStr, "originUrl": pulledURL ?? "\(proto)://\(peerIP)/\(app)/\(stream)",
                    "originSock": ["identifier": "", "local_ip": "", "local_port": 0, "peer_ip": peerIP, "peer_port": peerPort] as [String: any Sendable],
                    "createStamp": Int64(Date().timeIntervalSince1970) - alive, "aliveSecond": alive,
                    "bytesSpeed": 0, "totalBytes": (s["bytes_in"] as? Int64) ?? 0, "isRecordingMP4": false, "isRecordingHLS": false,
                    "tracks": tracks,
                ])
            }
        }
        return out
    }
}
