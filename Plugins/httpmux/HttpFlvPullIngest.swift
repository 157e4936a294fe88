import BusMedia
import MediaFormats
import MRPluginKit

/// An HTTP-FLV body into the bus: tags cut by FlvStreamReader, turned into frames by FlvIngest as an RTMP
/// publish's are (FLV tag bodies are RTMP message bodies).
final class HttpFlvPullIngest: HttpPullIngest {
    private var reader = FlvStreamReader()
    private let ingest: FlvIngest
    private var videoTags = 0, audioTags = 0

    init(host: PluginHost, source: OpaquePointer) {
        ingest = FlvIngest(host: host, source: source)
    }

    func push(_ bytes: [UInt8]) throws(HttpPullError) -> Int {
        let tags: [FlvFraming.ParsedTag]
        do { tags = try reader.push(bytes) } catch { throw HttpPullError("bad HTTP-FLV stream: \(error)") }
        var frames = 0
        do {
            for tag in tags {
                switch FlvTagType(rawValue: tag.type) {
                case .video:
                    try ingest.video(timestampMs: tag.timestampMs, body: tag.body)
                    videoTags += 1
                    frames += 1
                case .audio:
                    try ingest.audio(timestampMs: tag.timestampMs, body: tag.body)
                    audioTags += 1
                    frames += 1
                case .script:
                    // Metadata only tells which tracks to wait for; a script tag we cannot read costs nothing.
                    var d = AMFDecoder(tag.body)
                    if let values = try? d.decodeAll(), values.first?.string == "onMetaData" { ingest.metadata(Array(values.dropFirst())) }
                case nil:
                    break
                }
            }
        } catch {
            throw HttpPullError("bad HTTP-FLV tag: \(error)")
        }
        return frames
    }

    var codecs: String { [videoTags > 0 ? "video" : nil, audioTags > 0 ? "audio" : nil].compactMap { $0 }.joined(separator: "+") }
    var summary: String { "\(videoTags) video and \(audioTags) audio tags" }
}
