#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsExtras

/// ZLMediaKit's getSnap: answers the JPEG itself (image/jpeg), not the envelope. On failure, the picture
/// `[api] default_snap` names (ZLMediaKit's defaultSnap, its logo), or the envelope with the error.
enum SnapEndpoints {
    static func register(_ m: ManagementService) {
        m.api.add(.init("getSnap", "a JPEG of one frame of a stream URL (through ffmpeg), cached for expire_sec",
                        parameters: [("url", true, "rtsp[s]://, rtmp[s]:// or http[s]:// URL"),
                                     ("timeout_sec", false, "how long ffmpeg may take (default 10, at most 60)"),
                                     ("expire_sec", false, "a snapshot this recent is answered from the cache (default 0: none)")],
                        raw: { call, reply, raw in
            guard let url = call.string("url") else { return reply(.invalidArgs, ["msg": "missing parameter url"]) }
            // ffmpeg is given only URLs of the schemes the plugins pull (network protocols): a file path or one
            // of its pseudo-protocols would read local files.
            let served = ServedProtocols(m)
            let schemes = served.pullSchemes
            guard schemes.contains(where: { url.lowercased().hasPrefix("\($0)://") }) else {
                return reply(.invalidArgs, ["msg": "url must start with one of \(schemes.map { "\($0)://" }.joined(separator: ", "))"])
            }
            guard let timeout = Double(call.string("timeout_sec") ?? "10"), timeout > 0,
                  let expire = Double(call.string("expire_sec") ?? "0"), expire >= 0 else {
                return reply(.invalidArgs, ["msg": "timeout_sec and expire_sec must be numbers of seconds"])
            }
            m.snaps.snap(url: url, inputOptions: served.snapInput(url), protocols: schemes, timeoutSec: min(timeout, 60), expireSec: expire, root: m.api.settings.snapRoot) { result in
                switch result {
                case .success(let jpeg): raw("image/jpeg", jpeg)
                case .failure(let e):
                    let fallback = m.api.settings.defaultSnap
                    guard !fallback.isEmpty else { return reply(e.status, ["msg": e.message]) }
                    m.logger.info("getSnap \(url) answered with default_snap: \(e.message.split(whereSeparator: \.isNewline).joined(separator: " | "))")
                    guard let picture = defaultPicture(fallback) else {
                        return reply(e.status, ["msg": "\(e.message) (and default_snap \(fallback) is not a readable picture)"])
                    }
                    raw(picture.type, picture.bytes)
                }
            }
        }))
    }

    /// The default picture, if it is a regular JPEG or PNG file of at most 4 MiB (it is read at each
    /// failure, so an operator may replace it; never more than the limit is read, whatever the file is).
    static func defaultPicture(_ path: String) -> (type: String, bytes: [UInt8])? {
        let limit = 4 << 20
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              attributes[.type] as? FileAttributeType == .typeRegular,
              let bytes = FileBytes.read(path, limit: limit + 1), bytes.count <= limit else { return nil }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return ("image/jpeg", bytes) }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return ("image/png", bytes) }
        return nil
    }
}
