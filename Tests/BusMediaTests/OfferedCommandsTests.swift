import PluginABI
import XCTest
@testable import MRPluginKit

/// A plugin toggled by hot reload is made, started, stopped and destroyed again and again (gb28181 in the
/// soak, every 30 s). The boxes of the commands it offered held their closures, and so the plugin object
/// itself, for the life of the process: about 2 KB kept per start of gb28181, its registries included.
final class OfferedCommandsTests: XCTestCase {
    /// Plugin objects alive now (the test's plugin counts itself).
    nonisolated(unsafe) static var alive = 0

    final class CommandOfferingPlugin: PluginLifecycle {
        let host: PluginHost
        init(_ host: PluginHost) {
            self.host = host
            OfferedCommandsTests.alive += 1
        }
        deinit { OfferedCommandsTests.alive -= 1 }

        func start() -> Int32 {
            // Strong, as gb28181's endpoints hold their plugin: only releasing the box frees it.
            host.offerCommand("api.testEndpoint") { _, reply in reply.answer(["plugin": "\(self.host.host)"]) }
            host.offerCommand("x.other") { _, _ in _ = self }
            return Int32(MR_OK)
        }

        func stop() {}
    }

    /// A host table with just the command functions: registering always succeeds.
    nonisolated(unsafe) private static let api: UnsafeMutablePointer<mr_host_api> = {
        var table = mr_host_api()
        table.size = UInt32(MemoryLayout<mr_host_api>.size)
        table.command_register = { _, _, _, _ in Int32(MR_OK) }
        table.command_call = { _, _, _, _, _, _ in Int32(MR_ERR) }
        table.command_answer = { _, _, _ in }
        let p = UnsafeMutablePointer<mr_host_api>.allocate(capacity: 1)
        p.initialize(to: table)
        return p
    }()

    func testDestroyReleasesTheOfferedCommandsAndThePluginWithThem() throws {
        let descriptor = DescriptorBuilder.make(name: "x", version: "1", description: "test",
                                                create: { CommandOfferingPlugin($0) }).pointee
        let host = try XCTUnwrap(OpaquePointer(bitPattern: 0x1000))
        let before = (Self.alive, OfferedCommands.count)
        for _ in 0..<50 {
            var state: UnsafeMutableRawPointer?
            XCTAssertEqual(descriptor.`init`?(host, Self.api, &state), Int32(MR_OK))
            XCTAssertEqual(descriptor.start?(state), Int32(MR_OK))
            XCTAssertEqual(OfferedCommands.count, before.1 + 2, "held while the instance lives")
            descriptor.stop?(state)
            descriptor.destroy?(state)
        }
        XCTAssertEqual(Self.alive, before.0, "plugin objects kept by their command handlers")
        XCTAssertEqual(OfferedCommands.count, before.1)
    }
}
