import BusMedia
import CSrt
import MRPluginKit
import PluginABI
import SrtProtocol

/// MPEG-TS arriving over SRT onto a bus source: a caller publishing (asked through the core's auth first) or
/// a pull of ours. The poller thread drains `srt_recvmsg` and hands each batch to the loop.
final class SrtPublisher: SrtSession {
    struct Target {
        let vhost: String?
        let app: String
        let stream: String
        let query: String
        let user: String?
        let password: String?
        /// The source's protocol: "srt" for callers, "srt-pull" for pulls (ABI 1.3 `sources`).
        let protocolName: String
        /// Callers are asked about; our own pulls were asked for by the operator.
        let needsAuth: Bool
    }

    let target: Target
    private var source: OpaquePointer?
    private var ingest: TsLiveIngest?
    private var check = TsInputCheck()
    /// The stream's key in the admission's table (read on the poller thread too).
    private let busKey: String
    /// Called once the source is on the bus (a pull is then online).
    var onPublishing: (() -> Void)?

    init(context: SrtContext, sock: SRTSOCKET, loop: Int32, peer: String, target: Target) {
        self.target = target
        busKey = "\(target.vhost ?? "")/\(target.app)/\(target.stream)"
        super.init(context: context, sock: sock, loop: loop, peer: peer,
                   label: "\(target.protocolName == "srt" ? "publisher" : "pull") \(target.app)/\(target.stream) \(target.protocolName == "srt" ? "from" : "<-") \(peer)",
                   identity: .init(role: .publisher, vhost: target.vhost, app: target.app, stream: target.stream, protocolName: target.protocolName))
    }

    override func begin() {
        guard target.needsAuth else { return publish() }
        AuthQuestion(action: MR_AUTH_PUBLISH, vhost: target.vhost, app: target.app, stream: target.stream, protocolName: "srt", peer: peer,
                     query: target.query, user: target.user, password: target.password).ask(host, loop: loop) { [self] allowed, reason in
            guard !closed else { return }
            guard allowed else { return close("publish denied: \(reason)") }
            publish()
        }
    }

    private func publish() {
        let s = context.settings
        // Checked again after the auth question: the silent publisher may have closed or spoken since.
        let silence = context.admission.silence(busKey)
        let replacing = target.needsAuth && silence.map(s.replacesSilentPublisher) == true
        guard let src = host.openSource(vhost: target.vhost, app: target.app, stream: target.stream, protocolName: target.protocolName,
                                        peer: peer, loop: loop, takeover: target.needsAuth && (s.takeover || replacing)) else {
            return close("cannot publish: \(host.lastError)")
        }
        source = src
        ingest = TsLiveIngest(host: host, source: src, label: label)
        context.admission.publishing(busKey, true, owner: self)
        if replacing { closeSilentPredecessors(silence ?? 0) }
        guard context.poller.add(sock, events: SrtPoller.inputEvents, owner: self) else { return close("cannot watch the socket") }
        host.log(MR_LOG_INFO, "\(label): publishing")
        onPublishing?()
    }

    /// The bus gave the stream to this session; the silent holder would otherwise linger until libsrt's peer
    /// idle timeout.
    private func closeSilentPredecessors(_ silenceMs: Int64) {
        for case let old as SrtPublisher in context.all where old !== self && old.busKey == busKey {
            old.closeOnLoop("replaced by \(peer) after \(silenceMs) ms without data")
        }
    }

    /// [poller thread] Takes every message libsrt has ready (a bounded number per turn).
    override func ready(_ sock: SRTSOCKET, events: Int32) {
        var data: [UInt8] = []
        var sizes: [Int] = []
        var broken: String?
        var buf = [UInt8](repeating: 0, count: 1500)
        while sizes.count < 512 {
            let n = buf.withUnsafeMutableBytes { srt_recvmsg(sock, $0.baseAddress?.assumingMemoryBound(to: CChar.self), 1500) }
            if n > 0 {
                data.append(contentsOf: buf[0..<Int(n)])
                sizes.append(Int(n))
                continue
            }
            if n < 0, SrtLibrary.lastErrorCode != SRT_EASYNCRCV.rawValue { broken = SrtLibrary.lastError }
            break
        }
        if broken == nil, events & Int32(SRT_EPOLL_ERR.rawValue) != 0, sizes.isEmpty { broken = "connection closed" }
        guard !sizes.isEmpty || broken != nil else { return }
        if !sizes.isEmpty { context.admission.received(busKey, owner: self) }
        host.onLoop(loop) { [self] in
            receive(data, sizes)
            if let broken { close(broken) }
        }
    }

    private func receive(_ data: [UInt8], _ sizes: [Int]) {
        guard !closed, let ingest else { return }
        var at = 0
        for n in sizes {
            let ok = data.withUnsafeBytes { check.accept(UnsafeRawBufferPointer(rebasing: $0[at..<at + n])) }
            at += n
            if !ok { return close("the payload is not MPEG-TS (\(check.badTotal) messages without TS sync)") }
        }
        ingest.push(data[...])
    }

    override func ended() {
        if let source {
            host.table.source_close(source)
            context.admission.publishing(busKey, false, owner: self)
            host.log(MR_LOG_INFO, "\(label): \(ingest?.framesOut ?? 0) frames (\(ingest?.codecs ?? "")), \(ingest?.errors ?? 0) TS errors")
        }
        source = nil
        ingest = nil
    }
}
