import Foundation
import XCTest

/// A network namespace of the test's own (this kernel has no netem): a `sleep` started under `unshare -n`
/// holds it, and commands enter it with `nsenter`. Loss is injected with iptables' statistic match on one
/// UDP port, so nothing outside the namespace is touched and the rules vanish with it.
final class NetworkNamespace {
    private let holder = Process()

    /// Root, unshare, nsenter and iptables: the loss tests skip without them (the suite installs iptables).
    static var available: Bool {
        getuid() == 0 && ["/usr/bin/unshare", "/usr/bin/nsenter", "/usr/sbin/iptables", "/usr/sbin/ip"].allSatisfy {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    init() throws {
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        holder.arguments = ["-n", "sleep", "600"]
        holder.standardOutput = FileHandle.nullDevice
        holder.standardError = FileHandle.nullDevice
        try holder.run()
        // unshare execs sleep in place: the pid is the namespace's holder once its net link differs from ours.
        let mine = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")
        guard waitUntil(timeout: 5, {
            let theirs = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(self.holder.processIdentifier)/ns/net")
            return theirs != nil && theirs != mine
        }) else { throw NSError(domain: "NetworkNamespace", code: 1, userInfo: [NSLocalizedDescriptionKey: "unshare -n did not start"]) }
        let (status, out) = try run(["/usr/sbin/ip", "link", "set", "lo", "up"])
        guard status == 0 else { throw NSError(domain: "NetworkNamespace", code: 2, userInfo: [NSLocalizedDescriptionKey: "lo: \(out)"]) }
    }

    deinit { close() }

    func close() {
        if holder.isRunning {
            holder.terminate()
            holder.waitUntilExit()
        }
    }

    /// What a command is started under to run inside the namespace.
    var launcher: [String] { ["/usr/bin/nsenter", "--net=/proc/\(holder.processIdentifier)/ns/net", "--"] }

    func run(_ command: [String], timeout: TimeInterval = 30) throws -> (Int32, String) {
        try runCommand(launcher[0], Array(launcher.dropFirst()) + command, timeout: timeout)
    }

    /// A process started in the namespace (not waited for), its output to the file `stdout` if given.
    func start(_ command: [String], stdout: String? = nil) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: launcher[0])
        p.arguments = Array(launcher.dropFirst()) + command
        if let stdout {
            FileManager.default.createFile(atPath: stdout, contents: nil)
            p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdout))
        } else {
            p.standardOutput = FileHandle.nullDevice
        }
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    enum Direction { case fromPort, toPort }

    /// Drops UDP datagrams sent from (or to) `port` at random with `probability`.
    func drop(udpPort port: Int, _ direction: Direction, probability: Double) throws {
        let (chain, match) = direction == .fromPort ? ("OUTPUT", "--sport") : ("INPUT", "--dport")
        let (status, out) = try run(["/usr/sbin/iptables", "-A", chain, "-p", "udp", match, String(port), "-m", "statistic",
                                     "--mode", "random", "--probability", String(probability), "-j", "DROP"])
        guard status == 0 else { throw NSError(domain: "NetworkNamespace", code: 3, userInfo: [NSLocalizedDescriptionKey: "iptables: \(out)"]) }
    }

    /// Datagrams the rules dropped so far.
    func dropped() -> Int {
        guard let (_, out) = try? run(["/usr/sbin/iptables", "-L", "-v", "-n", "-x"]) else { return 0 }
        return out.split(separator: "\n").filter { $0.contains("statistic") }
            .compactMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).first ?? "") }.reduce(0, +)
    }
}
