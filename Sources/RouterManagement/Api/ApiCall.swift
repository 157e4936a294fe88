#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One API request as endpoints see it: parameters from the query, a form or a JSON body, all as text (as
/// ZLMediaKit takes them), and the caller's address.
public struct ApiCall: Sendable {
    public let name: String
    public let params: [String: String]
    public let peer: String

    public func string(_ key: String) -> String? {
        guard let v = params[key], !v.isEmpty else { return nil }
        return v
    }

    /// nil when missing; `.failure` when present but not an integer (the caller answers -300).
    public func int(_ key: String) -> Result<Int, ApiError>? {
        guard let v = string(key) else { return nil }
        guard let i = Int(v) else { return .failure(ApiError(.invalidArgs, "\(key) must be an integer, found \"\(v)\"")) }
        return .success(i)
    }

    public func bool(_ key: String) -> Bool? {
        guard let v = string(key)?.lowercased() else { return nil }
        return v == "1" || v == "true" || v == "yes"
    }

    /// The required parameters, or the -300 answer naming the first one missing.
    public func require(_ keys: String...) -> Result<[String], ApiError> {
        var out: [String] = []
        for k in keys {
            guard let v = string(k) else { return .failure(ApiError(.invalidArgs, "missing parameter \(k)")) }
            out.append(v)
        }
        return .success(out)
    }
}

/// ZLMediaKit's reply codes.
public enum ApiStatus: Int, Sendable {
    case success = 0, other = -1, auth = -100, invalidArgs = -300, sql = -200, exception = -400, notFound = -500
}

public struct ApiError: Error, Sendable {
    public let status: ApiStatus
    public let message: String
    public init(_ status: ApiStatus, _ message: String) {
        self.status = status
        self.message = message
    }
}

/// What an endpoint answers: the fields beside `code` and `msg`.
public typealias ApiReply = @Sendable (_ status: ApiStatus, _ fields: [String: any Sendable]) -> Void

/// An answer that is not the JSON envelope (getSnap's JPEG): the body as it is, with its content type.
public typealias ApiRawReply = @Sendable (_ contentType: String, _ body: [UInt8]) -> Void

/// A core endpoint: its name, what it does and takes (for getApiList and the OpenAPI document), and its
/// handler, which answers once through the reply, now or later, from any thread. A raw handler may answer
/// either way: with bytes, or with the envelope (its errors).
public struct ApiEndpointSpec: Sendable {
    public let name: String
    public let summary: String
    public let parameters: [(name: String, required: Bool, help: String)]
    public let handler: @Sendable (ApiCall, @escaping ApiReply, @escaping ApiRawReply) -> Void

    public init(_ name: String, _ summary: String, parameters: [(String, Bool, String)] = [],
                handler: @escaping @Sendable (ApiCall, @escaping ApiReply) -> Void) {
        self.init(name, summary, parameters: parameters, raw: { call, reply, _ in handler(call, reply) })
    }

    public init(_ name: String, _ summary: String, parameters: [(String, Bool, String)] = [],
                raw: @escaping @Sendable (ApiCall, @escaping ApiReply, @escaping ApiRawReply) -> Void) {
        self.name = name
        self.summary = summary
        self.parameters = parameters.map { (name: $0.0, required: $0.1, help: $0.2) }
        self.handler = raw
    }
}
