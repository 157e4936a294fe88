/*
 * MediaRouter plugin ABI — the only contract between the core and a plugin.
 *
 * A plugin is a shared object exporting one symbol:
 *
 *     const mr_plugin_descriptor *mr_plugin_entry_v1(void);
 *
 * The core calls it after dlopen(RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE), possibly more than once (config
 * validation, each start): it must return the same static descriptor every time. Code is never unloaded.
 *
 * VERSIONING
 *   MR_ABI_MAJOR changes only when an existing type or function changes meaning; a plugin is refused unless
 *   its major equals the host's. MR_ABI_MINOR grows when fields or functions are APPENDED to a table; a
 *   plugin is refused if its minor is newer than the host's. Both tables start with their own `size`:
 *   the reader of a table copies `min(size, sizeof)` bytes into a zeroed struct of its own, so a field past
 *   the writer's size reads as 0/NULL. Use MR_HAS_FIELD() before calling a function a newer minor added.
 *   Never reorder or remove fields. The numbers are plain literals on purpose (Swift imports only those).
 *
 * TYPES THAT CROSS
 *   Only C types: fixed-width integers, doubles, `const char *` (UTF-8, NUL-terminated), opaque handles and
 *   function pointers with a `void *user` context. No exceptions, no Swift or NIO types. Functions return
 *   an mr_status (0 = MR_OK, negative = error); mr_host_api.last_error gives a message for the calling thread.
 *
 * THREADS
 *   The core runs N event loops ("loops", index 0..N-1; [server] threads). Every callback tied to a
 *   connection, listener, UDP socket, timer or bus reader runs on the loop that owns that object, never on
 *   two threads at once, and must not block: blocking work goes to mr_host_api.run_on_worker.
 *   Lifecycle callbacks (init, start, reconfigure, stop, destroy) run on the core's control thread, which
 *   is not a loop, one at a time, never concurrently with each other.
 *   Host functions marked [any thread] may be called from any thread; those marked [owner loop] only on the
 *   loop that owns the handle passed in; [control] only from lifecycle callbacks or a worker.
 *   [source loop] is the publisher's own thread for an mr_source (see source_add_track) and the source's
 *   home loop for an mr_ring; [any thread while open] is any thread until the handle is closed. Every
 *   function of mr_host_api carries one of these tags; a function under a section comment with a tag
 *   follows that tag.
 *
 * OWNERSHIP
 *   Strings passed INTO the host are copied by the host before the call returns. Strings returned BY the
 *   host are owned by the host; their lifetime is stated per function. Buffers (mr_buf) are reference
 *   counted: a function that "takes" a reference consumes one of the caller's; one that "borrows" does not.
 *   Everything a plugin creates through the host (listeners, connections, sockets, timers, sources,
 *   readers, routes, subscriptions) is closed by the host when the plugin stops, if the plugin did not.
 */
#ifndef MEDIAROUTER_PLUGIN_H
#define MEDIAROUTER_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MR_ABI_MAJOR 1
#define MR_ABI_MINOR 6
#define MR_ABI_VERSION_STRING "1.6"
#define MR_PLUGIN_ENTRY_SYMBOL "mr_plugin_entry_v1"

/* True when a table written with `size` bytes contains `field`. */
#define MR_HAS_FIELD(table_ptr, type, field) \
    ((table_ptr)->size >= offsetof(type, field) + sizeof(((type *)0)->field))

/* ------------------------------------------------------------------------------------------------ */
/* Status codes                                                                                      */
/* ------------------------------------------------------------------------------------------------ */

typedef int32_t mr_status;
enum {
    MR_OK = 0,
    MR_ERR = -1,            /* unspecified failure; see last_error */
    MR_ERR_INVALID = -2,    /* bad argument */
    MR_ERR_NOT_FOUND = -3,  /* unknown stream, key, route, handle */
    MR_ERR_BUSY = -4,       /* stream already published, port in use */
    MR_ERR_THREAD = -5,     /* called from a thread the function does not allow */
    MR_ERR_CLOSED = -6,     /* handle already closed */
    MR_ERR_NOMEM = -7,
    MR_ERR_IO = -8,         /* socket or file error */
    MR_ERR_DENIED = -9,     /* auth refused */
    MR_ERR_UNSUPPORTED = -10,
    MR_ERR_TYPE = -11,      /* config value has another type */
    MR_RESTART = 1          /* reconfigure only: "stop and start me with the new config" */
};

/* ------------------------------------------------------------------------------------------------ */
/* Opaque handles                                                                                    */
/* ------------------------------------------------------------------------------------------------ */

typedef struct mr_host mr_host;           /* one per loaded plugin instance; identifies the caller */
typedef struct mr_buf mr_buf;             /* reference-counted, immutable once shared */
typedef struct mr_listener mr_listener;   /* TCP listener */
typedef struct mr_conn mr_conn;           /* TCP (or TLS) connection */
typedef struct mr_udp mr_udp;             /* UDP socket */
typedef struct mr_timer mr_timer;
typedef struct mr_source mr_source;       /* a publisher's handle on the bus */
typedef struct mr_ring mr_ring;           /* a derived ring: one protocol's packets of one source */
typedef struct mr_reader mr_reader;       /* a subscription to a source or a derived ring */
typedef struct mr_http_exchange mr_http_exchange; /* one HTTP request/response in flight */
typedef struct mr_auth_ticket mr_auth_ticket;     /* one pending auth question */
typedef struct mr_command_ticket mr_command_ticket; /* one pending command call (ABI 1.2) */

/* ------------------------------------------------------------------------------------------------ */
/* Logging                                                                                           */
/* ------------------------------------------------------------------------------------------------ */

typedef enum mr_log_level {
    MR_LOG_TRACE = 0, MR_LOG_DEBUG = 1, MR_LOG_INFO = 2, MR_LOG_NOTICE = 3,
    MR_LOG_WARNING = 4, MR_LOG_ERROR = 5, MR_LOG_CRITICAL = 6
} mr_log_level;

/* ------------------------------------------------------------------------------------------------ */
/* Media                                                                                             */
/* ------------------------------------------------------------------------------------------------ */

typedef enum mr_codec {
    MR_CODEC_UNKNOWN = 0,
    MR_CODEC_H264 = 1,   /* payload: AVCC access unit, NAL units each preceded by a 4-byte big-endian length */
    MR_CODEC_H265 = 2,   /* payload: as H264 */
    MR_CODEC_AAC = 3,    /* payload: one raw AAC frame (no ADTS header); extradata: AudioSpecificConfig */
    MR_CODEC_PCMA = 4,   /* payload: G.711 A-law samples */
    MR_CODEC_PCMU = 5,   /* payload: G.711 mu-law samples */
    MR_CODEC_OPUS = 6,   /* payload: one Opus packet; extradata: OpusHead (optional) */
    MR_CODEC_AV1 = 7,    /* forwarded: one temporal unit, OBU stream; extradata: av1C */
    MR_CODEC_VP9 = 8,    /* forwarded: one frame; extradata: vpcC */
    MR_CODEC_MP3 = 9,    /* forwarded: one MPEG audio frame */
    MR_CODEC_VP8 = 10,   /* forwarded: one frame (RFC 6386), no extradata; appended in 1.4 */
    MR_CODEC_DATA = 100  /* opaque data track (e.g. a derived ring's packets) */
} mr_codec;

typedef enum mr_track_kind { MR_TRACK_VIDEO = 0, MR_TRACK_AUDIO = 1, MR_TRACK_DATA = 2 } mr_track_kind;

/* Describes one track. extradata is the codec configuration: AVCDecoderConfigurationRecord (H.264),
 * HEVCDecoderConfigurationRecord (H.265), AudioSpecificConfig (AAC), OpusHead (Opus). */
typedef struct mr_track_info {
    uint32_t size;                /* sizeof(mr_track_info) as the writer knows it */
    int32_t codec;                /* mr_codec */
    int32_t kind;                 /* mr_track_kind */
    uint32_t clock_rate;          /* native clock: 90000 for video, the sample rate for audio */
    uint32_t channels;            /* audio */
    uint32_t width, height;       /* video, 0 if unknown */
    double fps;                   /* video, 0 if unknown */
    uint32_t bitrate;             /* bits per second, 0 if unknown */
    const uint8_t *extradata;     /* borrowed during the call; may be NULL */
    size_t extradata_len;
} mr_track_info;

enum {
    MR_FRAME_KEY = 1u << 0,        /* video: IDR/IRAP access unit (audio frames never carry it) */
    MR_FRAME_CONFIG = 1u << 1,     /* payload carries updated codec parameters in-band */
    MR_FRAME_HEADER = 1u << 2,     /* derived rings: the ring's header, delivered first to each reader */
    MR_FRAME_DISCONTINUITY = 1u << 3 /* first frame after a reader skipped frames, or the first frame of a
                                        returning or replacing publisher */
};

/* One codec-level frame (an access unit), or one packet of a derived ring.
 * Timestamps are in MICROSECONDS on the source's clock, which starts near 0 at the first publish.
 *
 * mr_frame is FROZEN: it has no size field and travels in arrays, so no field can ever be appended.
 * Decision for ABI 1.3 (RTCP sender reports, lip sync, simulcast, SEI), nothing per frame is needed:
 *   - Lip sync: all tracks of a source share one clock, so pts already line tracks up. The wall-clock
 *     (capture/NTP) time a publisher knows, e.g. from the RTCP sender reports of an RTSP or WebRTC push,
 *     is a per-track reference (NTP <-> pts), not per-frame data: the publisher sets it with
 *     source_set_clock_ref when it learns or refreshes it, and a player reads it with reader_clock_ref to
 *     fill its own sender reports (ntp(pts) = ref.ntp + (pts - ref.pts)). With no reference, a player
 *     maps its own wall clock to the first pts it sends, the same mapping for every track.
 *   - Simulcast: each layer is its own source (e.g. stream "cam" and "cam~h", "cam~l"); layer switching is
 *     a reader moving between sources at a keyframe.
 *   - SEI and other per-frame metadata stay in-band in the payload (SEI NAL units of the access unit).
 * Should per-frame data ever be needed, it comes as a NEW size-prefixed frame type with its own writer and
 * reader functions; mr_frame itself never changes. */
typedef struct mr_frame {
    uint32_t track;      /* track index (0-based) of the source; 0 in derived rings unless the plugin says */
    uint32_t flags;      /* MR_FRAME_* */
    int64_t pts;
    int64_t dts;
    mr_buf *payload;     /* borrowed by the receiver for the duration of the callback; retain to keep */
} mr_frame;

/* A track's wall-clock reference (ABI 1.3): the frame with source-clock time `pts` (microseconds, as
 * mr_frame.pts) was captured at NTP time `ntp` (RFC 3550 format: seconds since 1900 in the high 32 bits,
 * fraction in the low 32). See source_set_clock_ref / reader_clock_ref. */
typedef struct mr_clock_ref {
    uint32_t size;               /* sizeof(mr_clock_ref) as the writer knows it */
    int64_t pts;
    uint64_t ntp;
    int64_t updated_us;          /* reader_clock_ref: now_us() when the publisher set it; ignored on write */
} mr_clock_ref;

/* ------------------------------------------------------------------------------------------------ */
/* Connections                                                                                       */
/* ------------------------------------------------------------------------------------------------ */

typedef enum mr_close_reason {
    MR_CLOSE_LOCAL = 0,     /* the plugin called conn_close */
    MR_CLOSE_PEER = 1,      /* orderly close by the peer (EOF) */
    MR_CLOSE_ERROR = 2,     /* socket or TLS error; message says which */
    MR_CLOSE_TIMEOUT = 3,
    MR_CLOSE_SHUTDOWN = 4,  /* the plugin or the server is stopping */
    MR_CLOSE_CONNECT_FAILED = 5
} mr_close_reason;

/* Callbacks of a TCP connection. All run on the connection's loop. `user` is the listener's or the
 * connect call's user pointer until conn_set_user replaces it for that connection. */
typedef struct mr_conn_callbacks {
    uint32_t size;
    /* A connection was accepted or connected. Required. */
    void (*on_open)(void *user, mr_conn *conn);
    /* Bytes arrived; `data` is borrowed for the call only. Required. */
    void (*on_data)(void *user, mr_conn *conn, const uint8_t *data, size_t len);
    /* The outbound queue crossed its high (writable=0) or low (writable=1) watermark. Optional. */
    void (*on_writable)(void *user, mr_conn *conn, int writable);
    /* Last callback for this connection; the handle is invalid after it returns. Required.
     * Never delivered from inside a host call (it always comes from the loop afterwards). `message` is
     * never NULL. For a failed tcp_connect, on_close comes without on_open, with MR_CLOSE_CONNECT_FAILED
     * and conn == NULL. */
    void (*on_close)(void *user, mr_conn *conn, int32_t reason, const char *message);
} mr_conn_callbacks;

/* One piece of a gathered send (ABI 1.1): `len` bytes of `buf` from `offset`, shared without copying; or,
 * when `buf` is NULL, `len` bytes at `bytes`, copied by the host before the call returns. Lets a player
 * send a shared packet with a few bytes of its own (a rewritten timestamp) in place. */
typedef struct mr_iovec {
    mr_buf *buf;
    size_t offset;
    size_t len;
    const void *bytes;
} mr_iovec;

typedef struct mr_listen_options {
    uint32_t size;
    const char *bind_address;    /* "0.0.0.0" if NULL */
    uint16_t port;               /* 0 = pick a free port; listener_port() tells which */
    int32_t backlog;             /* 0 = default (1024 since 1.5; 256 before) */
    const char *tls_cert_path;   /* PEM; TLS when both cert and key are set */
    const char *tls_key_path;
    /* ABI 1.3: 1 = SO_REUSEPORT, so this port may also be the local port of tcp_connect calls with
     * local_port (GB28181 "TCP active" dials devices from the RTP port it listens on), or be shared by
     * several listeners (the kernel spreads new connections over them). */
    int32_t reuse_port;
} mr_listen_options;

typedef struct mr_connect_options {
    uint32_t size;
    const char *host;            /* name or address */
    uint16_t port;
    int32_t timeout_ms;          /* 0 = 10000 */
    int32_t tls;                 /* 1 = TLS client */
    const char *tls_server_name; /* SNI; host if NULL */
    int32_t tls_verify;          /* 1 = verify the peer certificate */
    int32_t loop;                /* loop to own the connection; -1 = the calling loop, or round-robin */
    /* ABI 1.3: the local end to connect from. With local_port != 0 the socket sets SO_REUSEADDR and
     * SO_REUSEPORT before binding, so it may share the port with a reuse_port listener of the same process
     * user, or with a connection to another peer; the 4-tuple must still be unique (else on_close with
     * MR_CLOSE_CONNECT_FAILED). local_address NULL = the wildcard of the peer's family ("::" when host is
     * an IPv6 literal, else "0.0.0.0": give an address to connect to a name that resolves to IPv6). */
    const char *local_address;
    uint16_t local_port;
} mr_connect_options;

typedef struct mr_udp_callbacks {
    uint32_t size;
    /* One datagram; `data` and `from` are borrowed for the call only. Required. */
    void (*on_datagram)(void *user, mr_udp *sock, const uint8_t *data, size_t len,
                        const struct sockaddr *from, socklen_t from_len);
    /* The socket closed; last callback. Optional. */
    void (*on_close)(void *user, mr_udp *sock, int32_t reason, const char *message);
} mr_udp_callbacks;

typedef struct mr_udp_options {
    uint32_t size;
    const char *bind_address;    /* "0.0.0.0" if NULL */
    uint16_t port;               /* 0 = any free port */
    int32_t loop;                /* -1 = round-robin */
    int32_t recv_buffer;         /* SO_RCVBUF bytes, 0 = system default */
    const char *multicast_group; /* join this group when set */
    /* ABI 1.5: 1 = SO_REUSEPORT, so several sockets of the process may bind the same port (GB28181's
     * openRtpServer re_use_port). The kernel then spreads datagrams from different peers over them. A host
     * older than 1.5 reads only the fields its size covers and binds without it. */
    int32_t reuse_port;
    /* ABI 1.6: 0 = every datagram is read when it arrives (one loop wakeup each while the loop is idle).
     * N > 0 (at most 100): while the socket carries a trickle, the loop reads it every N ms together with its
     * other such sockets (recvmmsg), and stops listening for readiness in between, so a camera's datagrams cost
     * one wakeup per N ms rather than one each. Adds up to N ms of latency to what the socket receives; the
     * socket goes back to reading on arrival when it has been quiet for 500 ms or a read finds more waiting
     * than one batch takes (high rates are read on readiness). Size `recv_buffer` for N ms of the peak rate.
     * A host older than 1.6 reads only the fields its size covers: every datagram is read on arrival. */
    int32_t read_interval_ms;
} mr_udp_options;

/* One datagram of udp_send_batch (ABI 1.3): the gathered pieces (see mr_iovec) sent to `to`. Everything
 * is borrowed for the call only. Travels in arrays and has no size field: its layout is frozen. */
typedef struct mr_udp_datagram {
    const struct sockaddr *to;   /* sockaddr_in or sockaddr_in6 */
    socklen_t to_len;
    const mr_iovec *vec;
    size_t vec_count;            /* at most 64 pieces */
} mr_udp_datagram;

enum {
    MR_UDP_SEND_NO_GSO = 1u << 0 /* udp_send_batch: never merge datagrams into one UDP_SEGMENT send */
};

/* ------------------------------------------------------------------------------------------------ */
/* Stream bus                                                                                        */
/* ------------------------------------------------------------------------------------------------ */

typedef struct mr_stream_key {
    const char *vhost;   /* "__defaultVhost__" if NULL or empty */
    const char *app;
    const char *stream;
} mr_stream_key;

typedef struct mr_source_options {
    uint32_t size;
    const char *protocol;     /* "rtmp", "rtsp", ... shown in lists and events */
    const char *peer;         /* remote address, for lists; may be NULL */
    int32_t takeover;         /* 1 = replace a current publisher instead of failing with MR_ERR_BUSY */
    int32_t loop;             /* the source's home loop; -1 = the calling loop, or round-robin off-loop */
} mr_source_options;

typedef enum mr_reader_event {
    MR_READER_STARTED = 0,    /* attached; tracks are known (reader_track_count/reader_track_info) */
    MR_READER_NOT_FOUND = 1,  /* no source appeared within the play wait; MR_READER_CLOSED follows */
    MR_READER_ENDED = 2,      /* the source ended (and did not come back within the reconnect window);
                                 MR_READER_CLOSED follows */
    MR_READER_TRACKS_CHANGED = 3, /* codec parameters changed */
    MR_READER_SKIPPED = 4,    /* the reader lagged past its bound and jumped to the newest keyframe */
    MR_READER_CLOSED = 5      /* last callback when the HOST closed the reader (after NOT_FOUND, ENDED or
                                 plugin stop); the handle is invalid after it returns */
} mr_reader_event;

typedef struct mr_reader_callbacks {
    uint32_t size;
    /* Frames in order. `frames` and the payload references are borrowed for the call only. Required. */
    void (*on_frames)(void *user, mr_reader *reader, const mr_frame *frames, size_t count);
    /* Lifecycle events (mr_reader_event); `detail` is a count for SKIPPED, else 0. Required. */
    void (*on_event)(void *user, mr_reader *reader, int32_t event, int64_t detail);
} mr_reader_callbacks;

typedef struct mr_reader_options {
    uint32_t size;
    const char *protocol;     /* "rtmp", "http-flv", ... for lists and events */
    const char *peer;
    int32_t loop;             /* the loop that receives the callbacks; -1 = calling loop */
    int32_t wait_ms;          /* play-before-publish wait; -1 = [server] play_wait_ms, 0 = do not wait */
    int32_t max_lag;          /* frames queued before skipping to a keyframe; 0 = [server] reader_max_lag */
} mr_reader_options;

/* A derived ring is created the first time a protocol asks for it on a source and lives while it has
 * readers (on-demand muxing). Its muxer is a reader of the source that writes packets into the ring with
 * ring_write; the core runs it on the source's loop. */
typedef struct mr_muxer_callbacks {
    uint32_t size;
    /* Create the muxer state for a new ring; tracks are readable via ring_track_*. Return NULL to refuse. */
    void *(*create)(void *user, mr_ring *ring);
    /* Source frames, to be muxed into ring_write calls. Required. */
    void (*on_frames)(void *state, mr_ring *ring, const mr_frame *frames, size_t count);
    /* Tracks changed (new parameters); rebuild the ring header if the format has one. Optional. */
    void (*on_tracks)(void *state, mr_ring *ring);
    /* The ring is gone; free `state`. Required. */
    void (*destroy)(void *state);
} mr_muxer_callbacks;

/* ------------------------------------------------------------------------------------------------ */
/* Events and auth                                                                                   */
/* ------------------------------------------------------------------------------------------------ */

typedef enum mr_event_type {
    MR_EVENT_PUBLISH = 0,          /* a source became ready */
    MR_EVENT_UNPUBLISH = 1,        /* a source left the bus */
    MR_EVENT_PLAY = 2,             /* a reader attached */
    MR_EVENT_STOP = 3,             /* a reader left */
    MR_EVENT_NONE_READER = 4,      /* a source had no readers for [server] none_reader_ms */
    MR_EVENT_NOT_FOUND = 5,        /* a reader asked for a stream that is not on the bus */
    MR_EVENT_RECORD_DONE = 6,
    MR_EVENT_PLUGIN_STATE = 7      /* a plugin was started, stopped or refused (detail says which) */
} mr_event_type;

typedef struct mr_event {
    uint32_t size;
    int32_t type;          /* mr_event_type */
    mr_stream_key key;     /* empty strings when not about a stream */
    const char *protocol;
    const char *peer;
    const char *detail;    /* free text, e.g. a file path or plugin state */
    int64_t readers;       /* current readers of the source */
    /* ABI 1.2 (check event->size): for MR_EVENT_STOP, the payload bytes the reader was given and how long it
     * was attached; 0 for other events. */
    int64_t bytes;
    int64_t duration_ms;
} mr_event;

typedef enum mr_auth_action { MR_AUTH_PUBLISH = 0, MR_AUTH_PLAY = 1 } mr_auth_action;

typedef struct mr_auth_request {
    uint32_t size;
    int32_t action;        /* mr_auth_action */
    mr_stream_key key;
    const char *protocol;
    const char *peer;
    const char *query;     /* the URL query string as the client sent it, without '?' */
    const char *user;      /* credentials when the protocol carries them, else NULL */
    const char *password;
} mr_auth_request;

/* Answer to an auth question. `reason` is borrowed for the call only. */
typedef void (*mr_auth_result_fn)(void *user, int allowed, const char *reason);

/* An auth handler decides asynchronously: it keeps `ticket` and calls auth_answer exactly once. */
typedef void (*mr_auth_handler_fn)(void *user, const mr_auth_request *request, mr_auth_ticket *ticket);

/* ------------------------------------------------------------------------------------------------ */
/* Commands (ABI 1.2)                                                                                */
/* ------------------------------------------------------------------------------------------------ */

/* A plugin offers named commands ("mp4.record.start", "mp4.vod.seek") that other plugins and the management
 * API call by name, without linking to each other. Arguments and replies are JSON object texts. */

/* Handler of a command: called on the calling thread with borrowed strings (copy what you keep). Answer
 * later, from any thread, exactly once, with command_answer. */
typedef void (*mr_command_fn)(void *user, const char *name, const char *args_json, mr_command_ticket *ticket);
/* Result of command_call: `reply_json` is borrowed for the call only (a JSON object; on failure it holds
 * at least {"error": "..."}). */
typedef void (*mr_command_done_fn)(void *user, mr_status status, const char *reply_json);

/* ------------------------------------------------------------------------------------------------ */
/* HTTP route mechanism                                                                              */
/* ------------------------------------------------------------------------------------------------ */

typedef struct mr_http_header { const char *name; const char *value; } mr_http_header;

/* A request as the HTTP-serving plugin parsed it. Everything is borrowed for the handler call only. */
typedef struct mr_http_request {
    uint32_t size;
    const char *method;          /* "GET", "POST", ... */
    const char *path;            /* decoded path without query, e.g. "/live/cam.live.flv" */
    const char *query;           /* raw query without '?', "" if none */
    const mr_http_header *headers;
    size_t header_count;
    const uint8_t *body;
    size_t body_len;
    const char *peer;
    int32_t is_websocket;        /* 1 when this is a WebSocket upgrade the server accepted */
    int32_t loop;                /* the loop of the HTTP connection; the handler runs there */
} mr_http_request;

/* A route handler: answer now or later through http_respond / http_begin+http_write+http_end, exactly
 * once, on the exchange's loop. Return MR_OK if it took the exchange, MR_ERR_NOT_FOUND to let the server
 * answer 404. */
typedef mr_status (*mr_http_handler_fn)(void *user, const mr_http_request *request, mr_http_exchange *ex);

/* The HTTP-serving plugin (httpmux) registers these so the host can forward a handler's answer. */
typedef struct mr_http_server_ops {
    uint32_t size;
    void *user;
    mr_status (*respond)(void *user, mr_http_exchange *ex, int32_t status, const mr_http_header *headers,
                         size_t header_count, mr_buf *body /* borrowed, may be NULL */);
    mr_status (*begin)(void *user, mr_http_exchange *ex, int32_t status, const mr_http_header *headers,
                       size_t header_count);
    mr_status (*write)(void *user, mr_http_exchange *ex, mr_buf *const *bufs, size_t count);
    mr_status (*end)(void *user, mr_http_exchange *ex);
} mr_http_server_ops;

/* ------------------------------------------------------------------------------------------------ */
/* Callback types                                                                                    */
/* ------------------------------------------------------------------------------------------------ */

typedef void (*mr_task_fn)(void *user);
typedef void (*mr_timer_fn)(void *user, mr_timer *timer);
typedef void (*mr_event_fn)(void *user, const mr_event *event);
typedef void (*mr_free_fn)(void *user, void *data);

/* ------------------------------------------------------------------------------------------------ */
/* The host table                                                                                    */
/* ------------------------------------------------------------------------------------------------ */

typedef struct mr_host_api {
    uint32_t size;             /* sizeof(mr_host_api) of the host that filled it */
    uint16_t abi_major;
    uint16_t abi_minor;
    const char *server_version;/* e.g. "0.1.0" */

    /* --- errors and logging ------------------------------------------------------------------- */

    /* [any thread] Message of the last failed host call on this thread; valid until the next call. */
    const char *(*last_error)(void);
    /* [any thread] Log one line through the core's logger, labelled with the plugin name. */
    void (*log)(mr_host *host, int32_t level, const char *message);

    /* --- configuration: the plugin's own table in plugins.conf --------------------------------
     * Keys are names in the plugin's table; dotted keys reach sub-tables ("tls.cert"). A missing key
     * gives `def`; a key of another type gives `def` and sets last_error's message, except that
     * config_string gives integers, booleans and floats as their text. Returned strings
     * are owned by the host and stay valid until the plugin's next reconfigure call has returned.
     * [any thread]: the values are a snapshot, replaced only just before reconfigure. last_error is not
     * cleared by a success: use config_has when "missing" and "default" must be told apart. */
    const char *(*config_string)(mr_host *host, const char *key, const char *def);
    int64_t (*config_int)(mr_host *host, const char *key, int64_t def);
    int (*config_bool)(mr_host *host, const char *key, int def);
    double (*config_double)(mr_host *host, const char *key, double def);
    /* Number of items of an array value (0 when missing); items are read as strings. */
    size_t (*config_list_count)(mr_host *host, const char *key);
    const char *(*config_list_item)(mr_host *host, const char *key, size_t index);
    /* 1 if the key is present. */
    int (*config_has)(mr_host *host, const char *key);

    /* --- buffers: reference counted, [any thread] -------------------------------------------
     * A new buffer has one reference, owned by the caller. Its bytes are writable through buf_mutable
     * until it is shared (sent, written to the bus); after that, treat it as immutable. */
    mr_buf *(*buf_alloc)(size_t len);
    /* Copies `len` bytes into a new buffer. */
    mr_buf *(*buf_copy)(const void *data, size_t len);
    /* Wraps foreign memory without copying; `free_fn(free_user, data)` runs (on any thread) when the
     * last reference goes. */
    mr_buf *(*buf_wrap)(void *data, size_t len, mr_free_fn free_fn, void *free_user);
    void (*buf_retain)(mr_buf *buf);
    void (*buf_release)(mr_buf *buf);
    const uint8_t *(*buf_data)(const mr_buf *buf);
    uint8_t *(*buf_mutable)(mr_buf *buf);
    size_t (*buf_len)(const mr_buf *buf);
    /* A new buffer (one reference) viewing bytes [offset, offset+len) of `buf`, sharing its storage.
     * NULL if out of range. */
    mr_buf *(*buf_slice)(mr_buf *buf, size_t offset, size_t len);

    /* --- loops, tasks, timers ------------------------------------------------------------------ */

    /* [any thread] Number of loops. */
    int32_t (*loop_count)(mr_host *host);
    /* [any thread] Index of the calling loop, -1 if the caller is not a loop thread. */
    int32_t (*loop_current)(mr_host *host);
    /* [any thread] Run `fn(user)` on loop `loop` (-1 = next round-robin). Never runs inline. */
    mr_status (*run_on_loop)(mr_host *host, int32_t loop, mr_task_fn fn, void *user);
    /* [any thread] Run `fn(user)` on a worker thread where blocking is allowed; then, if `done` is not
     * NULL, `done(user)` on loop `done_loop`. Jobs accepted before the plugin stops still run, and are
     * waited for before destroy (up to 30 s; past that the host logs an error and destroys anyway); their
     * `done` is skipped once the plugin has stopped. */
    mr_status (*run_on_worker)(mr_host *host, mr_task_fn fn, mr_task_fn done, int32_t done_loop, void *user);
    /* [any thread] Fire `fn` after delay_ms on `loop` (-1 = calling loop, or loop 0), then every repeat_ms
     * if repeat_ms > 0. Returns NULL on error. */
    mr_timer *(*timer_start)(mr_host *host, int32_t loop, int64_t delay_ms, int64_t repeat_ms,
                             mr_timer_fn fn, void *user);
    /* [owner loop] Stop a timer; its callback does not run after this returns. The handle is freed.
     * A one-shot timer (repeat_ms <= 0) frees itself after its callback returns: do not cancel it then. */
    void (*timer_cancel)(mr_timer *timer);
    /* [any thread] Monotonic clock in microseconds. */
    int64_t (*now_us)(void);

    /* --- TCP ------------------------------------------------------------------------------------ */

    /* [control] Bind a listener (blocks until bound; refused on a loop thread with MR_ERR_THREAD).
     * Accepted connections are spread round-robin over the loops. `options` and `cbs` are copied;
     * `user` is passed to every callback until conn_set_user replaces it. */
    mr_status (*tcp_listen)(mr_host *host, const mr_listen_options *options, const mr_conn_callbacks *cbs,
                            void *user, mr_listener **out);
    /* [any thread] The bound port. */
    uint16_t (*listener_port)(mr_listener *listener);
    /* [control] Stop accepting; open connections stay. The handle is freed. */
    void (*listener_close)(mr_listener *listener);
    /* [any thread] Connect asynchronously; on_open or on_close(MR_CLOSE_CONNECT_FAILED) follows. */
    mr_status (*tcp_connect)(mr_host *host, const mr_connect_options *options, const mr_conn_callbacks *cbs,
                             void *user);
    /* [owner loop] Per-connection user pointer for later callbacks. */
    void (*conn_set_user)(mr_conn *conn, void *user);
    /* [owner loop] Gathering send: queues `count` buffers (borrowed; the host retains what it keeps).
     * Flushes at once unless corked. */
    mr_status (*conn_send)(mr_conn *conn, mr_buf *const *bufs, size_t count);
    /* [owner loop] Copying send of plain bytes. */
    mr_status (*conn_send_bytes)(mr_conn *conn, const void *data, size_t len);
    /* [owner loop] cork=1 queues sends without flushing; cork=0 flushes everything in one write. */
    void (*conn_cork)(mr_conn *conn, int cork);
    /* [owner loop] TCP_NODELAY on (1) or off (0). */
    void (*conn_set_nodelay)(mr_conn *conn, int on);
    /* [owner loop] 1 if the outbound queue is below its high watermark. */
    int (*conn_writable)(mr_conn *conn);
    /* [owner loop] Bytes queued but not yet written to the socket. */
    size_t (*conn_pending_bytes)(mr_conn *conn);
    /* [owner loop] Stop (0) or resume (1) reading from the socket. */
    void (*conn_set_reading)(mr_conn *conn, int on);
    /* [any thread] Close after queued data is written (abort=0) or at once (abort=1); on_close follows on
     * the owner loop. Safe from `stop`; a second call is ignored. */
    void (*conn_close)(mr_conn *conn, int abort);
    /* [any thread while open] Owning loop index. */
    int32_t (*conn_loop)(mr_conn *conn);
    /* [owner loop] "ip:port" of the peer / the local end; valid until on_close returns. */
    const char *(*conn_peer)(mr_conn *conn);
    const char *(*conn_local)(mr_conn *conn);
    /* [any thread while open] A process-unique id for lists and kick APIs. */
    uint64_t (*conn_id)(mr_conn *conn);

    /* --- UDP ------------------------------------------------------------------------------------ */

    /* [control] Bind a UDP socket (blocks until bound). */
    mr_status (*udp_bind)(mr_host *host, const mr_udp_options *options, const mr_udp_callbacks *cbs,
                          void *user, mr_udp **out);
    /* [owner loop] Send one datagram of `count` gathered buffers (borrowed); queued without a syscall while
     * the socket is corked (ABI 1.3, udp_cork). MR_ERR_BUSY (datagram dropped) when the socket's queue of
     * unsent datagrams is past 4 MiB. */
    mr_status (*udp_send)(mr_udp *sock, const struct sockaddr *to, socklen_t to_len,
                          mr_buf *const *bufs, size_t count);
    /* [any thread while open] The bound port; the owning loop index. */
    uint16_t (*udp_port)(mr_udp *sock);
    int32_t (*udp_loop)(mr_udp *sock);
    /* [owner loop] Close; on_close follows. */
    void (*udp_close)(mr_udp *sock);

    /* --- stream bus: publishing ------------------------------------------------------------------ */

    /* [any thread] Claim `key` for publishing. MR_ERR_BUSY if it is published (unless takeover).
     * A publisher that returns within [server] reconnect_window_ms continues the same source: its
     * readers see no break and timestamps stay monotonic. */
    mr_status (*source_open)(mr_host *host, const mr_stream_key *key, const mr_source_options *options,
                             mr_source **out);
    /* [source loop] Calls on one source handle must not run concurrently; make them from the publisher's
     * own thread (its loop, or the control thread during start): that is what [source loop] means for
     * every source_* function below. Frames are processed on the source's loop.
     * Add a track before source_ready; returns the track index or a negative status. */
    int32_t (*source_add_track)(mr_source *source, const mr_track_info *info);
    /* [source loop] New parameters for a track (e.g. SPS/PPS learned in-band). */
    mr_status (*source_update_track)(mr_source *source, uint32_t track, const mr_track_info *info);
    /* [source loop] All tracks are declared: waiting players attach, the PUBLISH event fires. */
    mr_status (*source_ready)(mr_source *source);
    /* [source loop] Append frames (payloads borrowed; the bus retains them). Frames before source_ready
     * are refused with MR_ERR_INVALID. */
    mr_status (*source_write)(mr_source *source, const mr_frame *frames, size_t count);
    /* [source loop] Unpublish. The source stays for the reconnect window, then leaves the bus.
     * The handle is freed. */
    void (*source_close)(mr_source *source);
    /* [any thread] Readers currently attached to the source and all its derived rings. */
    int64_t (*source_reader_count)(mr_source *source);

    /* --- stream bus: reading --------------------------------------------------------------------- */

    /* [any thread] Subscribe to a source's frames. Callbacks run on options->loop. If the stream is not
     * published yet the reader waits up to wait_ms (then MR_READER_NOT_FOUND). */
    mr_status (*reader_open)(mr_host *host, const mr_stream_key *key, const mr_reader_options *options,
                             const mr_reader_callbacks *cbs, void *user, mr_reader **out);
    /* [any thread] Subscribe to the derived ring named `format` (e.g. "flv") of a source, creating it
     * with `muxer` if it does not exist yet. The same play wait applies. Well-known formats are shared
     * contracts, the same bytes whoever creates them: "flv", "ts", "fmp4", their WebSocket framings
     * "ws-flv", "ws-ts", "ws-fmp4", and "rtmp", "rtsp" (the rtmp and rtsp plugins' packets). Any other
     * format starts with the plugin's table name and a dot ("myplugin.raw"), otherwise MR_ERR_INVALID. */
    mr_status (*reader_open_derived)(mr_host *host, const mr_stream_key *key, const char *format,
                                     const mr_muxer_callbacks *muxer, void *muxer_user,
                                     const mr_reader_options *options, const mr_reader_callbacks *cbs,
                                     void *user, mr_reader **out);
    /* [owner loop] Pause (1) or resume (0) delivery, e.g. while the socket is not writable. While paused
     * the reader keeps its place; past max_lag it skips to the newest keyframe on resume. */
    void (*reader_set_paused)(mr_reader *reader, int paused);
    /* [owner loop] Unsubscribe. No callback follows; the handle is invalid when this returns. */
    void (*reader_close)(mr_reader *reader);
    /* [owner loop] Tracks of the reader's source (valid after MR_READER_STARTED). Set out->size to
     * sizeof(mr_track_info) before the call. The returned extradata is owned by the host and valid until
     * the next callback of this reader. */
    uint32_t (*reader_track_count)(mr_reader *reader);
    mr_status (*reader_track_info)(mr_reader *reader, uint32_t track, mr_track_info *out);
    /* [owner loop] Frames this reader skipped so far. */
    int64_t (*reader_skipped)(mr_reader *reader);

    /* --- derived rings (called by a muxer, on the source's loop) ---------------------------------- */
    /* [source loop] Tracks of the ring's source, as reader_track_count / reader_track_info. */
    uint32_t (*ring_track_count)(mr_ring *ring);
    mr_status (*ring_track_info)(mr_ring *ring, uint32_t track, mr_track_info *out);
    /* [source loop] Packets (payloads borrowed). MR_FRAME_KEY marks where a new reader may start. */
    mr_status (*ring_write)(mr_ring *ring, const mr_frame *packets, size_t count);
    /* [source loop] The header every new reader gets first (borrowed; NULL clears). */
    mr_status (*ring_set_header)(mr_ring *ring, mr_buf *header);

    /* --- events and auth -------------------------------------------------------------------------- */

    /* [any thread] Receive events whose type bit (1 << mr_event_type) is in `mask`, on loop 0.
     * Returns an id for event_unsubscribe, or a negative status. */
    int64_t (*event_subscribe)(mr_host *host, uint64_t mask, mr_event_fn fn, void *user);
    /* [any thread] Stop a subscription; its function may still run once if an event is being delivered. */
    void (*event_unsubscribe)(mr_host *host, int64_t id);
    /* [any thread] Emit an event (e.g. RECORD_DONE) to all subscribers. */
    mr_status (*event_emit)(mr_host *host, const mr_event *event);
    /* [any thread] Ask whether a publish or play is allowed. `done` runs once, on loop `loop`
     * (-1 = calling loop), after the registered handler answers, or after [server] auth_timeout_ms
     * with [server] auth_default. With no handler registered the answer is "allowed" at once. */
    mr_status (*auth_ask)(mr_host *host, const mr_auth_request *request, int32_t loop,
                          mr_auth_result_fn done, void *user);
    /* [control] Become the auth handler (one at a time; the last registration wins). The handler is
     * called on the asking thread with a borrowed request: copy what it keeps, answer later with the
     * ticket, from any thread. */
    mr_status (*auth_set_handler)(mr_host *host, mr_auth_handler_fn handler, void *user);
    /* [any thread] Answer a ticket exactly once; the ticket is freed. */
    void (*auth_answer)(mr_auth_ticket *ticket, int allowed, const char *reason);

    /* --- stats -------------------------------------------------------------------------------------- */

    /* [any thread] Add `delta` to the plugin's counter `name` (created on first use). */
    void (*stat_add)(mr_host *host, const char *name, int64_t delta);
    /* [any thread] Set a gauge. */
    void (*stat_set)(mr_host *host, const char *name, int64_t value);

    /* --- HTTP route mechanism ----------------------------------------------------------------------- */

    /* [control] Route requests whose path starts with `prefix` (longest prefix wins; `method` NULL =
     * any but OPTIONS: the HTTP server answers CORS preflights itself unless a route registered OPTIONS)
     * to `handler`. Routes of a plugin vanish when it stops. */
    mr_status (*http_route_add)(mr_host *host, const char *method, const char *prefix,
                                mr_http_handler_fn handler, void *user);
    /* [control] Become the HTTP server that dispatches routes (httpmux). `ops` is copied. */
    mr_status (*http_server_register)(mr_host *host, const mr_http_server_ops *ops);
    /* [owner loop, server only] Create an exchange for a parsed request, to hand to http_dispatch.
     * `server_ctx` is the server's own per-request pointer, passed back in ops calls via
     * http_exchange_context. */
    mr_http_exchange *(*http_exchange_new)(mr_host *host, void *server_ctx);
    /* [owner loop, server only] The server_ctx given to http_exchange_new. */
    void *(*http_exchange_context)(mr_http_exchange *ex);
    /* [owner loop, server only] Dispatch to the longest matching route; MR_ERR_NOT_FOUND if none took
     * it (the server answers 404 and frees the exchange with http_exchange_free). */
    mr_status (*http_dispatch)(mr_host *host, const mr_http_request *request, mr_http_exchange *ex);
    /* [owner loop, server only] The exchange is done (answered or the client left). */
    void (*http_exchange_free)(mr_http_exchange *ex);
    /* [owner loop, handlers] Answer through the registered server (http_respond, or http_begin, then
     * http_write any number of times, then http_end). */
    mr_status (*http_respond)(mr_http_exchange *ex, int32_t status, const mr_http_header *headers,
                              size_t header_count, mr_buf *body);
    mr_status (*http_begin)(mr_http_exchange *ex, int32_t status, const mr_http_header *headers,
                            size_t header_count);
    mr_status (*http_write)(mr_http_exchange *ex, mr_buf *const *bufs, size_t count);
    mr_status (*http_end)(mr_http_exchange *ex);
    /* [owner loop, handlers] `fn(user)` runs once when the exchange ends (answered, or the client went
     * away); after it the exchange handle is invalid. A streaming handler stops writing there. */
    void (*http_on_close)(mr_http_exchange *ex, mr_task_fn fn, void *user);

    /* --- introspection (debug shells, APIs) --------------------------------------------------------
     * [any thread] Each writes a UTF-8 JSON document into a new buffer (one reference, the caller
     * releases it); NULL only if memory ran out. An unknown stream gives {"error": "..."}. */
    mr_buf *(*describe_plugins)(mr_host *host);
    mr_buf *(*describe_streams)(mr_host *host);
    mr_buf *(*describe_readers)(mr_host *host, const mr_stream_key *key);

    /* --- control ------------------------------------------------------------------------------------ */

    /* [any thread] Re-read plugins.conf and apply it (the same path as SIGHUP). Asynchronous. */
    mr_status (*request_reload)(mr_host *host);

    /* --- ABI 1.1 ------------------------------------------------------------------------------------ */

    /* [owner loop] Gathering send of buffer ranges and small inline byte runs (see mr_iovec), flushed at
     * once unless corked. MR_ERR_INVALID if a range is outside its buffer. Check
     * MR_HAS_FIELD(api, mr_host_api, conn_send_vec) before use: a 1.0 host does not have it. */
    mr_status (*conn_send_vec)(mr_conn *conn, const mr_iovec *vec, size_t count);

    /* --- ABI 1.2: commands ----------------------------------------------------------------------------
     * Check MR_HAS_FIELD(api, mr_host_api, command_call) before use: a 1.1 host does not have them. */

    /* [control] Offer command `name` (letters, digits, '.', '_', '-'; at most 64 bytes). The name starts
     * with the plugin's table name and a dot ("mp4.record.start" from [mp4]), otherwise MR_ERR_INVALID;
     * only management endpoints "api.<name>" are shared, first come first served: MR_ERR_BUSY if another
     * plugin offers it. A plugin's commands vanish when it stops. */
    mr_status (*command_register)(mr_host *host, const char *name, mr_command_fn fn, void *user);
    /* [any thread] Call a command. Returns MR_ERR_NOT_FOUND at once, and `done` is never called, when no
     * plugin offers `name`. Otherwise MR_OK, and `done` runs exactly once on loop `loop` (-1 = the calling
     * loop, or round-robin when called off-loop): with the handler's answer, or MR_ERR with
     * {"error":"timeout"} after [server] command_timeout_ms. `args_json` may be NULL ("{}"). */
    mr_status (*command_call)(mr_host *host, const char *name, const char *args_json, int32_t loop,
                              mr_command_done_fn done, void *user);
    /* [any thread] Answer a command exactly once: the ticket is freed by the answer, so a second answer is
     * undefined (an answer after the timeout is fine and ignored). `reply_json` is copied; NULL gives "{}"
     * for MR_OK and {"error":"command failed"} otherwise. */
    void (*command_answer)(mr_command_ticket *ticket, mr_status status, const char *reply_json);

    /* --- ABI 1.3: transport and clock references ----------------------------------------------------
     * Check MR_HAS_FIELD(api, mr_host_api, <function>) before use: a 1.2 host does not have them. */

    /* [control] Bind one UDP socket per loop, all on the same address and port with SO_REUSEPORT (the
     * WebRTC, SRT and GB28181 single-port model). out[i] is loop i's socket and gets its datagrams on loop
     * i; `out_capacity` must be at least loop_count(). Each is an ordinary mr_udp (udp_send, udp_close ...);
     * `cbs` and `user` serve them all. port 0 picks a free port for the first and binds the rest to it.
     * options->loop is ignored; a multicast_group is refused (multicast reaches every socket of a group).
     * The kernel picks a socket by a hash of the datagram's 4-tuple, so one peer (address and port) always
     * reaches the same loop for as long as the group keeps its members: closing one socket of the group
     * moves peers between the others, so close a group as a whole. Another socket of the same user bound
     * to the port with SO_REUSEPORT would join the group: pick a port nothing else uses. */
    mr_status (*udp_bind_group)(mr_host *host, const mr_udp_options *options, const mr_udp_callbacks *cbs,
                                void *user, mr_udp **out, size_t out_capacity);
    /* [owner loop] Send `count` datagrams (at most 1024), in order, each gathered from its mr_iovec pieces
     * (buffer ranges are shared, inline bytes copied). The datagrams go out in as few sendmmsg calls as
     * the kernel takes (one per 1024), or stay queued while the socket is corked. A run of consecutive
     * datagrams to the same destination, all of one size but the last (which may be shorter), goes out
     * as one UDP_SEGMENT (GSO) send when the kernel offers it and `flags` lacks MR_UDP_SEND_NO_GSO: the
     * kernel cuts it into the same datagrams on the wire; it is a send of its own, made after what is queued
     * before it (even when corked), so order holds. The first GSO send a socket's route refuses turns
     * GSO off for that socket and the run is sent as plain datagrams. The whole batch is checked before
     * anything is sent: MR_ERR_INVALID (nothing sent) for a bad address or range. MR_ERR_BUSY when the
     * socket's queue of unsent datagrams is past 4 MiB: the datagrams from there on are dropped. */
    mr_status (*udp_send_batch)(mr_udp *sock, const mr_udp_datagram *datagrams, size_t count, uint32_t flags);
    /* [owner loop] cork=1: udp_send and udp_send_batch queue datagrams without a syscall; cork=0 sends the
     * queue (as udp_flush) and sends at once again. A corked queue past 1024 datagrams is flushed. */
    void (*udp_cork)(mr_udp *sock, int cork);
    /* [owner loop] Send what is queued, in one sendmmsg per 1024 datagrams; the socket stays corked. */
    mr_status (*udp_flush)(mr_udp *sock);

    /* [source loop] Set (ref != NULL) or clear (NULL) track `track`'s wall-clock reference (see
     * mr_clock_ref and the comment above mr_frame). Call it again whenever a newer sender report arrives;
     * readers see the latest. A publisher that returns within the reconnect window, or takes over, starts
     * without references. MR_ERR_INVALID for an unknown track. */
    mr_status (*source_set_clock_ref)(mr_source *source, uint32_t track, const mr_clock_ref *ref);
    /* [owner loop] The latest reference of the reader's source's track `track`. Set out->size first.
     * MR_ERR_NOT_FOUND when the publisher set none. */
    mr_status (*reader_clock_ref)(mr_reader *reader, uint32_t track, mr_clock_ref *out);

    /* [any thread] The name of the plugin's table in plugins.conf ("rtmp", or "rtmp2" for a second
     * instance loaded with `path`): the namespace of its commands (`<name>.proxy.add`) and of its own
     * derived rings, and the name its declaration is listed under. Valid until destroy returns. (ABI 1.3) */
    const char *(*plugin_name)(mr_host *host);

    /* --- ABI 1.4: keyframe requests -------------------------------------------------------------------
     * A player that needs a picture (it joined where the GOP cache has no keyframe, it skipped, or its
     * client lost one: RTCP PLI/FIR, a decoder reset) asks the source's publisher for a keyframe. Check
     * MR_HAS_FIELD(api, mr_host_api, reader_request_keyframe) before use: a 1.3 host does not have them. */

    /* [owner loop] Ask the publisher of the reader's source (or of the source a derived ring is of) for a
     * keyframe. The core forwards at most one request per source per 500 ms, whoever asks: a keyframe
     * answers every player waiting for one. MR_OK: forwarded to the publisher's handler. MR_ERR_BUSY: a
     * request went out less than 500 ms ago (the keyframe it asked for serves this one too).
     * MR_ERR_UNSUPPORTED: the publisher set no handler (its protocol cannot ask, or it was built for an
     * older minor): the next keyframe comes with the source's GOP. MR_ERR_NOT_FOUND: the stream has no
     * publisher now (not published yet, or inside the reconnect window). */
    mr_status (*reader_request_keyframe)(mr_reader *reader);
    /* [source loop] Set (fn != NULL) or clear (NULL) the function that readers' keyframe requests reach:
     * `fn(user)` runs on the loop that set it (the source's home loop when set off-loop), rate-limited as
     * above, and never after the handler is cleared or replaced, or after source_close, when those calls
     * are made on that same loop. The handler belongs to this publisher: one that returns within the
     * reconnect window, or takes over, sets its own. */
    mr_status (*source_set_keyframe_handler)(mr_source *source, mr_task_fn fn, void *user);
} mr_host_api;

/* ------------------------------------------------------------------------------------------------ */
/* The plugin descriptor                                                                             */
/* ------------------------------------------------------------------------------------------------ */

typedef enum mr_config_type {
    MR_CONFIG_STRING = 0, MR_CONFIG_INT = 1, MR_CONFIG_BOOL = 2, MR_CONFIG_DOUBLE = 3, MR_CONFIG_LIST = 4,
    MR_CONFIG_TABLE = 5
} mr_config_type;

/* One key the plugin understands in its table; the core warns on keys not listed and reports wrong
 * types as errors (with file, line and key) before the plugin sees them. `enabled`, `port` and `path`
 * are the core's and need not be listed. */
typedef struct mr_config_key {
    const char *name;
    int32_t type;                /* mr_config_type */
    const char *description;
} mr_config_key;

typedef struct mr_plugin_descriptor {
    uint32_t size;               /* sizeof(mr_plugin_descriptor) as the plugin was built */
    uint16_t abi_major;          /* MR_ABI_MAJOR the plugin was built against */
    uint16_t abi_minor;
    const char *name;            /* short name, e.g. "rtmp"; the plugins.conf table of the same name finds
                                    it by default, and a table of another name with `path` loads another
                                    instance of it under that table's name */
    const char *version;
    const char *description;
    const char *license;
    const char *build_signature; /* e.g. "mr-abi 1.0; swift 6.3" or "mr-abi 1.0; cc" */
    const mr_config_key *config_keys; /* may be NULL */
    size_t config_key_count;

    /* Required. Called once. Keep `host` and `api` (valid until destroy returns); read config; return a
     * state pointer in *state. Return MR_OK, or an error (the plugin is then refused and destroy is not
     * called). Do not open listeners here: start does. */
    mr_status (*init)(mr_host *host, const mr_host_api *api, void **state);
    /* Optional. Open listeners, register routes. An error stops the plugin (reported, server goes on). */
    mr_status (*start)(void *state);
    /* Optional. The plugin's table changed; config_* now read the new values. Return MR_OK if applied,
     * MR_RESTART to be stopped and started again (e.g. a port changed). NULL means "always restart".
     * Any other value is logged and the plugin keeps running as it was. */
    mr_status (*reconfigure)(void *state);
    /* Optional. Close listeners and sessions. Tasks it queues with run_on_loop still run before destroy;
     * then the host closes whatever is left (connections get on_close, readers MR_READER_CLOSED).
     * Called whenever init succeeded, also after a failed start, always before destroy. */
    void (*stop)(void *state);
    /* Optional. Free `state`; no callback of this plugin runs after it. */
    void (*destroy)(void *state);
    /* Optional. One-line status for plugin lists (e.g. "12 sessions"). [any thread]: may be called
     * concurrently; the string must stay valid until the next status call on the same thread (the host
     * copies it at once). */
    const char *(*status)(void *state);

    /* --- ABI 1.3 ------------------------------------------------------------------------------------
     * Optional (NULL = declares nothing). What the plugin serves, so the management core (API, hooks,
     * metrics) never names a protocol: a JSON object text, static like the other strings. Every member is
     * optional; unknown members are ignored, so later minors may add some.
     *   "schemas": [{"name": "rtmp", "readers": ["rtmp", "http-flv"]}]
     *       ZLMediaKit schemas the plugin plays (getMediaList lists a stream once per schema whose plugin
     *       runs) and the reader protocol names (mr_reader_options.protocol) that count toward each. Two
     *       plugins may declare the same schema: their reader names add up. An on_publish answer's
     *       `enable_<schema>: false` refuses that schema's readers.
     *   "sources": [{"protocol": "rtmp", "schema": "rtmp", "origin_type": 1, "origin_type_str": "rtmp_push"}]
     *       the mr_source_options.protocol names of its publishers, with ZLMediaKit's originType (0 unknown,
     *       1 rtmp_push, 2 rtsp_push, 3 rtp_push, 4 pull, 5 ffmpeg_pull, 6 mp4_vod, 7 device_chn,
     *       8 rtc_push, 9 srt_push) and the schema hooks name for them.
     *   "pull": [{"scheme": "http", "path_suffixes": [".m3u8"], "snap_input": ["-opt", "value"]}]
     *   "push": [{"scheme": "rtmp"}]
     *       URL schemes (lower case) the plugin pulls from and pushes to through its `<name>.proxy.*` and
     *       `<name>.pusher.*` commands; `path_suffixes` narrows a scheme by the URL path's ending;
     *       `snap_input` are ffmpeg input options getSnap puts before such a URL.
     *   "implemented": false
     *       a placeholder: it loads, opens nothing, and its state reads "not implemented".
     * A plugin built for 1.0-1.2 declares nothing: it serves no schema, and its sources are "unknown". */
    const char *serves;
} mr_plugin_descriptor;

typedef const mr_plugin_descriptor *(*mr_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* MEDIAROUTER_PLUGIN_H */
