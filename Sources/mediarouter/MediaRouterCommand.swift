import ArgumentParser
import Dispatch
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import NIOConcurrencyHelpers
import RouterCore
import RouterManagement

@main
struct MediaRouterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mediarouter",
        abstract: "A plugin-based streaming media router.",
        version: "mediarouter \(MediaRouterInfo.version) (plugin ABI \(MediaRouterInfo.abi))")

    @Option(name: [.short, .long], help: "The config file.")
    var config: String = "plugins.conf"

    @Flag(name: .long, help: "Validate the config and exit (non-zero with the reason if it is invalid).")
    var checkConfig = false

    @Flag(name: .long, help: "List the configured plugins (name, version, ABI, path, enabled) and exit.")
    var listPlugins = false

    func run() throws {
        let path = absolute(config)
        let exeDir = MediaRouterInfo.executableDirectory
        let configResult: ServerConfig
        do {
            configResult = try ServerConfig.load(path: path, executableDir: exeDir)
        } catch {
            StandardError.write("mediarouter: invalid config: \(error)\n")
            throw ExitCode(2)
        }
        if checkConfig {
            for w in configResult.warnings { print("warning: \(w)") }
            print("\(path): OK (\(configResult.plugins.filter(\.enabled).count) of \(configResult.plugins.count) plugins enabled)")
            return
        }
        if listPlugins {
            print(PluginListing.render(configResult))
            return
        }
        let level = NIOLockedValueBox(configResult.settings.logLevel)
        LoggingSystem.bootstrap { label in
            var handler = LevelBoxHandler(label: label, level: level)
            handler.logLevel = .trace
            return handler
        }
        let logger = Logger(label: "mediarouter")
        FileLimits.raise(logger: logger)
        let server = MediaRouterServer(config: configResult, configPath: path, executableDir: exeDir, logger: logger,
                                       logLevel: level)
        let management = ManagementService(server: server, logger: logger)
        let signals = SignalWaiter.install(server: server, beforeStop: { management.stop() })
        server.start()
        management.start()
        withExtendedLifetime(signals) { dispatchMain() }
    }

    private func absolute(_ p: String) -> String {
        p.hasPrefix("/") ? p : FileManager.default.currentDirectoryPath + "/" + p
    }
}
