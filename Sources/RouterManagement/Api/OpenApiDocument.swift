#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import RouterCore

/// The OpenAPI 3 description of every endpoint (core ones with their parameters, plugin ones by name),
/// served by `getOpenApi` and kept in the repo as docs/openapi.json (a test checks the two agree).
enum OpenApiDocument {
    static func make(_ m: ManagementService) -> [String: any Sendable] {
        var paths: [String: any Sendable] = [:]
        let envelope: [String: any Sendable] = [
            "type": "object", "required": ["code"],
            "properties": ["code": ["type": "integer", "description": "0 success, -1 other, -100 auth, -300 invalid args, -400 exception, -500 not found"] as [String: any Sendable],
                           "msg": ["type": "string"] as [String: any Sendable]] as [String: any Sendable],
        ]
        let secret: [String: any Sendable] = ["name": "secret", "in": "query", "required": false, "schema": ["type": "string"] as [String: any Sendable],
                                              "description": "[api] secret (loopback callers are exempt unless configured otherwise)"]
        func operation(_ summary: String, _ params: [(name: String, required: Bool, help: String)]) -> [String: any Sendable] {
            let list: [any Sendable] = [secret] + params.filter { !$0.name.contains(".") }.map {
                ["name": $0.name, "in": "query", "required": $0.required, "schema": ["type": "string"] as [String: any Sendable],
                 "description": $0.help] as [String: any Sendable]
            }
            return ["summary": summary, "parameters": list,
                    "responses": ["200": ["description": "ZLMediaKit's envelope (HTTP 200 for every outcome)",
                                          "content": ["application/json": ["schema": envelope] as [String: any Sendable]] as [String: any Sendable]] as [String: any Sendable]] as [String: any Sendable]]
        }
        for e in m.api.endpoints {
            let op = operation(e.summary, e.parameters)
            paths[ApiRouter.prefix + e.name] = ["get": op, "post": op] as [String: any Sendable]
        }
        for p in m.api.pluginEndpoints {
            let op = operation("offered by the \(p.plugin) plugin (command api.\(p.name))", [])
            paths[ApiRouter.prefix + p.name] = ["get": op, "post": op] as [String: any Sendable]
        }
        return ["openapi": "3.0.3",
                "info": ["title": "MediaRouter management API (ZLMediaKit-compatible)", "version": MediaRouterInfo.version] as [String: any Sendable],
                "paths": paths]
    }
}
