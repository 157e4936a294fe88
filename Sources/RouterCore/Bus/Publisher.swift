import Atomics
import NIOCore

/// A publisher's handle (`mr_source`). Tracks are numbered here, on the publisher's thread, so
/// `source_add_track` can answer at once while the source itself lives on its home loop.
final class Publisher: @unchecked Sendable {
    let source: Source
    weak var owner: HostContext?
    let protocolName: String
    let peer: String
    var tracks: [TrackInfo] = []
    var ready = false
    let kicked = ManagedAtomic<Bool>(false)
    var closed = false

    init(source: Source, owner: HostContext?, protocolName: String, peer: String) {
        self.source = source
        self.owner = owner
        self.protocolName = protocolName
        self.peer = peer
    }

    var handle: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ handle: OpaquePointer?) -> Publisher? {
        guard let handle else { return nil }
        return Unmanaged<Publisher>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }

    /// Runs `body` on the source's home loop, inline when already there so order is kept either way.
    func onHome(_ body: @escaping @Sendable () -> Void) {
        if source.home.inEventLoop { body() } else { source.home.execute(body) }
    }
}
