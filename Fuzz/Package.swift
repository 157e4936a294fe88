// swift-tools-version:5.4
import PackageDescription

// Tools version 5.4 on purpose: from 5.5 on, SwiftPM renames an executable's entry point to `<module>_main` and
// links `main` to it, which a fuzz target (whose main is libFuzzer's) does not have. Swift 6 mode is set by flag.
//
// libFuzzer targets, one per parser, kept out of the main package: each defines LLVMFuzzerTestOneInput and has
// no main, so it links only with `-sanitize=fuzzer` (libFuzzer's main). Built by scripts/fuzz.sh into
// .build-fuzz with `-sanitize=fuzzer,address -parse-as-library`; see docs/reliability.md.
let fuzzTargets: [(name: String, dependencies: [String])] = [
    ("FuzzAmf", ["MediaFormats"]),
    ("FuzzFlv", ["MediaFormats"]),
    ("FuzzCodecConfig", ["MediaFormats"]),
    ("FuzzRtmpChunk", ["RtmpProtocol", "MediaFormats"]),
    ("FuzzRtspMessage", ["RtspProtocol"]),
    ("FuzzSdp", ["RtspProtocol"]),
    ("FuzzRtp", ["RtpFormats", "MediaFormats"]),
    ("FuzzRtcp", ["RtpFormats"]),
    ("FuzzMpegTs", ["MpegTS"]),
    ("FuzzMp4", ["MP4Formats"]),
    ("FuzzM3u8", ["HlsFormats"]),
    ("FuzzHttp", ["HttpProtocol"]),
    ("FuzzWebSocket", ["HttpProtocol"]),
    ("FuzzConfig", ["RouterCore"]),
    ("FuzzApiParams", ["MRPluginKit"]),
    ("FuzzRtmpSession", ["PluginHarness", "RouterCore", "mrplugin_rtmp"]),
    ("FuzzStun", ["WebRtcProtocol"]),
    ("FuzzWebRtcSdp", ["WebRtcProtocol"]),
    ("FuzzWebRtcRtcp", ["WebRtcProtocol", "RtpFormats"]),
    ("FuzzDtls", ["WebRtcProtocol"]),
    ("FuzzSrtp", ["WebRtcProtocol"]),
    ("FuzzSrtStreamId", ["SrtProtocol"]),
    ("FuzzMpegPs", ["MpegPS", "MediaFormats"]),
    ("FuzzGbRtpTcp", ["RtpFormats", "MpegPS", "MpegTS", "MediaFormats"]),
    ("FuzzRtpPacketizer", ["RtpFormats", "MediaFormats"]),
]

let package = Package(
    name: "MediaRouterFuzz",
    dependencies: [.package(name: "MediaRouter", path: "..")],
    targets: fuzzTargets.map { t in
        .executableTarget(
            name: t.name,
            dependencies: t.dependencies.map { .product(name: $0, package: "MediaRouter") },
            path: "Sources/\(t.name)",
            swiftSettings: [.unsafeFlags(["-swift-version", "6"])]
        )
    }
)
