import PluginABI

/// An event as the core carries it; turned into `mr_event` for plugin subscribers.
public struct BusEvent: Sendable {
    public var type: mr_event_type
    public var key: StreamKey?
    public var protocolName: String
    public var peer: String
    public var detail: String
    public var readers: Int
    /// Stop events: payload bytes the reader got and how long it was attached.
    public var bytes: Int64 = 0
    public var durationMs: Int64 = 0

    public init(type: mr_event_type, key: StreamKey? = nil, protocolName: String = "", peer: String = "",
                detail: String = "", readers: Int = 0) {
        self.type = type
        self.key = key
        self.protocolName = protocolName
        self.peer = peer
        self.detail = detail
        self.readers = readers
    }

    public var name: String {
        switch type {
        case MR_EVENT_PUBLISH: return "publish"
        case MR_EVENT_UNPUBLISH: return "unpublish"
        case MR_EVENT_PLAY: return "play"
        case MR_EVENT_STOP: return "stop"
        case MR_EVENT_NONE_READER: return "none_reader"
        case MR_EVENT_NOT_FOUND: return "not_found"
        case MR_EVENT_RECORD_DONE: return "record_done"
        case MR_EVENT_PLUGIN_STATE: return "plugin_state"
        default: return "event\(type.rawValue)"
        }
    }
}
