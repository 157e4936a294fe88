import HttpProtocol
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import MRPluginKit
import PluginABI

/// Sends a byte range of a file: reads happen on a worker (they may block), sends on the connection's
/// loop, and the next read waits while the socket is not writable.
final class FileTransfer {
    static let chunk = 256 * 1024
    private let fd: Int32
    private var offset: Int
    private var remaining: Int
    private let host: PluginHost
    private var reading = false
    private var cancelled = false
    private weak var connection: HttpConnection?

    init?(path: String, offset: Int, length: Int, host: PluginHost) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        self.fd = fd
        self.offset = offset
        self.remaining = length
        self.host = host
    }

    deinit { close(fd) }

    func cancel() { cancelled = true }

    /// Reads and sends the next chunk unless a read is under way or the socket is full.
    func resume(_ c: HttpConnection) {
        connection = c
        guard !reading, !cancelled else { return }
        guard remaining > 0 else { return c.fileFinished(ok: true) }
        guard host.table.conn_writable(c.conn) != 0 else { return }  // on_writable resumes us
        reading = true
        let job = ReadJob(transfer: self, size: min(Self.chunk, remaining), offset: offset)
        let loop = host.table.conn_loop(c.conn)
        if !host.onWorker({ job.read() }, thenOnLoop: loop, { job.finish() }) {
            reading = false
            c.fileFinished(ok: false)
        }
    }

    fileprivate func readDone(_ buf: OpaquePointer?, _ n: Int) {
        reading = false
        defer { if let buf { host.table.buf_release(buf) } }
        guard !cancelled, let c = connection else { return }
        guard let buf, n > 0, let slice = host.table.buf_slice(buf, 0, n) else {
            host.log(MR_LOG_WARNING, "file read failed; closing the response")
            return c.fileFinished(ok: false)
        }
        host.send(c.conn, buffers: [slice])
        host.table.buf_release(slice)
        host.stat("bytes_out", add: Int64(n))
        offset += n
        remaining -= n
        resume(c)
    }

    fileprivate var descriptor: Int32 { fd }
    fileprivate var api: mr_host_api { host.table }
}

/// One worker read; the worker thread only touches the buffer and the file descriptor.
private final class ReadJob {
    let transfer: FileTransfer
    let size: Int
    let offset: Int
    var buf: OpaquePointer?
    var count = 0

    init(transfer: FileTransfer, size: Int, offset: Int) {
        self.transfer = transfer
        self.size = size
        self.offset = offset
    }

    func read() {
        guard let b = transfer.api.buf_alloc(size), let p = transfer.api.buf_mutable(b) else { return }
        buf = b
        count = max(0, pread(transfer.descriptor, p, size, off_t(offset)))
    }

    func finish() { transfer.readDone(buf, count) }
}
