import MRPluginKit
import PluginABI
import Synchronization

/// Multicast play: the first player of a stream that asks for multicast starts one sender for the stream,
/// which writes every RTP packet once to a group taken from `multicast_range` (RTCP to port + 1); later
/// players are told the same group. The sender stops with its last player.
final class RtspMulticast: @unchecked Sendable {
    struct Group: Equatable, Sendable {
        let key: String
        let address: String
        let port: Int
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
            let port = settings.multicastPort + Int(2 * (n % 10_000))
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
    private var rtp: UdpPeer?
    private lazy var box = ReaderBox(self)
    typealias Group = RtspMulticast.Group

    init(host: PluginHost, group: Group) {
        self.host = host
        self.group = group
        self.rtp = UdpPeer(ip: group.address, port: UInt16(clamping: group.port))
    }

    func start(path: RtspStreamPath, loop: Int32, ports: RtspUdpPorts?, plugin: RtspPlugin) -> Bool {
        guard let ports, rtp != nil else { return false }
        self.ports = ports
        let (rc, out) = host.openReader(vhost: path.vhost, app: path.app, stream: path.stream, format: "rtsp", muxer: plugin,
                                        protocolName: "rtsp-multicast", peer: group.address, loop: loop, box: box)
        guard rc == MR_OK else { return false }
        if reader == nil { reader = out }
        return true
    }

    func stop() {
        guard let reader else { return }
        self.reader = nil
        host.table.reader_close(reader)
    }

    func frames(_ reader: OpaquePointer, _ frames: UnsafeBufferPointer<mr_frame>) {
        guard let ports, let rtp else { return }
        for f in frames {
            guard let payload = f.payload else { continue }
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
        if event == MR_READER_STARTED { self.reader = reader }
        if event == MR_READER_CLOSED || event == MR_READER_ENDED { self.reader = nil }
    }
}
