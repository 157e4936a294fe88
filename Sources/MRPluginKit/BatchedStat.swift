/// A byte counter for the hot path: added up locally and handed to the host's (locked, name-keyed)
/// counter once per megabyte and when the session ends, instead of once per frame.
public struct BatchedStat {
    public let name: String
    private var pending = 0

    public init(name: String) { self.name = name }

    @inlinable
    public mutating func add(_ n: Int, _ host: PluginHost) {
        pendingBytes += n
        if pendingBytes >= 1 << 20 { flush(host) }
    }

    public mutating func flush(_ host: PluginHost) {
        guard pending > 0 else { return }
        host.stat(name, add: Int64(pending))
        pending = 0
    }

    @usableFromInline var pendingBytes: Int {
        get { pending }
        set { pending = newValue }
    }
}
