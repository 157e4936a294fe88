import RouterCore
import XCTest

/// The `sessions` member of a plugin's declaration: optional, false by default, a boolean or a refusal.
final class PluginSessionsDeclarationTests: XCTestCase {
    func testSessionsIsOptionalAndBoolean() throws {
        XCTAssertFalse(try PluginDeclaration(json: "{}").sessions)
        let d = try PluginDeclaration(json: #"{"sessions": true}"#)
        XCTAssertTrue(d.sessions)
        XCTAssertEqual(d.jsonValue["sessions"] as? Bool, true)
        XCTAssertThrowsError(try PluginDeclaration(json: #"{"sessions": "yes"}"#)) { e in
            XCTAssertTrue("\(e)".contains("sessions: expected true or false"), "\(e)")
        }
    }
}
