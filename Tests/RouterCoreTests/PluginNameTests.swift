import Logging
import PluginABI
import XCTest
@testable import RouterCore

/// ABI 1.3 `plugin_name`: a plugin learns the table name it was loaded under, its command namespace.
final class PluginNameTests: XCTestCase {
    func testHostTellsThePluginItsTableName() throws {
        var settings = ServerSettings()
        settings.threads = 1
        let core = CoreServices(pollers: Pollers(threads: 1), settings: settings, logger: Logger(label: "t"))
        defer { core.shutdown(); core.pollers.shutdown() }
        let first = EmbeddedHost(core: core, name: "rtmp2")
        let second = EmbeddedHost(core: core, name: "hook")
        defer { first.close(); second.close() }
        let fn = try XCTUnwrap(first.api.pointee.plugin_name)
        XCTAssertEqual(fn(first.host).map { String(cString: $0) }, "rtmp2")
        XCTAssertEqual(fn(second.host).map { String(cString: $0) }, "hook")
        XCTAssertNil(fn(nil), "no host, no name")
        XCTAssertGreaterThanOrEqual(Int(first.api.pointee.size), MemoryLayout<mr_host_api>.offset(of: \.plugin_name)! + 8)
    }
}
