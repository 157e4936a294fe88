@testable import WebRtcProtocol

/// DTLS as the WebRTC plugin runs it. The first byte picks:
/// - even: record framing (`DtlsRecords.datagrams`, which packs OpenSSL's output into datagrams) of the rest
///   with an MTU the second byte sets; checked: no record is cut, none is lost or reordered, and a datagram is
///   over the MTU only when it is one record;
/// - odd: a real handshake between our client and our server endpoints (certificates made once), each flight
///   passed through a mutator the input drives: pass, drop, flip a byte, truncate, replace with input bytes,
///   or inject input bytes before it; timers fire when the handshake stalls. Then application data and
///   close_notify if it connected. Nothing the peer sends may crash or wedge an endpoint.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDtls(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard bytes.count >= 2 else { return 0 }
    if bytes[0] & 1 == 0 {
        records(Array(bytes[2...]), mtu: 13 + Int(bytes[1]) * 8)
    } else {
        handshake(InputReader(bytes[1...]))
    }
    return 0
}

private func records(_ bytes: [UInt8], mtu: Int) {
    let datagrams = DtlsRecords.datagrams(bytes, mtu: mtu)
    let joined = datagrams.flatMap { $0 }
    guard joined[...] == bytes.prefix(joined.count) else { fatalError("records reordered or altered") }
    // Whatever is left must be less than one whole record.
    let rest = bytes.count - joined.count
    if rest >= DtlsRecords.headerSize {
        let length = DtlsRecords.headerSize + (Int(bytes[joined.count + 11]) << 8 | Int(bytes[joined.count + 12]))
        guard length > rest else { fatalError("a complete record was left out") }
    }
    for d in datagrams where d.count > mtu {
        let length = DtlsRecords.headerSize + (Int(d[11]) << 8 | Int(d[12]))
        guard length == d.count else { fatalError("datagram of \(d.count) bytes over the MTU \(mtu) holds several records") }
    }
}

/// Reads the mutation script; past its end everything passes unchanged.
private struct InputReader {
    var rest: ArraySlice<UInt8>
    init(_ bytes: ArraySlice<UInt8>) { rest = bytes }
    mutating func byte() -> UInt8? { rest.popFirst() }
    mutating func chunk() -> [UInt8] {
        let n = Int(byte() ?? 0)
        defer { rest = rest.dropFirst(n) }
        return Array(rest.prefix(n))
    }
}

private func handshake(_ input: InputReader) {
    var input = input
    guard let client = DtlsEndpoint(certificate: certificates.client, client: true, remoteFingerprint: certificates.server.fingerprint),
          let server = DtlsEndpoint(certificate: certificates.server, client: false, remoteFingerprint: certificates.client.fingerprint)
    else { fatalError("endpoints not created") }
    var toServer = client.start(), toClient: [[UInt8]] = []
    for _ in 0..<24 {
        if toServer.isEmpty, toClient.isEmpty {
            toServer = client.handleTimeout()
            toClient = server.handleTimeout()
            if toServer.isEmpty, toClient.isEmpty { break }
        }
        for d in mutate(toServer, &input) { toClient += server.handle(d[...]).send }
        toServer = []
        for d in mutate(toClient, &input) { toServer += client.handle(d[...]).send }
        toClient = []
    }
    _ = (client.retransmitDelayMicros(), server.retransmitDelayMicros(), client.srtpKeys, server.srtpKeys)
    for d in client.write(input.chunk()) + client.close() { _ = server.handle(d[...]) }
}

private func mutate(_ datagrams: [[UInt8]], _ input: inout InputReader) -> [[UInt8]] {
    var out: [[UInt8]] = []
    for var d in datagrams {
        switch (input.byte() ?? 0) % 8 {
        case 4: continue
        case 5:
            let at = Int(input.byte() ?? 0) << 8 | Int(input.byte() ?? 0)
            if !d.isEmpty { d[at % d.count] ^= input.byte() ?? 1 }
        case 6: d = Array(d.prefix(Int(input.byte() ?? 0) << 2))
        case 7: d = input.chunk()
        case 3: out.append(input.chunk())
        default: break
        }
        out.append(d)
    }
    return out
}

/// One certificate per side for the whole run: generating a P-256 key per input would dominate the time.
private let certificates: (client: DtlsCertificate, server: DtlsCertificate) = {
    guard let c = DtlsCertificate(commonName: "client"), let s = DtlsCertificate(commonName: "server") else {
        fatalError("no DTLS certificate")
    }
    return (c, s)
}()
