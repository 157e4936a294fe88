import MRPluginKit
import PluginABI
import Synchronization

/// Multicast play: the first player of a stream that asks for multicast starts one sender for the stream,
/// which writes every RTP packet once to a group taken from `multicast_range`, track N on port base + 2N;
/// later players are told the same group. The sender stops with its last player, or when its stream ends.
/// The packets go out with the system's multicast TTL (1: the local network), whatever `multicast_ttl` says
/// in the Transport reply.
final class RtspMulticast: @unchecked Sendable {
    struct Group: Equatable, Sendable {
        let key: String
        let address: String
        let port: Int

        /// Up to 8 tracks a group, two ports each.
        static let portsPerGroup = 16
        func port(track: Int) -> Int { port + 2 * min(track, 7) }
    }

    private struct State {
        var senders: [String: (group: Group, sender: RtspMulticastSender, members: Int)] = [:]
        var next: UInt32 = 0
    }

    private let host: PluginHost
    private let settings: RtspSettings
    private let state = Mutex(State())
    weak var plugin: RtspPlugin?

    init(host: PluginHost, settings: RtspSettings, plugin: RtspPlugin) {
        self.host = host
        self.settings = settings
        self.plugin = plugin
    }

    /// [loop] The group of `path`, starting its sender on `loop` if it is the first member.
    func join(_ path: RtspStreamPath, loop: Int32) -> Group? {
        let key = "\(path.vhost ?? "")/\(path.app)/\(path.stream)"
        let settings = self.settings
        let made: (Group, RtspMulticastSender?)? = state.withLock { s in
            if var entry = s.senders[key] {
                entry.members += 1
                s.senders[key] = entry
                return (entry.group, nil)
            }
            let span = settings.multicastLast - settings.multicastFirst + 1
            let n = s.next
            s.next &+= 1
            let ip = settings.multicastFirst + n % span
            let address = "\(ip >> 24).\((ip >> 16) & 0xFF).\((ip >> 8) & 0xFF).\(ip & 0xFF)"
            let port = settings.multicastPort + Int(n % 1000) * Group.portsPerGroup
            let group = Group(key: key, address: address, port: port)
            let sender = RtspMulticastSender(host: host, group: group)
            s.senders[key] = (group, sender, 1)
            return (group, sender)
        }
        guard let (group, sender) = made else { return nil }
        if let sender, let plugin {
            guard sender.start(path: path, loop: loop, ports: plugin.udpPorts(loop: loop), plugin: plugin) else {
                state.withLock { _ = $0.senders.removeValue(forKey: key) }
                return nil
            }
            host.log(MR_LOG_INFO, "multicast \(key) to \(group.address):\(group.port)")
        }
        return group
    }

    /// The sender's stream ended: the group is forgotten so the next player starts a new one.
    func ended(_ group: Group) {
        state.withLock { s in
            if s.senders[group.key]?.group == group { s.senders.removeValue(forKey: group.key) }
        }
    }

    /// A member sent PLAY: the sender starts (it waits so its first GOP is not sent before anyone listens).
    func play(_ group: Group) {
        let sender = state.withLock { $0.senders[group.key]?.sender }
        sender?.play()
    }

    func leave(_ group: Group) {
        let sender: RtspMulticastSender? = state.withLock { s in
            guard var entry = s.senders[group.key] else { return nil }
            entry.members -= 1
            if entry.members > 0 {
                s.senders[group.key] = entry
                return nil
            }
            s.senders.removeValue(forKey: group.key)
            return entry.sender
        }
        sender?.stop()
    }

    func stop() {
        let all = state.withLock { s in
            let v = s.senders.values.map(\.sender)
            s.senders.removeAll()
            return v
        }
        all.forEach { $0.stop() }
    }
}

/// The one reader of a multicast stream: sends each ring packet's RTP datagrams to the group.
final class RtspMulticastSender: ReaderHandler, @unchecked Sendable {
    private let host: PluginHost
    let group: Group
    private var reader: OpaquePointer?
    private var ports: RtspUdpPorts?
    private var peers: [UdpPeer?]
    private var loop: Int32 = -1
    /// Set on the sender's loop by the first PLAY; until then the reader stays paused.
    private var playing = false
    private weak var multicast: RtspMulticast?
    private lazy var box = ReaderBox(self)
    typealias Group = RtspMulticast.Group

    init(host: PluginHost, group: Group) {
        self.host = host
        self.group = group
        self.peers = (0..<8).map { UdpPeer(ip: group.address, port: UInt16(clamping: group.port(track: $0))) }
    }

    func start(path: RtspStreamPath, loop: Int32, ports: RtspUdpPorts?, plugin: RtspPlugin) -> Bool {
        guard let ports, peers.allSatisfy({ $0 != nil }) else { return false }
        self.ports = ports
        self.loop = loop
        self.multicast = plugin.multicast
        let (rc, out) = host.openReader(vhost: path.vhost, app: path.app, stream: path.stream, format: "rtsp", muxer: plugin,
                                        protocolName: "rtsp-multicast", peer: group.address, loop: loop, box: box)
        guard rc == MR_OK else { return false }
        if reader == nil { reader = out }
        return true
    }

    /// From any thread: delivery starts on the sender's loop (idempotent).
    func play() {
        host.onLoop(loop) { [self] in
            guard !playing else { return }
            playing = true
            if let reader { host.table.reader_set_paused(reader, 0) }
        }
    }

    /// From any thread: the reader is closed on its own loop, and the task keeps the sender alive until then.
    func stop() {
        // Refused when shutting down: the host closes the reader then.
        host.onLoop(loop) { [self] in
            guard let reader else { return }
            self.reader = nil
            host.table.reader_close(reader)
        }
    }

    func frames(_ reader: OpaquePointer, _ frames: UnsafeBufferPointer<mr_frame>) {
        guard let ports else { return }
        for f in frames {
            guard let payload = f.payload, Int(f.track) < peers.count, let rtp = peers[Int(f.track)] else { continue }
            let data = host.bytes(of: payload)
            var offset = 0
            while offset + 4 <= data.count {
                let len = Int(data[offset + 2]) << 8 | Int(data[offset + 3])
                guard offset + 4 + len <= data.count else { break }
                ports.send(payload, offset: offset + 4, len: len, to: rtp, rtcp: false)
                offset += 4 + len
            }
        }
    }

    func event(_ reader: OpaquePointer, _ event: mr_reader_event, detail: Int64) {
        if event == MR_READER_STARTED {
            self.reader = reader
            if !playing { host.table.reader_set_paused(reader, 1) }
        }
        if event == MR_READER_CLOSED || event == MR_READER_ENDED || event == MR_READER_NOT_FOUND {
            self.reader = nil
            multicast?.ended(group)
        }
    }
}
