// swift-tools-version:6.0
import PackageDescription

// Every protocol is a dynamic library (`libmrplugin_<proto>.so`) loaded at run time through the C ABI in
// Sources/PluginABI. The `mrplugin_` prefix keeps our libraries from clashing with system ones (Debian ships
// a librtmp.so). Plugins depend on PluginABI and shared Swift libraries only, never on RouterCore or NIO:
// a Swift library linked into both the core and a plugin would exist twice in the process.
let protocolPlugins: [(product: String, target: String, path: String)] = [
    ("mrplugin_rtsp", "RtspPlugin", "Plugins/rtsp"),
    ("mrplugin_rtmp", "RtmpPlugin", "Plugins/rtmp"),
    ("mrplugin_hls", "HlsPlugin", "Plugins/hls"),
    ("mrplugin_webrtc", "WebRtcPlugin", "Plugins/webrtc"),
    ("mrplugin_gb28181", "Gb28181Plugin", "Plugins/gb28181"),
    ("mrplugin_srt", "SrtPlugin", "Plugins/srt"),
    ("mrplugin_httpmux", "HttpMuxPlugin", "Plugins/httpmux"),
    ("mrplugin_mp4", "Mp4Plugin", "Plugins/mp4"),
]

// Plugins used only by the integration tests: a synthetic publisher and a counting subscriber.
let testPlugins: [(product: String, target: String, path: String)] = [
    ("mrplugin_testsource", "TestSourcePlugin", "Tests/TestPlugins/testsource"),
    ("mrplugin_testsink", "TestSinkPlugin", "Tests/TestPlugins/testsink"),
]

let allPlugins = protocolPlugins + testPlugins

/// Shared libraries each plugin links (statically; only C types cross into the core).
let pluginDependencies: [String: [Target.Dependency]] = [
    "RtmpPlugin": ["MediaFormats", "BusMedia", "RtmpProtocol"],
    "HttpMuxPlugin": ["MediaFormats", "BusMedia", "MpegTS", "HttpProtocol"],
    "RtspPlugin": ["MediaFormats", "BusMedia", "RtpFormats", "RtspProtocol"],
    "HlsPlugin": ["MediaFormats", "BusMedia", "MpegTS", "MP4Formats", "HlsFormats", "HttpProtocol"],
    "Mp4Plugin": ["MediaFormats", "BusMedia", "MP4Formats"],
    "Gb28181Plugin": ["MediaFormats", "BusMedia", "MpegTS", "MpegPS", "RtpFormats"],
    "SrtPlugin": ["MediaFormats", "BusMedia", "MpegTS", "SrtProtocol", "CSrt"],
    "WebRtcPlugin": ["MediaFormats", "BusMedia", "RtpFormats", "WebRtcProtocol"],
]

/// Libraries the fuzz targets in Fuzz/ (a package of its own, built with sanitizers) link: listed as products so
/// that package can depend on this one by path. The normal build is unchanged: it builds these targets anyway.
let fuzzedLibraries = [
    "MediaFormats", "RtmpProtocol", "HttpProtocol", "RtpFormats", "RtspProtocol", "MpegTS", "MP4Formats", "HlsFormats",
    "RouterCore", "PluginHarness", "WebRtcProtocol", "SrtProtocol", "MpegPS",
]

let package = Package(
    name: "MediaRouter",
    products: [
        .executable(name: "mediarouter", targets: ["mediarouter"]),
        .executable(name: "mediarouter-busbench", targets: ["mediarouter-busbench"]),
        .executable(name: "mediarouter-bench", targets: ["mediarouter-bench"]),
        .executable(name: "mediarouter-muxbench", targets: ["mediarouter-muxbench"]),
        .executable(name: "mediarouter-srtpbench", targets: ["mediarouter-srtpbench"]),
        // For Swift plugins built outside this package.
        .library(name: "MRPluginKit", targets: ["MRPluginKit"]),
    ] + fuzzedLibraries.map { .library(name: $0, targets: [$0]) }
      + allPlugins.map { .library(name: $0.product, type: .dynamic, targets: [$0.target]) },
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        .target(name: "PluginABI"),
        // What the server used from Foundation beyond FoundationEssentials (JSONSerialization's text, trimming,
        // percent coding, path arithmetic): Foundation itself would load ICU into every process.
        .target(name: "EssentialsExtras"),
        // What Swift's Glibc module hides: sendmmsg for the core's direct UDP sends (behind _GNU_SOURCE), mallinfo2.
        .target(name: "CSocketShims"),
        // toml++ behind TOMLKit's C wrapper, vendored from TOMLKit 0.6.0 (Sources/CTOML/README.md): the core reads its
        // config through this C layer only, and TOMLKit's Swift layer imports Foundation, which loads ICU.
        .target(name: "CTOML", cxxSettings: [.define("TOML_EXCEPTIONS", to: "1")]),
        .target(
            name: "RouterCore",
            dependencies: [
                "PluginABI",
                "CSocketShims",
                "EssentialsExtras",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Atomics", package: "swift-atomics"),
                "CTOML",
            ]
        ),
        .target(name: "MRPluginKit", dependencies: ["PluginABI", "EssentialsExtras"]),
        // Codec and container formats shared by protocol plugins: no I/O, no ABI types.
        .target(name: "MediaFormats"),
        // Adapters between bus frames and container formats, shared by protocol plugins.
        .target(name: "BusMedia", dependencies: ["MediaFormats", "MpegTS", "MP4Formats", "MRPluginKit", "PluginABI"]),
        // Protocol machinery without I/O (parsers, framing, handshakes): tested on byte vectors, used by plugins.
        .target(name: "RtmpProtocol", dependencies: ["MediaFormats", "COpenSSL"]),
        .target(name: "HttpProtocol", dependencies: ["COpenSSL", "EssentialsExtras"]),
        // RTP/RTCP packetization per codec, RTCP reports, jitter buffer: shared by RTSP, WebRTC and GB28181.
        .target(name: "RtpFormats", dependencies: ["MediaFormats"]),
        .target(name: "RtspProtocol", dependencies: ["MediaFormats", "COpenSSL"]),
        // WebRTC without I/O: STUN, ICE-lite, SDP offer/answer, RTCP feedback, SRTP, DTLS over memory BIOs.
        .target(name: "WebRtcProtocol", dependencies: ["MediaFormats", "RtpFormats", "COpenSSL", "COpenSSLTLS"]),
        // Containers: MPEG-TS mux/demux and fragmented MP4 (ISO BMFF) writing, shared by httpmux, HLS, SRT, GB28181.
        .target(name: "MpegTS", dependencies: ["MediaFormats"]),
        .target(name: "MP4Formats", dependencies: ["MediaFormats"]),
        // MPEG-2 program stream (GB28181's RTP payload), demuxed with MpegTS's elementary stream handling.
        .target(name: "MpegPS", dependencies: ["MediaFormats", "MpegTS"]),
        // httpmux's web console, copied into `MediaRouter_HttpMuxConsole.resources/` beside the plugins. A target of
        // its own that nothing links: SwiftPM's accessor for resources imports Foundation (ICU, ~7 MB resident).
        .target(name: "HttpMuxConsole", path: "Plugins/httpmux-console", resources: [.copy("console")]),
        // M3U8 playlists (RFC 8216) as a client reads them (the HLS pull) and as the HLS server writes them,
        // with the LL-HLS part cutter.
        .target(name: "HlsFormats", dependencies: ["MediaFormats", "MP4Formats"]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        // libssl's DTLS and X.509 API with wrappers for the macros Swift cannot import.
        .systemLibrary(name: "COpenSSLTLS", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        // SRT without I/O: streamid dialects, reject codes, passphrase rules, TS message slicing.
        .target(name: "SrtProtocol"),
        // Haivision's libsrt (Debian's OpenSSL build), linked only by the srt plugin.
        .systemLibrary(name: "CSrt", pkgConfig: "srt", providers: [.apt(["libsrt-openssl-dev"])]),
        .executableTarget(
            name: "mediarouter",
            dependencies: [
                "RouterCore",
                "RouterManagement",
                "EssentialsExtras",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The management API (and hooks, metrics): in the executable, beside the core, never in a plugin.
        .target(
            name: "RouterManagement",
            dependencies: [
                "RouterCore", "PluginABI", "MRPluginKit", "EssentialsExtras", "CSocketShims",
                .product(name: "Prometheus", package: "swift-prometheus"),
                // Web hooks' client, on the core's event loops.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Benchmarks: run release builds by hand (see docs/benchmarks.md); they are not timed tests.
        // The counting malloc is also linked by FanoutGuardTests (so into the package's test binary).
        .target(name: "CMallocCounter", path: "Benchmarks/CMallocCounter"),
        .executableTarget(
            name: "mediarouter-busbench",
            dependencies: ["RouterCore", "PluginABI", "CMallocCounter", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/BusBench"
        ),
        .executableTarget(
            name: "mediarouter-bench",
            dependencies: [
                "RtmpProtocol", "MediaFormats",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Benchmarks/LoadTool"
        ),
        .executableTarget(
            name: "mediarouter-muxbench",
            dependencies: ["MediaFormats", "MpegTS", "MP4Formats", "RtpFormats"],
            path: "Benchmarks/MuxBench"
        ),
        .executableTarget(name: "mediarouter-srtpbench", dependencies: ["WebRtcProtocol"], path: "Benchmarks/SrtpBench"),
        .testTarget(name: "RouterManagementTests", dependencies: ["RouterManagement"]),
        .testTarget(
            name: "RouterCoreTests",
            dependencies: ["RouterCore", "PluginABI", "TestSupport"]
        ),
        // Helpers shared by the unit-test targets (a seeded generator for the fuzz cases).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "MediaFormatsTests", dependencies: ["MediaFormats", "TestSupport"]),
        .testTarget(name: "RtmpProtocolTests", dependencies: ["RtmpProtocol", "MediaFormats", "TestSupport"]),
        .testTarget(name: "HttpProtocolTests", dependencies: ["HttpProtocol"]),
        .testTarget(name: "EssentialsExtrasTests", dependencies: ["EssentialsExtras", "TestSupport"]),
        .testTarget(name: "RtpFormatsTests", dependencies: ["RtpFormats", "MediaFormats", "TestSupport"]),
        .testTarget(name: "RtspProtocolTests", dependencies: ["RtspProtocol", "MediaFormats", "TestSupport"]),
        .testTarget(name: "MpegTSTests", dependencies: ["MpegTS", "MediaFormats", "TestSupport"]),
        .testTarget(name: "MpegPSTests", dependencies: ["MpegPS", "MpegTS", "MediaFormats", "RtpFormats", "TestSupport"]),
        .testTarget(name: "HlsFormatsTests", dependencies: ["HlsFormats", "MediaFormats", "MP4Formats"]),
        .testTarget(name: "WebRtcProtocolTests", dependencies: ["WebRtcProtocol", "RtpFormats", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "SrtProtocolTests", dependencies: ["SrtProtocol"]),
        .testTarget(name: "MP4FormatsTests", dependencies: ["MP4Formats", "MediaFormats", "TestSupport"]),
        .testTarget(name: "BusMediaTests", dependencies: ["BusMedia", "MRPluginKit", "RtmpProtocol", "MediaFormats", "PluginABI"]),
        // Loads a built plugin into the test process on a real bus, with fake connections, UDP sockets and a
        // virtual clock in place of the host table's transport and timer functions.
        .target(
            name: "PluginHarness",
            dependencies: [
                "RouterCore", "PluginABI",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/PluginHarness"
        ),
        .testTarget(name: "PluginHarnessTests", dependencies: ["PluginHarness", "RouterCore", "PluginABI", "RtmpProtocol", "MediaFormats"]),
        // CI's regression guard on the fan-out path: allocations and loop user CPU per delivery at 100 readers.
        .testTarget(
            name: "FanoutGuardTests",
            dependencies: [
                "RouterCore", "PluginABI", "PluginHarness", "CMallocCounter", "TestSupport",
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["PluginABI"],
            exclude: ["Clients", "Fixtures"]
        ),
    ] + allPlugins.map {
        .target(name: $0.target, dependencies: ["PluginABI", "MRPluginKit", "EssentialsExtras"] + (pluginDependencies[$0.target] ?? []), path: $0.path,
)
    },
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)
