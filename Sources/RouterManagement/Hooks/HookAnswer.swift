#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EssentialsExtras
import MRPluginKit

/// What a hook decided: allowed or not, the fields of its answer, and whether the configured default
/// decided instead (the hook failed, timed out or too many were pending).
struct HookVerdict: Sendable {
    let allowed: Bool
    let answer: [String: any Sendable]
    let byDefault: Bool
    let reason: String

    static func fallback(_ allow: Bool, _ reason: String) -> HookVerdict {
        HookVerdict(allowed: allow, answer: [:], byDefault: true, reason: reason)
    }
}

/// ZLMediaKit's answer rule: HTTP 200 and a JSON object whose `code` is the integer 0 allows; any other
/// status or code denies. Only an answer that cannot be read at all is a failure worth retrying, since
/// retrying a "no" would just ask the same question again.
enum HookAnswer {
    enum Outcome {
        case answered(HookVerdict)
        case unreadable(String)
    }

    static func read(status: Int, body: [UInt8]) -> Outcome {
        guard status == 200 else {
            let msg = message(body).map { ", msg \"\($0)\"" } ?? ""
            return .answered(HookVerdict(allowed: false, answer: [:], byDefault: false, reason: "HTTP \(status)\(msg)"))
        }
        guard let object = CommandJSON.object(String(decoding: body, as: UTF8.self)) else {
            return .unreadable("the answer is not a JSON object (\(body.count) bytes)")
        }
        let fields = object.mapValues { JSONValue.sendable($0) }
        guard let code = integerCode(body) else {
            return .answered(HookVerdict(allowed: false, answer: fields, byDefault: false, reason: "no integer code in the answer"))
        }
        let msg = object["msg"] as? String ?? ""
        return .answered(HookVerdict(allowed: code == 0, answer: fields, byDefault: false,
                                     reason: code == 0 ? "allowed" : "code \(code)\(msg.isEmpty ? "" : ", msg \"\(msg)\"")"))
    }

    /// `code` through Decodable, which refuses `true`, `"0"` and fractions where JSONSerialization would hand
    /// back an NSNumber that reads as 0 or 1.
    private static func integerCode(_ body: [UInt8]) -> Int? {
        struct Code: Decodable {
            let code: Int?
            init(from decoder: Decoder) throws {
                let c = try decoder.container(keyedBy: Keys.self)
                code = try? c.decodeIfPresent(Int.self, forKey: .code)
            }
            enum Keys: String, CodingKey { case code }
        }
        return (try? JSONDecoder().decode(Code.self, from: Data(body)))?.code
    }

    private static func message(_ body: [UInt8]) -> String? {
        guard body.count <= 4096, let object = CommandJSON.object(String(decoding: body, as: UTF8.self)) else { return nil }
        return object["msg"] as? String
    }

    /// A JSON boolean as ZLMediaKit's asBool reads it: true, or a non-zero number.
    static func flag(_ value: (any Sendable)?) -> Bool? {
        switch value {
        case let b as Bool: return b
        case let s as String:
            switch s.lowercased() {
            case "1", "true": return true
            case "0", "false": return false
            default: return nil
            }
        default: return JSONNumber.int(value).map { $0 != 0 }
        }
    }
}
