import HlsFormats
import HttpProtocol
import MP4Formats
import MRPluginKit
import PluginABI

/// One attempt of a pull, on one loop: the playlist (a master playlist's best variant), reloaded every
/// target duration (half of it after a reload that brought nothing new, RFC 8216 6.3.4), its new segments
/// fetched in order, one request at a time, and handed to the ingest. Live starts three segments from the
/// end; a playlist with EXT-X-ENDLIST is played to its end once and the source then ends. Any error ends
/// the attempt with a log line; the proxy's link then retries with backoff.
final class HlsPullSession {
    static let maxSegmentBytes = 32 << 20
    /// Live playlists are joined this many segments from the end, as players do (RFC 8216 6.3.3).
    static let liveStartSegments = 3
    static let maxRedirects = 3
    /// A request that has not completed after this long ends the attempt.
    static let requestTimeoutUs: Int64 = 15_000_000
    static let tickMs: Int64 = 20

    let proxy: HlsPullProxy
    let loop: Int32
    private var host: PluginHost { proxy.host }
    private var mediaURL: String
    private var playlist: M3u8MediaPlaylist?
    private var nextSequence: Int?
    /// The next segment starts a new timeline (playlist discontinuity, skipped or lost segments).
    private var gap = false
    private var fetch: HlsHttpFetch?
    private var reloadDueUs: Int64?
    private var lastChangeUs: Int64 = 0
    private var source: OpaquePointer?
    private var ingest: HlsPullIngest?
    /// fMP4 playlists (EXT-X-MAP): the init section the segments are read with, fetched before them.
    private var initSection: (uri: String, bytes: [UInt8])?
    /// Segments in a row that held nothing we could carry; past `maxEmptySegments` the attempt ends (a
    /// garbage init section is then fetched anew by the next one).
    private var emptySegments = 0
    static let maxEmptySegments = 3
    private var timer: OpaquePointer?
    private lazy var timerUser: UnsafeMutableRawPointer = WeakBox.make(self)
    private var ended = false

    init(proxy: HlsPullProxy, loop: Int32) {
        self.proxy = proxy
        self.loop = loop
        self.mediaURL = proxy.url.string
    }

    /// The first request, over the connection the proxy's link opened.
    func firstFetch(link: ProxyLink) -> HlsHttpFetch {
        timer = host.table.timer_start(host.host, loop, Self.tickMs, Self.tickMs, { user, _ in
            WeakBox<HlsPullSession>.value(user)?.tick()
        }, timerUser)
        let f = makeFetch(proxy.url, limit: M3u8Parser.maxBytes, redirects: 0) { [weak self] in self?.playlistArrived($0, from: $1) }
        f.link = link
        fetch = f
        return f
    }

    // MARK: scheduling

    private func tick() {
        guard !ended else { return }
        let now = host.table.now_us()
        ingest?.drain(nowUs: now)
        if let f = fetch {
            if now - f.startedUs > Self.requestTimeoutUs { end("\(f.url.string) did not answer within \(Self.requestTimeoutUs / 1_000_000) s") }
            return
        }
        guard let playlist else { return }
        if let due = reloadDueUs, now >= due {
            let stale = now - lastChangeUs
            let limit = max(15_000_000, Int64(playlist.targetDuration * 3_000_000))
            if stale > limit { return end("the live playlist has not changed for \(stale / 1_000_000) s") }
            return get(mediaURL, limit: M3u8Parser.maxBytes) { [weak self] in self?.playlistArrived($0, from: $1) }
        }
        if let segment = nextSegment(playlist) {
            if let wanted = segment.initSection, initSection?.uri != wanted {
                return get(wanted, limit: Fmp4SegmentDemuxer.maxInitBytes) { [weak self] r, _ in self?.initArrived(wanted, r) }
            }
            let room = (ingest?.queuedSegments ?? 0) < HlsPullIngest.maxQueuedSegments
                && (ingest?.queuedBytes ?? 0) < HlsPullIngest.maxQueuedBytes
            if room { get(segment.uri, limit: Self.maxSegmentBytes) { [weak self] r, _ in self?.segmentArrived(segment, r) } }
            return
        }
        if playlist.endList, ingest?.isEmpty ?? true {
            end("finished: the playlist ended (EXT-X-ENDLIST)", retry: false)
        }
    }

    private func nextSegment(_ p: M3u8MediaPlaylist) -> M3u8Segment? {
        guard let next = nextSequence else { return nil }
        return p.segments.first { $0.sequence >= next }
    }

    // MARK: requests

    /// `done` gets the response and the URL that gave it (after redirects).
    private func makeFetch(_ url: HttpURL, limit: Int, redirects: Int, _ done: @escaping (HttpResponseMessage, HttpURL) -> Void) -> HlsHttpFetch {
        HlsHttpFetch(host: host, url: url, maxBodyBytes: limit) { [weak self] outcome in
            guard let self, !self.ended else { return }
            self.fetch = nil
            switch outcome {
            case .failure(let why):
                self.end(why)
            case .response(let r) where [301, 302, 303, 307, 308].contains(r.status):
                guard redirects < Self.maxRedirects, let location = r.header("Location"),
                      let target = M3u8URI.resolve(location, against: url.string) else {
                    return self.end("\(url.string) answered \(r.status) without a usable Location (or more than \(Self.maxRedirects) redirects)")
                }
                // Checked certificates mean nothing if a redirect may leave TLS.
                if url.secure, ProxyLink.verifiesTls(self.host), !target.lowercased().hasPrefix("https://") {
                    return self.end("\(url.string) redirects to \(target), off https, while proxy_tls_verify is on", retry: false)
                }
                self.get(target, limit: limit, redirects: redirects + 1, done)
            case .response(let r):
                done(r, url)
            }
        }
    }

    private func get(_ text: String, limit: Int, redirects: Int = 0, _ done: @escaping (HttpResponseMessage, HttpURL) -> Void) {
        guard let url = HttpURL(text) else { return end("'\(text)' is not an http:// URL") }
        let f = makeFetch(url, limit: limit, redirects: redirects, done)
        fetch = f
        if !f.connect(loop: loop) {
            fetch = nil
            end("cannot connect to \(url.authority): \(host.lastError)")
        }
    }

    // MARK: playlists

    /// `url`: where the playlist came from after redirects; its URIs are relative to it, and reloads go there.
    private func playlistArrived(_ r: HttpResponseMessage, from url: HttpURL) {
        guard r.status == 200 else { return end("playlist \(mediaURL) answered \(r.status) \(r.reason)") }
        let requested = mediaURL
        mediaURL = url.string
        let parsed: M3u8Playlist
        do { parsed = try M3u8Parser.parse(r.body, url: mediaURL) } catch { return end("bad playlist \(mediaURL): \(error)") }
        switch parsed {
        case .master(let master):
            guard playlist == nil, requested == proxy.url.string, let best = master.best else {
                return end("\(mediaURL) is a master playlist where a media playlist was expected")
            }
            host.log(MR_LOG_INFO, "\(proxy.label): master playlist: taking the variant of \(best.bandwidth) bit/s"
                     + "\(best.resolution.map { ", \($0.width)x\($0.height)" } ?? "")\(best.codecs.map { ", \($0)" } ?? "") of \(master.variants.count)")
            mediaURL = best.uri
            get(mediaURL, limit: M3u8Parser.maxBytes) { [weak self] in self?.playlistArrived($0, from: $1) }
        case .media(let media):
            if media.encrypted { return end("\(mediaURL) has encrypted segments (EXT-X-KEY): not supported") }
            if media.byteRanges { return end("\(mediaURL) has byte-range segments (EXT-X-BYTERANGE): not supported") }
            apply(media)
        }
    }

    private func apply(_ media: M3u8MediaPlaylist) {
        let now = host.table.now_us()
        let first = media.segments.first?.sequence
        let start = media.endList ? first : media.segments.dropFirst(max(0, media.segments.count - Self.liveStartSegments)).first?.sequence
        if let next = nextSequence, let last = media.lastSequence, last < next - 1 {
            // The sequence went back: the origin restarted its numbering.
            host.log(MR_LOG_WARNING, "\(proxy.label): media sequence went back from \(next) to \(last); starting over from the live edge")
            nextSequence = start
            gap = true
        } else if let next = nextSequence, let first, next < first {
            host.log(MR_LOG_WARNING, "\(proxy.label): segments \(next)-\(first - 1) left the playlist before they were fetched; skipped")
            nextSequence = first
            gap = true
        } else if nextSequence == nil {
            nextSequence = start
        }
        let changed = playlist == nil || media.lastSequence != playlist?.lastSequence || media.endList != playlist?.endList
        if changed { lastChangeUs = now }
        playlist = media
        let target = Int64(max(1, media.targetDuration) * 1_000_000)
        reloadDueUs = media.endList ? nil : now + (changed ? target : target / 2)
    }

    // MARK: segments

    private func initArrived(_ uri: String, _ r: HttpResponseMessage) {
        guard r.status == 200 else { return end("init section \(uri) (EXT-X-MAP) answered \(r.status) \(r.reason)") }
        // A new init section (an encoder restart, a changed rendition) starts a new timeline.
        if initSection != nil { gap = true }
        initSection = (uri, r.body)
    }

    private func segmentArrived(_ segment: M3u8Segment, _ r: HttpResponseMessage) {
        nextSequence = segment.sequence + 1
        if r.status == 404 || r.status == 410 {
            host.log(MR_LOG_WARNING, "\(proxy.label): segment \(segment.sequence) answered \(r.status); skipped")
            gap = true
            return
        }
        guard r.status == 200 else { return end("segment \(segment.uri) answered \(r.status) \(r.reason)") }
        if ingest == nil {
            guard openSource() else { return }
        }
        guard let ingest else { return }
        let skipped = gap || segment.discontinuity
        gap = false
        let frames: Int
        if let map = segment.initSection, let initSection, initSection.uri == map {
            frames = ingest.add(fmp4: r.body, initSection: initSection.bytes, sequence: segment.sequence, durationS: segment.duration,
                                discontinuity: skipped)
        } else {
            frames = ingest.add(ts: r.body, sequence: segment.sequence, durationS: segment.duration, discontinuity: skipped)
        }
        if frames == 0 {
            host.log(MR_LOG_WARNING, "\(proxy.label): segment \(segment.sequence) (\(r.body.count) bytes) held no "
                     + "\(segment.initSection == nil ? "MPEG-TS" : "fMP4") frame we can carry")
            gap = true
            emptySegments += 1
            if emptySegments >= Self.maxEmptySegments { return end("\(emptySegments) segments in a row held nothing to carry") }
        } else {
            emptySegments = 0
            proxy.streaming()
        }
        if ingest.segmentsIn == 1 {
            let kind = playlist?.endList == true ? "VOD" : "live"
            host.log(MR_LOG_INFO, "\(proxy.label): pulling \(ingest.codecs.isEmpty ? "nothing yet" : ingest.codecs) (\(kind), "
                     + "target duration \(Int(playlist?.targetDuration ?? 0)) s) from \(mediaURL)")
        }
    }

    private func openSource() -> Bool {
        let out = host.openSource(vhost: proxy.request.busVhost, app: proxy.app, stream: proxy.stream, protocolName: "hls-pull", peer: proxy.url.string, loop: loop)
        guard let out else {
            end("cannot publish \(proxy.app)/\(proxy.stream): \(host.lastError)")
            return false
        }
        source = out
        ingest = HlsPullIngest(host: host, source: out, label: proxy.label)
        return true
    }

    // MARK: end

    /// Ends the attempt (on the loop; also the proxy's stop, through a task). `retry`: the link tries again
    /// with backoff; otherwise the pull stays ended until the config changes.
    func end(_ why: String, retry: Bool = true) {
        guard !ended else { return }
        ended = true
        if let timer { host.table.timer_cancel(timer) }
        timer = nil
        WeakBox<HlsPullSession>.release(timerUser)
        fetch?.cancel()
        fetch = nil
        if let ingest { host.log(MR_LOG_INFO, "\(proxy.label): ended after \(ingest.summary)") }
        ingest = nil
        if let source { host.table.source_close(source) }
        source = nil
        proxy.ended(self, why, retry: retry)
    }
}
