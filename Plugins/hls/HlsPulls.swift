import MRPluginKit
import PluginABI

/// The plugin's pulls, made from its `pull` list and remade when a reload changes it.
final class HlsPulls {
    private let host: PluginHost
    private var proxies: [HlsPullProxy] = []
    private var specs: [String] = []

    init(host: PluginHost) { self.host = host }

    func start() {
        specs = host.proxySpecs
        proxies = host.makeProxies(expected: "app/stream=http://host[:port]/path.m3u8") { push, spec in
            if push { return nil }
            if spec.contains("=https://") {
                host.log(MR_LOG_ERROR, "pull entry '\(spec)': https is not supported by the HLS pull (plain http only)")
            }
            return HlsPullProxy(host: host, spec: spec)
        }
        proxies.forEach { $0.start() }
    }

    /// A changed list restarts every pull (pulls are cheap to restart; the muxed HLS output is not touched).
    func reconfigure() {
        guard host.proxySpecs != specs else { return }
        stop()
        start()
    }

    func stop() {
        proxies.forEach { $0.stop() }
        proxies.removeAll()
    }
}
