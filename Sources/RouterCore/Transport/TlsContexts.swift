import NIOConcurrencyHelpers
import NIOSSL

/// TLS contexts for listeners and outgoing connections. A server context is built once per certificate
/// and key pair and shared by every connection of the listener.
enum TlsContexts {
    static func server(certPath: String, keyPath: String) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(certPath).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        let config = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        return try NIOSSLContext(configuration: config)
    }

    private static let clientLock = NIOLock()
    nonisolated(unsafe) private static var clientContexts: [Bool: NIOSSLContext] = [:]

    /// One shared client context per verification mode (certificate loading is the expensive part).
    static func client(verify: Bool) throws -> NIOSSLContext {
        try clientLock.withLock {
            if let c = clientContexts[verify] { return c }
            var config = TLSConfiguration.makeClientConfiguration()
            config.certificateVerification = verify ? .fullVerification : .none
            let c = try NIOSSLContext(configuration: config)
            clientContexts[verify] = c
            return c
        }
    }
}
