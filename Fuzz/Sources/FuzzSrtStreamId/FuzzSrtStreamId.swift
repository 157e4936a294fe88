import SrtProtocol

/// What an SRT caller controls before admission: its streamid, in every dialect the listener accepts
/// (access control `#!::`, percent-encoded access control, MediaMTX `publish:`/`read:`, SRS key=value,
/// plain `app/stream?query`), as the bytes libsrt hands over; and, with the same text, an `srt://` URL of a
/// pull or push and passphrase rules matched against the stream it names. Checked: an accepted streamid names
/// an app and a stream, and the access-control text we send for it is itself accepted, naming the same stream.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSrtStreamId(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: bytes, as: UTF8.self)
    switch SrtStreamId.parse(bytes: bytes) {
    case .success(let id):
        guard !id.app.isEmpty, !id.stream.isEmpty else { fatalError("accepted \(bytes) without app/stream: \(id)") }
        let sent = id.accessControlText
        // The access-control form has no escaping: names holding its separators cannot go through it.
        let plain = [id.app, id.stream, id.vhost ?? "", id.user ?? ""].allSatisfy { !$0.unicodeScalars.contains(where: { ",&=".unicodeScalars.contains($0) }) }
        if plain, sent.utf8.count <= SrtStreamId.maxLength {
            guard case .success(let back) = SrtStreamId.parse(sent), back.app == id.app, back.stream == id.stream,
                  back.mode == id.mode, back.vhost == id.vhost, back.user == id.user
            else { fatalError("\(sent), sent for \(id), does not name it: \(SrtStreamId.parse(sent))") }
        }
        let lines = text.split(separator: "\n").map(String.init)
        let (rules, _) = SrtPassphraseRules.parse(lines, passphrase: "0123456789", pbkeylen: 0)
        _ = rules.secret(app: id.app, stream: id.stream, mode: id.mode)
        _ = SrtPassphraseRules.matches(text, "\(id.app)/\(id.stream)")
    case .failure(let failure):
        _ = (failure.reason, failure.rejectCode)
    }
    for publishing in [false, true] {
        guard let url = SrtURL("srt://" + text, publishing: publishing) ?? SrtURL(text, publishing: publishing) else { continue }
        if let sid = url.streamId { _ = SrtStreamId.parse(sid) }
    }
    return 0
}
