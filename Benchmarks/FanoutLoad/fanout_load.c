/*
 * fanout_load: fan-out load generator for scripts/bench-fanout.sh (docs/benchmarks.md), in C so that the load
 * tool costs little beside the server it measures on the same small machine.
 *
 *   fanout_load --url URL [--players N] [--seconds S] [--expect-kbps K] [--server-pid PID]
 *               [--ramp-per-second R] [--settle-seconds S]
 *
 * URL is http://host:port/app/stream.live.flv (also .live.ts / .live.mp4), rtmp://host:port/app/stream or
 * rtsp://host:port/app/stream. N players run on one thread (epoll, non-blocking sockets). Each one does its
 * protocol's handshake, parses the stream only until the first video frame, then sets SO_RCVLOWAT to 32 KiB so
 * that it wakes only when 32 KiB are queued and takes all of it in one read, as a player with a buffer does.
 * Players start at R per second; after the settle period a window of S seconds is measured. The report has the
 * same lines as mediarouter-bench (so scripts read either), plus the tool's own CPU in the window.
 *
 * Build: cc -O2 -o fanout_load fanout_load.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum kind { K_HTTP, K_RTMP, K_RTSP };
enum state { S_CONNECTING, S_HANDSHAKE, S_PLAYING, S_DEAD };
enum rtsp_step { R_OPTIONS, R_DESCRIBE, R_SETUP, R_PLAY };
/* Why a player failed: the tool's own parse or response checks, or the connection. */
enum cause { C_PROTOCOL, C_CONNECT, C_CLOSED, C_RESET, C_COUNT };

#define LOWAT 32768
#define MAX_TRACKS 8
#define MAX_CSIDS 16
#define HEAD_MAX 65536 /* the most handshake / response text a player keeps */

struct csid_state {
    int id;
    uint32_t len, got;
    uint8_t type, ext_ts;
    uint8_t first[4]; /* the message's first payload bytes: video flags, or Set Chunk Size's value */
};

struct rtmp_parser {
    uint32_t chunk_size;
    uint8_t hdr[18];
    int hlen;
    struct csid_state *cur; /* the chunk whose payload is being read */
    uint32_t chunk_left;
    struct csid_state cs[MAX_CSIDS];
    int ncs;
};

struct player {
    int fd;
    enum state state;
    int failed;
    enum cause cause;
    long long bytes;
    /* The last read and the longest time between two reads (or from the window's start or to its end) in the
       measuring window: a player whose stream stalled (a reload, a reconnect) shows it here. */
    long long last_read_ns, max_gap_ns;
    long long start_ns;
    int first_frame_ms; /* -1 until the first video frame */
    uint8_t *in;        /* handshake / response bytes not yet consumed */
    size_t in_len;
    uint8_t *out; /* bytes still to send */
    size_t out_len, out_off;
    /* HTTP-FLV tag walk */
    long skip;
    uint8_t tag[11];
    int tag_len;
    /* RTMP */
    struct rtmp_parser *rtmp;
    /* RTSP */
    enum rtsp_step step;
    int cseq, setup_index, ntracks;
    char session[128];
    char *controls[MAX_TRACKS];
    int video[MAX_TRACKS];
    long rtsp_skip; /* bytes left in the current interleaved frame */
};

static struct {
    enum kind kind;
    char host[256], app[1024], stream[1024], path[1024];
    int port;
    int is_flv;
    struct sockaddr_storage addr;
    socklen_t addr_len;
} T;

static int ep;
static uint8_t rbuf[1 << 20];
static int measuring;

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void mark_first_frame(struct player *p) {
    if (p->first_frame_ms >= 0) return;
    p->first_frame_ms = (int)((now_ns() - p->start_ns) / 1000000);
    /* From here on the player only counts bytes: it wakes when 32 KiB are queued. */
    int lowat = LOWAT;
    setsockopt(p->fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof lowat);
}

static void kill_player(struct player *p) {
    if (p->state == S_DEAD) return;
    p->failed = 1;
    p->state = S_DEAD;
    epoll_ctl(ep, EPOLL_CTL_DEL, p->fd, NULL);
    close(p->fd);
    free(p->in);
    free(p->out);
    free(p->rtmp);
    p->in = p->out = NULL;
    p->rtmp = NULL;
    for (int i = 0; i < p->ntracks; i++) free(p->controls[i]);
    p->ntracks = 0;
}

static void watch(struct player *p, uint32_t events) {
    struct epoll_event ev = {.events = events, .data.ptr = p};
    epoll_ctl(ep, EPOLL_CTL_MOD, p->fd, &ev);
}

static void flush_out(struct player *p) {
    while (p->out_off < p->out_len) {
        ssize_t n = send(p->fd, p->out + p->out_off, p->out_len - p->out_off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) { watch(p, EPOLLIN | EPOLLOUT); return; }
        if (n <= 0) { p->cause = C_RESET; kill_player(p); return; }
        p->out_off += (size_t)n;
    }
    p->out_len = p->out_off = 0;
    watch(p, EPOLLIN);
}

static void queue_out(struct player *p, const void *data, size_t n) {
    uint8_t *grown = realloc(p->out, p->out_len + n);
    if (!grown) { kill_player(p); return; }
    p->out = grown;
    memcpy(p->out + p->out_len, data, n);
    p->out_len += n;
}

/* Appends to the player's pending input; fails the player when a peer has sent more text than any handshake needs
   without completing it (the read that completes it may carry a burst of media, so only earlier bytes count). */
static int keep_input(struct player *p, const uint8_t *data, size_t n) {
    if (p->in_len > HEAD_MAX) { kill_player(p); return 0; }
    uint8_t *grown = realloc(p->in, p->in_len + n);
    if (!grown) { kill_player(p); return 0; }
    p->in = grown;
    memcpy(p->in + p->in_len, data, n);
    p->in_len += n;
    return 1;
}

static void consume_input(struct player *p, size_t n) {
    memmove(p->in, p->in + n, p->in_len - n);
    p->in_len -= n;
}

static const uint8_t *find_crlfcrlf(const uint8_t *b, size_t n) {
    for (size_t i = 0; i + 3 < n; i++)
        if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') return b + i;
    return NULL;
}

/* ---- HTTP-FLV / TS / fMP4 ---- */

static void flv_scan(struct player *p, const uint8_t *b, size_t n) {
    size_t i = 0;
    while (i < n && p->first_frame_ms < 0) {
        if (p->skip > 0) {
            size_t k = (size_t)p->skip < n - i ? (size_t)p->skip : n - i;
            p->skip -= (long)k;
            i += k;
            continue;
        }
        p->tag[p->tag_len++] = b[i++];
        if (p->tag_len == 11) {
            if ((p->tag[0] & 0x1f) == 9) { mark_first_frame(p); return; }
            p->skip = ((long)p->tag[1] << 16 | (long)p->tag[2] << 8 | p->tag[3]) + 4;
            p->tag_len = 0;
        }
    }
}

static void http_start(struct player *p) {
    char req[1400];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", T.path, T.host);
    queue_out(p, req, (size_t)n);
    p->skip = 13; /* FLV file header + PreviousTagSize0 */
}

static void http_read(struct player *p, const uint8_t *b, size_t n) {
    if (p->state == S_PLAYING) {
        if (p->first_frame_ms >= 0) return;
        if (T.is_flv) flv_scan(p, b, n); else if (n > 0) mark_first_frame(p);
        return;
    }
    if (!keep_input(p, b, n)) return;
    const uint8_t *end = find_crlfcrlf(p->in, p->in_len);
    if (!end) return;
    if (p->in_len < 12 || memcmp(p->in, "HTTP/1.1 200", 12) != 0) { kill_player(p); return; }
    p->state = S_PLAYING;
    size_t head = (size_t)(end - p->in) + 4, body = p->in_len - head;
    /* HTTP-TS and HTTP-fMP4 start at a keyframe: their first body bytes are the first frame's. */
    if (T.is_flv) flv_scan(p, p->in + head, body); else if (body > 0) mark_first_frame(p);
    free(p->in);
    p->in = NULL;
    p->in_len = 0;
}

/* ---- RTMP ---- */

static size_t amf_string(uint8_t *o, const char *s, int marker) {
    size_t n = strlen(s), k = 0;
    if (marker) o[k++] = 0x02;
    o[k++] = (uint8_t)(n >> 8);
    o[k++] = (uint8_t)n;
    memcpy(o + k, s, n);
    return k + n;
}

static size_t amf_number(uint8_t *o, double v) {
    uint64_t bits;
    memcpy(&bits, &v, 8);
    o[0] = 0x00;
    for (int i = 0; i < 8; i++) o[1 + i] = (uint8_t)(bits >> (56 - 8 * i));
    return 9;
}

/* One AMF0 command message on chunk stream 3, split into 128-byte chunks (the protocol's initial chunk size). */
static void rtmp_command(struct player *p, const uint8_t *payload, size_t len, uint32_t stream_id) {
    uint8_t msg[4096];
    size_t k = 0;
    msg[k++] = 0x03;
    msg[k++] = 0; msg[k++] = 0; msg[k++] = 0;
    msg[k++] = (uint8_t)(len >> 16); msg[k++] = (uint8_t)(len >> 8); msg[k++] = (uint8_t)len;
    msg[k++] = 20; /* command, AMF0 */
    msg[k++] = (uint8_t)stream_id; msg[k++] = (uint8_t)(stream_id >> 8);
    msg[k++] = (uint8_t)(stream_id >> 16); msg[k++] = (uint8_t)(stream_id >> 24);
    for (size_t off = 0; off < len; off += 128) {
        if (off > 0) msg[k++] = 0xC3;
        size_t c = len - off < 128 ? len - off : 128;
        memcpy(msg + k, payload + off, c);
        k += c;
    }
    queue_out(p, msg, k);
}

static void rtmp_start(struct player *p) {
    static uint8_t c0c1[1537];
    c0c1[0] = 3;
    queue_out(p, c0c1, sizeof c0c1);
}

static void rtmp_send_play(struct player *p) {
    uint8_t b[4096];
    size_t k = 0;
    char tc_url[1400];
    snprintf(tc_url, sizeof tc_url, "rtmp://%s:%d/%s", T.host, T.port, T.app);
    k += amf_string(b + k, "connect", 1);
    k += amf_number(b + k, 1);
    b[k++] = 0x03;
    k += amf_string(b + k, "app", 0);
    k += amf_string(b + k, T.app, 1);
    k += amf_string(b + k, "tcUrl", 0);
    k += amf_string(b + k, tc_url, 1);
    b[k++] = 0; b[k++] = 0; b[k++] = 9;
    rtmp_command(p, b, k, 0);
    k = 0;
    k += amf_string(b + k, "createStream", 1);
    k += amf_number(b + k, 2);
    b[k++] = 0x05;
    rtmp_command(p, b, k, 0);
    k = 0;
    k += amf_string(b + k, "play", 1);
    k += amf_number(b + k, 0);
    b[k++] = 0x05;
    k += amf_string(b + k, T.stream, 1);
    rtmp_command(p, b, k, 1);
}

/* How many header bytes the chunk in hdr needs, as far as the bytes present tell. */
static int rtmp_header_size(struct rtmp_parser *r) {
    int basic = 1;
    if (r->hlen >= 1) {
        int low = r->hdr[0] & 0x3f;
        basic = low == 0 ? 2 : low == 1 ? 3 : 1;
    }
    if (r->hlen < basic) return basic;
    int fmt = r->hdr[0] >> 6;
    int mh = fmt == 0 ? 11 : fmt == 1 ? 7 : fmt == 2 ? 3 : 0;
    if (r->hlen < basic + mh) return basic + mh;
    int ext;
    if (fmt < 3) {
        const uint8_t *m = r->hdr + basic;
        ext = m[0] == 0xff && m[1] == 0xff && m[2] == 0xff;
    } else {
        int low = r->hdr[0] & 0x3f;
        int id = low == 0 ? 64 + r->hdr[1] : low == 1 ? 64 + r->hdr[1] + 256 * r->hdr[2] : low;
        ext = 0;
        for (int i = 0; i < r->ncs; i++) if (r->cs[i].id == id) ext = r->cs[i].ext_ts;
    }
    return basic + mh + (ext ? 4 : 0);
}

/* Takes a complete chunk header: finds or adds its chunk stream and starts or continues its message. */
static int rtmp_header_done(struct rtmp_parser *r) {
    int low = r->hdr[0] & 0x3f, fmt = r->hdr[0] >> 6;
    int basic = low == 0 ? 2 : low == 1 ? 3 : 1;
    int id = low == 0 ? 64 + r->hdr[1] : low == 1 ? 64 + r->hdr[1] + 256 * r->hdr[2] : low;
    struct csid_state *c = NULL;
    for (int i = 0; i < r->ncs; i++) if (r->cs[i].id == id) c = &r->cs[i];
    if (!c) {
        if (r->ncs == MAX_CSIDS || fmt != 0) return -1; /* a new chunk stream must start with a full header */
        c = &r->cs[r->ncs++];
        memset(c, 0, sizeof *c);
        c->id = id;
    }
    const uint8_t *m = r->hdr + basic;
    if (fmt < 3) c->ext_ts = m[0] == 0xff && m[1] == 0xff && m[2] == 0xff;
    if (fmt <= 1) {
        c->len = (uint32_t)m[3] << 16 | (uint32_t)m[4] << 8 | m[5];
        c->type = m[6];
    }
    if (fmt < 3 || c->got == c->len) c->got = 0; /* a new message; fmt 3 mid-message continues it */
    r->cur = c;
    uint32_t left = c->len - c->got;
    r->chunk_left = left < r->chunk_size ? left : r->chunk_size;
    return 0;
}

/* Feeds bytes to the chunk parser until the first video frame; returns -1 on a malformed stream. */
static int rtmp_feed(struct player *p, const uint8_t *b, size_t n) {
    struct rtmp_parser *r = p->rtmp;
    size_t i = 0;
    while (i < n && p->first_frame_ms < 0) {
        if (!r->cur) {
            int need = rtmp_header_size(r);
            while (r->hlen < need && i < n) {
                r->hdr[r->hlen++] = b[i++];
                need = rtmp_header_size(r);
            }
            if (r->hlen < need) return 0;
            if (rtmp_header_done(r) < 0) return -1;
            r->hlen = 0;
        }
        struct csid_state *c = r->cur;
        size_t k = n - i < r->chunk_left ? n - i : r->chunk_left;
        for (size_t j = 0; j < k && c->got + j < sizeof c->first; j++) c->first[c->got + j] = b[i + j];
        c->got += (uint32_t)k;
        r->chunk_left -= (uint32_t)k;
        i += k;
        if (r->chunk_left > 0) return 0;
        r->cur = NULL;
        if (c->got < c->len) continue;
        if (c->type == 1 && c->len >= 4) {
            uint32_t size = ((uint32_t)c->first[0] << 24 | (uint32_t)c->first[1] << 16 |
                             (uint32_t)c->first[2] << 8 | c->first[3]) & 0x7fffffff;
            if (size == 0) return -1;
            r->chunk_size = size;
        }
        /* An AVC NAL unit packet (not the sequence header), or an Enhanced RTMP frame. */
        if (c->type == 9 && c->len > 1 && (c->first[1] == 1 || (c->first[0] & 0x80))) mark_first_frame(p);
    }
    return 0;
}

static void rtmp_read(struct player *p, const uint8_t *b, size_t n) {
    if (p->state == S_PLAYING) {
        if (p->first_frame_ms < 0 && rtmp_feed(p, b, n) < 0) kill_player(p);
        if (p->first_frame_ms >= 0 && p->rtmp) { free(p->rtmp); p->rtmp = NULL; }
        return;
    }
    if (!keep_input(p, b, n)) return;
    if (p->in_len < 1 + 2 * 1536) return;
    queue_out(p, p->in + 1, 1536); /* C2: S1 echoed */
    rtmp_send_play(p);
    p->rtmp = calloc(1, sizeof *p->rtmp);
    if (!p->rtmp) { kill_player(p); return; }
    p->rtmp->chunk_size = 128;
    p->state = S_PLAYING;
    size_t rest = p->in_len - (1 + 2 * 1536);
    uint8_t *in = p->in;
    p->in = NULL;
    p->in_len = 0;
    if (rest > 0 && rtmp_feed(p, in + 1 + 2 * 1536, rest) < 0) kill_player(p);
    free(in);
}

/* ---- RTSP/TCP ---- */

static void rtsp_request(struct player *p, const char *method, const char *url, const char *extra) {
    char req[2048];
    int n = snprintf(req, sizeof req, "%s %s RTSP/1.0\r\nCSeq: %d\r\nUser-Agent: fanout_load\r\n%s%s%s%s\r\n",
                     method, url, ++p->cseq, p->session[0] ? "Session: " : "", p->session,
                     p->session[0] ? "\r\n" : "", extra);
    if (n > 0 && (size_t)n < sizeof req) queue_out(p, req, (size_t)n); else kill_player(p);
}

static void rtsp_base(char *out, size_t size) {
    snprintf(out, size, "rtsp://%s:%d%s%s", T.host, T.port, T.path,
             T.path[0] && T.path[strlen(T.path) - 1] == '/' ? "" : "/");
}

static void rtsp_setup(struct player *p, int i) {
    char url[2048], extra[128];
    p->step = R_SETUP;
    p->setup_index = i;
    if (strncmp(p->controls[i], "rtsp://", 7) == 0) snprintf(url, sizeof url, "%s", p->controls[i]);
    else { rtsp_base(url, sizeof url); strncat(url, p->controls[i], sizeof url - strlen(url) - 1); }
    snprintf(extra, sizeof extra, "Transport: RTP/AVP/TCP;unicast;interleaved=%d-%d\r\n", 2 * i, 2 * i + 1);
    rtsp_request(p, "SETUP", url, extra);
}

static void rtsp_start(struct player *p) {
    char url[1400];
    snprintf(url, sizeof url, "rtsp://%s:%d%s", T.host, T.port, T.path);
    p->step = R_OPTIONS;
    rtsp_request(p, "OPTIONS", url, "");
}

/* Walks interleaved frames ($, channel, length) until one on a video track's RTP channel. */
static void rtsp_scan(struct player *p, const uint8_t *b, size_t n) {
    size_t i = 0;
    while (i < n && p->first_frame_ms < 0) {
        if (p->rtsp_skip > 0) {
            size_t k = (size_t)p->rtsp_skip < n - i ? (size_t)p->rtsp_skip : n - i;
            p->rtsp_skip -= (long)k;
            i += k;
            continue;
        }
        if (b[i] != '$') { i++; continue; } /* not framed: look for the next frame start */
        if (n - i < 4) { keep_input(p, b + i, n - i); return; }
        int ch = b[i + 1];
        if (ch % 2 == 0 && ch / 2 < p->ntracks && p->video[ch / 2]) { mark_first_frame(p); return; }
        p->rtsp_skip = (long)b[i + 2] << 8 | b[i + 3];
        i += 4;
    }
}

static char *header_value(char *head, const char *name) {
    size_t nl = strlen(name);
    for (char *line = strstr(head, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
        char *s = line + 2;
        if (strncasecmp(s, name, nl) == 0 && s[nl] == ':') {
            s += nl + 1;
            while (*s == ' ' || *s == '\t') s++;
            return s;
        }
    }
    return NULL;
}

/* Handles one response; returns -1 to fail the player. */
static int rtsp_response(struct player *p, char *head, char *body, size_t body_len) {
    if (strncmp(head, "RTSP/1.0 200", 12) != 0) return -1;
    char *s = header_value(head, "Session");
    if (s) {
        size_t k = strcspn(s, ";\r\n");
        if (k >= sizeof p->session) return -1;
        memcpy(p->session, s, k);
        p->session[k] = 0;
    }
    char url[1400];
    switch (p->step) {
    case R_OPTIONS:
        snprintf(url, sizeof url, "rtsp://%s:%d%s", T.host, T.port, T.path);
        p->step = R_DESCRIBE;
        rtsp_request(p, "DESCRIBE", url, "Accept: application/sdp\r\n");
        return 0;
    case R_DESCRIBE: {
        int video = 0;
        char *line = body, *end = body + body_len;
        while (line < end) {
            char *nl = memchr(line, '\n', (size_t)(end - line));
            size_t len = nl ? (size_t)(nl - line) : (size_t)(end - line);
            if (len > 0 && line[len - 1] == '\r') len--;
            if (len >= 2 && strncmp(line, "m=", 2) == 0) video = len >= 7 && strncmp(line, "m=video", 7) == 0;
            if (len > 10 && strncmp(line, "a=control:", 10) == 0 && line[len - 1] != '*' && p->ntracks < MAX_TRACKS) {
                p->controls[p->ntracks] = strndup(line + 10, len - 10);
                if (!p->controls[p->ntracks]) return -1;
                p->video[p->ntracks++] = video;
            }
            line = nl ? nl + 1 : end;
        }
        if (p->ntracks == 0) return -1;
        rtsp_setup(p, 0);
        return 0;
    }
    case R_SETUP:
        if (p->setup_index + 1 < p->ntracks) { rtsp_setup(p, p->setup_index + 1); return 0; }
        p->step = R_PLAY;
        rtsp_base(url, sizeof url);
        rtsp_request(p, "PLAY", url, "Range: npt=0.000-\r\n");
        return 0;
    case R_PLAY:
        p->state = S_PLAYING;
        return 0;
    }
    return -1;
}

static void rtsp_read(struct player *p, const uint8_t *b, size_t n) {
    if (p->state == S_PLAYING && p->in_len == 0) {
        if (p->first_frame_ms < 0) rtsp_scan(p, b, n);
        return;
    }
    if (!keep_input(p, b, n)) return;
    if (p->state == S_PLAYING) { /* an interleaved header split across reads */
        uint8_t *in = p->in;
        size_t len = p->in_len;
        p->in = NULL;
        p->in_len = 0;
        rtsp_scan(p, in, len);
        free(in);
        return;
    }
    while (p->state == S_HANDSHAKE) {
        const uint8_t *end = find_crlfcrlf(p->in, p->in_len);
        if (!end) return;
        size_t head_len = (size_t)(end - p->in);
        char *head = strndup((const char *)p->in, head_len);
        if (!head) { kill_player(p); return; }
        char *cl = header_value(head, "Content-Length");
        long body_len = cl ? strtol(cl, NULL, 10) : 0;
        if (body_len < 0 || body_len > HEAD_MAX) { free(head); kill_player(p); return; }
        if (p->in_len - head_len - 4 < (size_t)body_len) { free(head); return; }
        char *body = strndup((const char *)p->in + head_len + 4, (size_t)body_len);
        int rc = body ? rtsp_response(p, head, body, (size_t)body_len) : -1;
        free(head);
        free(body);
        if (rc < 0) { kill_player(p); return; }
        consume_input(p, head_len + 4 + (size_t)body_len);
    }
    if (p->state == S_PLAYING) {
        uint8_t *in = p->in;
        size_t len = p->in_len;
        p->in = NULL;
        p->in_len = 0;
        rtsp_scan(p, in, len);
        free(in);
    }
}

/* ---- players ---- */

static void start_player(struct player *p) {
    memset(p, 0, sizeof *p);
    p->first_frame_ms = -1;
    p->start_ns = now_ns();
    p->fd = socket(T.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p->fd < 0) { p->failed = 1; p->state = S_DEAD; return; }
    int rcvbuf = 256 * 1024, one = 1;
    setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    p->state = S_CONNECTING;
    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = p};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, p->fd, &ev) < 0) { close(p->fd); p->failed = 1; p->state = S_DEAD; return; }
    if (connect(p->fd, (struct sockaddr *)&T.addr, T.addr_len) < 0 && errno != EINPROGRESS) {
        p->cause = C_CONNECT;
        kill_player(p);
    }
}

static void on_connected(struct player *p) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) { p->cause = C_CONNECT; kill_player(p); return; }
    p->state = S_HANDSHAKE;
    switch (T.kind) {
    case K_HTTP: http_start(p); break;
    case K_RTMP: rtmp_start(p); break;
    case K_RTSP: rtsp_start(p); break;
    }
    if (p->state != S_DEAD) flush_out(p);
}

static void on_event(struct player *p, uint32_t events) {
    if (p->state == S_DEAD) return;
    if (p->state == S_CONNECTING) {
        if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) on_connected(p);
        return;
    }
    if ((events & EPOLLOUT) && p->out_len > 0) { flush_out(p); if (p->state == S_DEAD) return; }
    if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP))) return;
    /* Everything queued, in one read. Once the first frame is found the bytes are only counted: MSG_TRUNC has
       TCP drop them without copying them out, so the tool's CPU stays small beside the server's. */
    int counting = p->state == S_PLAYING && p->first_frame_ms >= 0;
    ssize_t n = recv(p->fd, counting ? NULL : rbuf, sizeof rbuf, counting ? MSG_TRUNC : 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (n <= 0) { p->cause = n == 0 ? C_CLOSED : C_RESET; kill_player(p); return; }
    p->bytes += n;
    if (measuring) {
        long long t = now_ns();
        if (t - p->last_read_ns > p->max_gap_ns) p->max_gap_ns = t - p->last_read_ns;
        p->last_read_ns = t;
    }
    if (counting) return;
    int handshaking = p->state == S_HANDSHAKE;
    switch (T.kind) {
    case K_HTTP: http_read(p, rbuf, (size_t)n); break;
    case K_RTMP: rtmp_read(p, rbuf, (size_t)n); break;
    case K_RTSP: rtsp_read(p, rbuf, (size_t)n); break;
    }
    if (handshaking && p->state != S_DEAD && p->out_len > 0) flush_out(p);
}

/* ---- measuring ---- */

/* Bytes a player has received: read, plus queued in its socket (so a 32 KiB read granularity does not skew a window). */
static long long received(struct player *p) {
    int queued = 0;
    if (p->state != S_DEAD && ioctl(p->fd, FIONREAD, &queued) < 0) queued = 0;
    return p->bytes + queued;
}

static int read_proc_cpu(int pid, double *out, double *user) {
    char path[64], text[4096];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    char *close_paren = strrchr(text, ')');
    if (!close_paren) return 0;
    /* Fields after the command: state is field 3; utime and stime are fields 14 and 15. */
    unsigned long long ut = 0, st = 0;
    if (sscanf(close_paren + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) return 0;
    *out = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
    *user = (double)ut / (double)sysconf(_SC_CLK_TCK);
    return 1;
}

/* The whole machine's busy time and its softirq part, in seconds (/proc/stat's first line). Loopback TCP
 * delivers a segment on whatever CPU sends it, and a server whose queued bytes leave when the receiver's
 * delayed ACK arrives (Nagle: nginx-rtmp sends a frame in 4 KiB chunks without TCP_NODELAY) has that
 * transmit and the receiving stack run in the timer's softirq, charged to no process: the server's own
 * figure then leaves it out. The machine's figure does not. */
static int read_machine_cpu(double *busy, double *softirq) {
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return 0;
    unsigned long long v[8] = {0};
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    if (n != 8) return 0;
    double hz = (double)sysconf(_SC_CLK_TCK);
    /* user nice system idle iowait irq softirq steal: busy is all but idle and iowait. */
    *busy = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / hz;
    *softirq = (double)v[6] / hz;
    return 1;
}

/* The sum, in MB, of the kB fields of /proc/PID/FILE whose lines start with one of `keys` (NULL-ended). */
static double read_proc_mb(int pid, const char *file, const char *const *keys) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    double kb = 0;
    while (fgets(line, sizeof line, f))
        for (const char *const *k = keys; *k; k++)
            if (strncmp(line, *k, strlen(*k)) == 0) kb += strtod(line + strlen(*k), NULL);
    fclose(f);
    return kb / 1024;
}

static double read_proc_rss_mb(int pid) {
    static const char *const keys[] = {"VmRSS:", NULL};
    return read_proc_mb(pid, "status", keys);
}

/* Anonymous memory (smaps_rollup): heap, stacks, the allocator's arenas; RSS also counts the pages of the
 * executable and its libraries that are mapped in, which this kernel maps in whole large folios. */
static double read_proc_anon_mb(int pid) {
    static const char *const keys[] = {"Anonymous:", NULL};
    return read_proc_mb(pid, "smaps_rollup", keys);
}

static double own_cpu(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + (double)u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(const double *a, int n, double p) {
    if (n == 0) return 0;
    int i = (int)(n * p);
    return a[i < n - 1 ? i : n - 1];
}

static int parse_url(const char *url) {
    const char *rest;
    if (strncmp(url, "http://", 7) == 0) { T.kind = K_HTTP; rest = url + 7; T.port = 80; }
    else if (strncmp(url, "rtmp://", 7) == 0) { T.kind = K_RTMP; rest = url + 7; T.port = 1935; }
    else if (strncmp(url, "rtsp://", 7) == 0) { T.kind = K_RTSP; rest = url + 7; T.port = 554; }
    else return 0;
    const char *slash = strchr(rest, '/');
    if (!slash) slash = rest + strlen(rest);
    size_t hl = (size_t)(slash - rest);
    const char *colon = memchr(rest, ':', hl);
    size_t name_len = colon ? (size_t)(colon - rest) : hl;
    if (name_len == 0 || name_len >= sizeof T.host) return 0;
    memcpy(T.host, rest, name_len);
    T.host[name_len] = 0;
    if (colon) T.port = atoi(colon + 1);
    if (T.port <= 0 || T.port > 65535) return 0;
    if (strlen(slash) > 500) return 0; /* keeps every request and command within its buffer */
    snprintf(T.path, sizeof T.path, "%s", *slash ? slash : "/");
    /* app is every path segment but the last, stream the last (without a query). */
    char path[1024];
    snprintf(path, sizeof path, "%s", T.path + 1);
    path[strcspn(path, "?")] = 0;
    char *last = strrchr(path, '/');
    if (last) { *last = 0; snprintf(T.app, sizeof T.app, "%s", path); snprintf(T.stream, sizeof T.stream, "%s", last + 1); }
    else { T.app[0] = 0; snprintf(T.stream, sizeof T.stream, "%s", path); }
    T.is_flv = !(strstr(T.path, ".live.ts") || strstr(T.path, ".live.mp4"));
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
    char port[16];
    snprintf(port, sizeof port, "%d", T.port);
    if (getaddrinfo(T.host, port, &hints, &res) != 0) return 0;
    memcpy(&T.addr, res->ai_addr, res->ai_addrlen);
    T.addr_len = res->ai_addrlen;
    freeaddrinfo(res);
    return 1;
}

static void usage(void) {
    fprintf(stderr, "usage: fanout_load --url URL [--players N] [--seconds S] [--expect-kbps K] [--server-pid PID]\n"
                    "                   [--ramp-per-second R] [--settle-seconds S]\n");
    exit(2);
}

/* Runs every player's events until the monotonic deadline, starting players due by then. */
static int started_count;
static void run_until(long long deadline, struct player *ps, int n, long long ramp_t0, double ramp) {
    struct epoll_event evs[1024];
    for (;;) {
        long long now = now_ns();
        while (started_count < n && ramp_t0 + (long long)(started_count / ramp * 1e9) <= now)
            start_player(&ps[started_count++]);
        long long next = deadline;
        if (started_count < n) {
            long long due = ramp_t0 + (long long)(started_count / ramp * 1e9);
            if (due < next) next = due;
        }
        if (now >= deadline && started_count >= n) return;
        int timeout = next > now ? (int)((next - now + 999999) / 1000000) : 0;
        int k = epoll_wait(ep, evs, 1024, timeout);
        for (int i = 0; i < k; i++) on_event(evs[i].data.ptr, evs[i].events);
    }
}

int main(int argc, char **argv) {
    const char *url = NULL;
    int players = 100, seconds = 20, server_pid = 0;
    double expect = 0, ramp = 500, settle = 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) usage();
        const char *v = argv[++i];
        if (!strcmp(a, "--url")) url = v;
        else if (!strcmp(a, "--players")) players = atoi(v);
        else if (!strcmp(a, "--seconds")) seconds = atoi(v);
        else if (!strcmp(a, "--expect-kbps")) expect = atof(v);
        else if (!strcmp(a, "--server-pid")) server_pid = atoi(v);
        else if (!strcmp(a, "--ramp-per-second")) ramp = atof(v);
        else if (!strcmp(a, "--settle-seconds")) settle = atof(v);
        else usage();
    }
    if (!url || players <= 0 || seconds <= 0 || ramp <= 0 || settle < 0) usage();
    if (!parse_url(url)) { fprintf(stderr, "unsupported URL %s\n", url); return 2; }
    struct rlimit lim;
    getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
    if ((rlim_t)players + 16 > lim.rlim_cur) fprintf(stderr, "warning: %d players, open files limit %llu\n", players, (unsigned long long)lim.rlim_cur);
    ep = epoll_create1(EPOLL_CLOEXEC);
    struct player *ps = calloc((size_t)players, sizeof *ps);
    if (ep < 0 || !ps) { perror("setup"); return 1; }

    long long t_start = now_ns();
    long long ramp_end = t_start + (long long)((players - 1) / ramp * 1e9);
    run_until(ramp_end, ps, players, t_start, ramp);
    double ramp_took = (now_ns() - t_start) / 1e9;
    /* Let the last players settle, then measure a window during which every player should be flowing. */
    run_until(now_ns() + (long long)(settle * 1e9), ps, players, t_start, ramp);

    long long *before = malloc(sizeof(long long) * (size_t)players);
    double *kbps = malloc(sizeof(double) * (size_t)players), *ttff = malloc(sizeof(double) * (size_t)players);
    if (!before || !kbps || !ttff) { perror("malloc"); return 1; }
    long long t0 = now_ns();
    double cpu0 = 0, cpu1 = 0, user0 = 0, user1 = 0, own0 = own_cpu();
    int have_cpu = server_pid > 0 && read_proc_cpu(server_pid, &cpu0, &user0);
    double busy0 = 0, busy1 = 0, soft0 = 0, soft1 = 0;
    int have_machine = read_machine_cpu(&busy0, &soft0);
    for (int i = 0; i < players; i++) { before[i] = received(&ps[i]); ps[i].last_read_ns = t0; ps[i].max_gap_ns = 0; }
    measuring = 1;
    run_until(t0 + (long long)seconds * 1000000000LL, ps, players, t_start, ramp);
    measuring = 0;
    long long t1 = now_ns();
    double window = (t1 - t0) / 1e9;
    double *gaps = malloc(sizeof(double) * (size_t)players);
    if (!gaps) { perror("malloc"); return 1; }
    for (int i = 0; i < players; i++) {
        long long tail = t1 - ps[i].last_read_ns;
        gaps[i] = (double)(tail > ps[i].max_gap_ns ? tail : ps[i].max_gap_ns) / 1e6;
    }
    qsort(gaps, (size_t)players, sizeof *gaps, cmp_double);
    have_cpu = have_cpu && read_proc_cpu(server_pid, &cpu1, &user1);
    have_machine = have_machine && read_machine_cpu(&busy1, &soft1);
    double own = own_cpu() - own0;
    double rss = server_pid > 0 ? read_proc_rss_mb(server_pid) : 0;
    double anon_mb = server_pid > 0 ? read_proc_anon_mb(server_pid) : 0;

    long long delivered_bytes = 0;
    int failures = 0, nff = 0, ok = 0;
    for (int i = 0; i < players; i++) {
        long long d = received(&ps[i]) - before[i];
        delivered_bytes += d;
        kbps[i] = (double)d * 8 / window / 1000;
        if (expect > 0 && kbps[i] >= expect * 0.99) ok++;
        if (ps[i].failed) failures++;
        if (ps[i].first_frame_ms >= 0) ttff[nff++] = ps[i].first_frame_ms;
    }
    qsort(kbps, (size_t)players, sizeof *kbps, cmp_double);
    qsort(ttff, (size_t)nff, sizeof *ttff, cmp_double);
    double delivered = (double)delivered_bytes * 8;
    const char *kind = T.kind == K_HTTP ? "http" : T.kind == K_RTMP ? "rtmp" : "rtsp";
    printf("players: %d (%s), window %.1f s, ramp took %.1f s\n", players, kind, window, ramp_took);
    printf("delivered kbit/s per player: min %.0f, p1 %.0f, median %.0f, max %.0f\n",
           kbps[0], pct(kbps, players, 0.01), pct(kbps, players, 0.5), kbps[players - 1]);
    if (expect > 0) printf("players at >= 99%% of %d kbit/s: %d of %d\n", (int)expect, ok, players);
    printf("failures: %d\n", failures);
    printf("time to first video frame ms: p50 %.0f, p99 %.0f, max %.0f (%d players)\n",
           pct(ttff, nff, 0.5), pct(ttff, nff, 0.99), nff ? ttff[nff - 1] : 0, nff);
    printf("delivered: %.3f Gbit in the window\n", delivered / 1e9);
    printf("longest time without data per player ms: p50 %.0f, p99 %.0f, max %.0f\n",
           pct(gaps, players, 0.5), pct(gaps, players, 0.99), gaps[players - 1]);
    if (have_cpu) {
        double cpu = cpu1 - cpu0;
        printf("server CPU: %.2f s in the window (%.0f%% of one core); %.1f ms per delivered Gbit; RSS %.0f MB (anonymous %.0f MB)\n",
               cpu, cpu / window * 100, delivered > 0 ? cpu / (delivered / 1e9) * 1000 : 0, rss, anon_mb);
        printf("server user-space CPU: %.2f s in the window (%.2f cores); %.1f ms per delivered Gbit\n",
               user1 - user0, (user1 - user0) / window, delivered > 0 ? (user1 - user0) / (delivered / 1e9) * 1000 : 0);
    }
    printf("load tool CPU: %.2f s in the window (%.0f%% of one core)\n", own, own / window * 100);
    if (have_machine) {
        double busy = busy1 - busy0, other = busy - own - (have_cpu ? cpu1 - cpu0 : 0);
        printf("machine CPU: %.2f s busy in the window (softirq %.2f s; neither server nor load tool %.2f s); %.1f ms per delivered Gbit\n",
               busy, soft1 - soft0, other, delivered > 0 ? busy / (delivered / 1e9) * 1000 : 0);
    }
    /* Players neither failed nor playing: usually a server that has not accepted or answered them yet. */
    int connecting = 0, handshaking = 0, silent = 0, no_frame = 0, causes[C_COUNT] = {0}, steps[4] = {0};
    for (int i = 0; i < players; i++) {
        if (ps[i].failed) causes[ps[i].cause]++;
        if (ps[i].state == S_CONNECTING) connecting++;
        if (ps[i].state == S_HANDSHAKE) { handshaking++; if (ps[i].bytes == 0) silent++; steps[ps[i].step]++; }
        if (ps[i].state == S_PLAYING && ps[i].first_frame_ms < 0) no_frame++;
    }
    if (connecting + handshaking + no_frame > 0)
        printf("stalled players: %d connecting, %d in the handshake (%d of them received nothing), %d playing without a video frame\n",
               connecting, handshaking, silent, no_frame);
    if (T.kind == K_RTSP && handshaking > 0)
        printf("RTSP players in the handshake waiting for: OPTIONS %d, DESCRIBE %d, SETUP %d, PLAY %d\n",
               steps[R_OPTIONS], steps[R_DESCRIBE], steps[R_SETUP], steps[R_PLAY]);
    if (failures > 0)
        printf("failures by cause: %d connect, %d closed by the server, %d reset or write error, %d bad response or stream\n",
               causes[C_CONNECT], causes[C_CLOSED], causes[C_RESET], causes[C_PROTOCOL]);
    fflush(stdout);
    return 0;
}
