/// The streams this plugin's sessions publish, each with its holder and when the holder last brought data.
/// A caller publishing a stream already held is refused (1409) unless the holder has gone silent: an
/// encoder that died without an SRT shutdown (killed, its network gone) keeps its connection in libsrt until
/// the peer idle timeout, and its own return within the reconnect window must not be refused meanwhile.
struct SrtPublishingStreams {
    private struct Holder {
        let owner: ObjectIdentifier
        var lastDataMs: Int64
    }

    private var holders: [String: Holder] = [:]

    mutating func opened(_ key: String, owner: ObjectIdentifier, nowMs: Int64) {
        holders[key] = Holder(owner: owner, lastDataMs: nowMs)
    }

    /// Only the holder's own close frees the stream: a replaced holder ends after its successor took over.
    mutating func closed(_ key: String, owner: ObjectIdentifier) {
        if holders[key]?.owner == owner { holders.removeValue(forKey: key) }
    }

    mutating func received(_ key: String, owner: ObjectIdentifier, nowMs: Int64) {
        guard holders[key]?.owner == owner else { return }
        holders[key]?.lastDataMs = nowMs
    }

    /// nil when nobody holds the stream, else how long its holder has sent nothing (ms).
    func silence(_ key: String, nowMs: Int64) -> Int64? {
        holders[key].map { max(0, nowMs - $0.lastDataMs) }
    }
}
