#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsExtras
import MRPluginKit
import PluginABI
import RouterCore

/// The `hook.post` command: a plugin sends one of ZLMediaKit's web hooks (on_rtp_server_timeout,
/// on_send_rtp_stopped, ...) with a body of its own, through the core's hook client, so the same retries,
/// timeouts, `mediaServerId`, `hook_index` and metrics apply as to the core's own hooks.
///
/// Arguments: `{"hook": "on_rtp_server_timeout", "body": {...}}`. The reply comes with the hook's verdict:
/// `{"sent": true, "allowed": Bool, "by_default": Bool, "reason": "...", "answer": {...}}`, or
/// `{"sent": false, "reason": "..."}` at once when that hook has no URL (or hooks are off). A hook that is
/// not one of [hook]'s names is refused (MR_ERR_INVALID): a typo would otherwise vanish silently.
extension HookService {
    static let postCommand = "hook.post"
    /// A plugin's body is a few fields; a large one is a mistake, not a hook.
    static let maxPostedBodyBytes = 64 << 10

    func offerPostCommand() {
        m.hookHost.offerCommand(Self.postCommand) { [weak self] args, reply in
            guard let self else { return reply.fail("the hook service stopped") }
            self.post(args, reply)
        }
    }

    private func post(_ args: [String: Any], _ reply: CommandReply) {
        guard let hook = args["hook"] as? String, HookSettings.hookNames.contains(hook) else {
            return reply.fail("hook must be one of \(HookSettings.hookNames.joined(separator: ", "))", status: Int32(MR_ERR_INVALID))
        }
        let rawBody = args["body"] ?? [String: Any]()
        guard let body = rawBody as? [String: Any], let text = JSONText.text(body, sortedKeys: false),
              text.utf8.count <= Self.maxPostedBodyBytes else {
            return reply.fail("body must be a JSON object of at most \(Self.maxPostedBodyBytes) bytes", status: Int32(MR_ERR_INVALID))
        }
        let s = snapshot
        guard let url = s.settings.url(hook) else {
            return reply.answer(["sent": false, "reason": s.settings.enable ? "no \(hook) URL in [hook]" : "[hook] enable is off"])
        }
        // `mediaServerId` and `hook_index` are the core's: a plugin's own values would be overwritten anyway.
        let fields = body.filter { $0.key != "mediaServerId" && $0.key != "hook_index" }.mapValues { JSONValue.sendable($0) }
        let what = (body["stream_id"] as? String).map { "\(hook) \($0)" } ?? hook
        client.send(request(hook, url, fields, s, what: "\(what) (from a plugin)")) { v in
            reply.answer(["sent": true, "allowed": v.allowed, "by_default": v.byDefault, "reason": v.reason,
                          "answer": v.answer.mapValues { $0 as Any }])
        }
    }
}
