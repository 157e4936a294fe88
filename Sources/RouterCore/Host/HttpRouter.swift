import NIOConcurrencyHelpers
import PluginABI

/// Routes registered by plugins and the core, dispatched by whichever plugin registered as the HTTP server.
final class HttpRouter: @unchecked Sendable {
    struct Route {
        let method: String?
        let prefix: String
        let handler: mr_http_handler_fn
        let user: UnsafeMutableRawPointer?
        weak var owner: HostContext?
    }
    private let lock = NIOLock()
    private var routes: [Route] = []
    private(set) var server: (ops: mr_http_server_ops, owner: HostContext)?

    func add(_ route: Route) -> Int32 {
        lock.withLock {
            if routes.contains(where: { $0.prefix == route.prefix && $0.method == route.method }) {
                return LastError.fail(MR_ERR_BUSY, "route \(route.method ?? "*") \(route.prefix) is taken")
            }
            routes.append(route)
            return Int32(MR_OK)
        }
    }

    func setServer(_ ops: mr_http_server_ops, owner: HostContext) -> Int32 {
        lock.withLock {
            if let current = server, current.owner !== owner {
                return LastError.fail(MR_ERR_BUSY, "plugin \(current.owner.name) already serves HTTP")
            }
            server = (ops, owner)
            return Int32(MR_OK)
        }
    }

    var serverOps: mr_http_server_ops? { lock.withLock { server?.ops } }

    func removeAll(ownedBy owner: HostContext) {
        lock.withLock {
            routes.removeAll { $0.owner === owner || $0.owner == nil }
            if server?.owner === owner { server = nil }
        }
    }

    /// The longest prefix that matches, method-specific routes first.
    func match(method: String, path: String) -> Route? {
        lock.withLock {
            // A route for any method does not take CORS preflights: the server answers them unless a route
            // registered OPTIONS itself.
            routes.filter { path.hasPrefix($0.prefix) && ($0.method == nil && method != "OPTIONS" || $0.method == method) }
                .max { a, b in
                    a.prefix.count != b.prefix.count ? a.prefix.count < b.prefix.count : (a.method == nil && b.method != nil)
                }
        }
    }

    var routeList: [(String, String, String)] {
        lock.withLock { routes.map { ($0.method ?? "*", $0.prefix, $0.owner?.name ?? "?") } }
    }
}

/// One request in flight (`mr_http_exchange`), tying a route handler's answer to the serving plugin.
final class HttpExchange: @unchecked Sendable {
    let serverContext: UnsafeMutableRawPointer?
    unowned let router: HttpRouter
    var onClose: [(mr_task_fn, UnsafeMutableRawPointer?)] = []
    var finished = false

    init(serverContext: UnsafeMutableRawPointer?, router: HttpRouter) {
        self.serverContext = serverContext
        self.router = router
    }

    var handle: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ handle: OpaquePointer?) -> HttpExchange? {
        guard let handle else { return nil }
        return Unmanaged<HttpExchange>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }
}
