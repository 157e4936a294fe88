import WebRtcProtocol

/// A datagram on the WebRTC plugin's shared UDP port: demultiplexed by its first byte (RFC 7983), parsed as
/// STUN with its attributes, FINGERPRINT and MESSAGE-INTEGRITY checked, then handed to the ICE-lite agent as a
/// check from a new 5-tuple. A random MESSAGE-INTEGRITY never verifies, so whatever parses is also re-encoded
/// with the session's password and fed again: mutations of USERNAME, USE-CANDIDATE, ICE-CONTROLLED and
/// unknown attributes then reach the authenticated paths (role conflict, 420, nomination, migration).
/// Checked: a message we encode parses back to the same message and its integrity verifies.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStun(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = DatagramKind(bytes[...])
    var agent = IceLiteAgent()
    agent.addSession(local: IceCredentials(ufrag: ufrag, password: password), remoteUfrag: nil, nowMs: 0)
    _ = agent.handle(datagram: bytes[...], tuple: tuple(port: 1), nowMs: 1)

    guard let message = try? StunMessage(parsing: bytes) else { return 0 }
    _ = message.verifyIntegrity(of: bytes[...], key: Array(password.utf8))
    _ = (message.username, message.priority, message.useCandidate, message.xorMappedAddress, message.errorCode)

    // The message as a peer knowing the password would send it, under the ufrag it names (or ours).
    let local = message.username.map { String($0.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)[0]) } ?? ufrag
    if local != ufrag { agent.addSession(local: IceCredentials(ufrag: local, password: password), remoteUfrag: nil, nowMs: 0) }
    let signed = message.encode(integrityKey: Array(password.utf8), fingerprint: true)
    guard signed.count <= StunMessage.maxSize else { return 0 }
    guard let again = try? StunMessage(parsing: signed) else { fatalError("a message we encoded does not parse: \(signed)") }
    guard again == message else { fatalError("encode/parse changed the message: \(message) -> \(again)") }
    guard again.verifyIntegrity(of: signed[...], key: Array(password.utf8)) else { fatalError("our MESSAGE-INTEGRITY does not verify") }
    for (i, port) in [2, 2, 3].enumerated() {
        if case .reply(let answer, _, _) = agent.handle(datagram: signed[...], tuple: tuple(port: UInt16(port)), nowMs: Int64(10 + i)) {
            _ = try? StunMessage(parsing: answer)
        }
    }
    // Media from the pair the check validated, then the timers.
    _ = agent.handle(datagram: [0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1][...], tuple: tuple(port: 2), nowMs: 20)
    _ = agent.nextDeadline()
    _ = agent.tick(nowMs: 40_000)
    return 0
}

/// RFC 5769's password, so the RFC's request (USERNAME evtj:h6vY) verifies as it is.
private let ufrag = "evtj"
private let password = "VOkJxbRl1RmTxUk/WvJxBt"

private func tuple(port: UInt16) -> FiveTuple {
    FiveTuple(local: TransportAddress(ip: IpAddress(v4: 10, 0, 0, 1), port: 8000), remote: TransportAddress(ip: IpAddress(v4: 192, 0, 2, 7), port: port))
}
