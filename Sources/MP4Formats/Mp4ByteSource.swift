/// Random access to the bytes of an MP4 file, so a reader needs only the boxes it parses in memory, not the
/// media data. A read may return fewer bytes than asked only at the end of the source.
public protocol Mp4ByteSource {
    var size: Int64 { get }
    func read(offset: Int64, count: Int) throws -> [UInt8]
}
