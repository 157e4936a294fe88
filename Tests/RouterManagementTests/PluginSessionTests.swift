import Foundation
@testable import RouterManagement
import XCTest

/// A plugin's session list as the management core reads it: ids made unique by the plugin's name, fields
/// bounded, the origin of a stream found among the publishers.
final class PluginSessionTests: XCTestCase {
    private func session(_ o: [String: Any]) -> PluginSession? {
        // Through JSON, as a command's reply arrives.
        let data = try? JSONSerialization.data(withJSONObject: o)
        return data.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }.flatMap { PluginSession(plugin: "p", $0) }
    }

    func testAListItemIsReadWithDefaultsAndBounds() throws {
        let s = try XCTUnwrap(session(["id": "42", "peer_ip": "10.0.0.1", "peer_port": 70_000, "local_port": 9000, "app": "live",
                                       "stream": "a", "role": "publisher", "stats": ["rtt_ms": 1.5, "bytes_received": 100]]))
        XCTAssertEqual(s.apiID, "p-42")
        XCTAssertEqual(s.peerPort, 65_535, "ports are clamped")
        XCTAssertEqual(s.vhost, "__defaultVhost__")
        XCTAssertEqual(s.listItem["typeid"] as? String, "p")
        XCTAssertEqual(s.listItem["id"] as? String, "p-42")
        XCTAssertEqual((s.stats["bytes_received"] as? NSNumber)?.intValue, 100)
        XCTAssertNil(session(["app": "live"]), "no id")
        XCTAssertNil(session(["id": String(repeating: "9", count: 65)]), "id too long")
        XCTAssertNil(session(["id": 7]), "id not a string")
    }

    func testOriginsComeFromThePublisherOfTheSameStream() throws {
        let pub = try XCTUnwrap(session(["id": "1", "app": "live", "stream": "a", "role": "publisher", "local_port": 9000,
                                         "stats": ["bytes_received": 5]]))
        let player = try XCTUnwrap(session(["id": "2", "app": "live", "stream": "b", "role": "player"]))
        let items: [[String: any Sendable]] = [
            ["vhost": "__defaultVhost__", "app": "live", "stream": "a", "originSock": ["identifier": ""] as [String: any Sendable]],
            ["vhost": "__defaultVhost__", "app": "live", "stream": "b"],
        ]
        let out = PluginSession.attachOrigins(items, [player, pub])
        let sock = try XCTUnwrap(out[0]["originSock"] as? [String: any Sendable])
        XCTAssertEqual(sock["identifier"] as? String, "p-1")
        XCTAssertEqual(sock["local_port"] as? Int, 9000)
        XCTAssertNotNil(out[0]["originStats"])
        XCTAssertNil(out[1]["originStats"], "a player is no origin")
    }
}
