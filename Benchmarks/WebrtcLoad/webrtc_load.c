// N WHEP players for the WebRTC fan-out benchmark (docs/benchmarks.md): each posts a video-only offer, sends
// an ICE check with USE-CANDIDATE to the server's ICE-lite agent, runs the DTLS-SRTP handshake as the DTLS
// client on its own connected UDP socket, then only counts what arrives (no decryption: the client's cost
// stays small next to the server's). A check every 2 s keeps consent (RFC 7675).
//   webrtc_load <http-port> <udp-port> <path, e.g. /live/bench/whep> <players> <seconds> <cm|gcm>
// Prints: players=N connected=N bytes=B packets=P seconds=S
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

typedef struct {
    int fd;
    char lufrag[16], lpwd[32], rufrag[64], rpwd[128];
    int connected;
    unsigned long long bytes, packets;
} Player;

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void random_token(char *out, int n) {
    static const char abc[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    unsigned char r[64];
    RAND_bytes(r, n);
    for (int i = 0; i < n; i++) out[i] = abc[r[i] % 62];
    out[n] = 0;
}

static int sdp_value(const char *sdp, const char *key, char *out, size_t cap) {
    const char *p = strstr(sdp, key);
    if (!p) return 0;
    p += strlen(key);
    size_t n = strcspn(p, "\r\n");
    if (n >= cap) return 0;
    memcpy(out, p, n);
    out[n] = 0;
    return 1;
}

// POST the offer, read the whole answer (the server closes or sends Content-Length; read until the body is in).
static int whep(int http_port, const char *path, const char *offer, char *answer, size_t cap) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(http_port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) { close(fd); return -1; }
    char req[8192];
    int n = snprintf(req, sizeof req, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sdp\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", path, strlen(offer), offer);
    if (write(fd, req, n) != n) { close(fd); return -1; }
    size_t got = 0;
    for (;;) {
        ssize_t r = read(fd, answer + got, cap - 1 - got);
        if (r <= 0) break;
        got += r;
        answer[got] = 0;
        const char *body = strstr(answer, "\r\n\r\n");
        const char *cl = strcasestr(answer, "Content-Length:");
        if (body && cl && (size_t)(answer + got - (body + 4)) >= (size_t)atol(cl + 15)) break;
        if (got + 1 >= cap) break;
    }
    answer[got] = 0;
    close(fd);
    return strncmp(answer, "HTTP/1.1 201", 12) == 0 ? 0 : -1;
}

static void put16(unsigned char *p, unsigned v) { p[0] = v >> 8; p[1] = v; }
static void put32(unsigned char *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }

// RFC 8445 binding request: USERNAME, PRIORITY, ICE-CONTROLLING, USE-CANDIDATE, MESSAGE-INTEGRITY, FINGERPRINT.
static void send_check(Player *p) {
    unsigned char m[256];
    int n = 20;
    put16(m, 0x0001);
    put32(m + 4, 0x2112A442);
    RAND_bytes(m + 8, 12);
    char user[200];
    int ulen = snprintf(user, sizeof user, "%s:%s", p->rufrag, p->lufrag);
    put16(m + n, 0x0006); put16(m + n + 2, ulen);
    memcpy(m + n + 4, user, ulen);
    n += 4 + ((ulen + 3) & ~3);
    put16(m + n, 0x0024); put16(m + n + 2, 4); put32(m + n + 4, 0x6E0001FF); n += 8;
    put16(m + n, 0x802A); put16(m + n + 2, 8); RAND_bytes(m + n + 4, 8); n += 12;
    put16(m + n, 0x0025); put16(m + n + 2, 0); n += 4;
    put16(m + 2, n - 20 + 24);
    unsigned int hl = 20;
    HMAC(EVP_sha1(), p->rpwd, strlen(p->rpwd), m, n, m + n + 4, &hl);
    put16(m + n, 0x0008); put16(m + n + 2, 20); n += 24;
    put16(m + 2, n - 20 + 8);
    uint32_t crc = crc32(0, m, n) ^ 0x5354554E;
    put16(m + n, 0x8028); put16(m + n + 2, 4); put32(m + n + 4, crc); n += 8;
    (void)!send(p->fd, m, n, 0);
}

static X509 *make_cert(EVP_PKEY **key, char *fingerprint) {
    *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, *key);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)"webrtc_load", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_sign(x, *key, EVP_sha256());
    unsigned char md[32];
    unsigned int mdlen = 0;
    X509_digest(x, EVP_sha256(), md, &mdlen);
    for (unsigned i = 0; i < mdlen; i++) sprintf(fingerprint + 3 * i, "%02X%s", md[i], i + 1 < mdlen ? ":" : "");
    return x;
}

int main(int argc, char **argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: webrtc_load http-port udp-port path players seconds cm|gcm\n");
        return 2;
    }
    int http_port = atoi(argv[1]), udp_port = atoi(argv[2]), count = atoi(argv[4]);
    const char *path = argv[3];
    double seconds = atof(argv[5]);
    int gcm = strcmp(argv[6], "gcm") == 0;
    EVP_PKEY *key;
    char fp[128];
    X509 *cert = make_cert(&key, fp);
    SSL_CTX *ctx = SSL_CTX_new(DTLS_client_method());
    SSL_CTX_use_certificate(ctx, cert);
    SSL_CTX_use_PrivateKey(ctx, key);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    // A non-zero return is failure here (OpenSSL's convention for this call).
    if (SSL_CTX_set_tlsext_use_srtp(ctx, gcm ? "SRTP_AEAD_AES_128_GCM" : "SRTP_AES128_CM_SHA1_80")) {
        fprintf(stderr, "use_srtp failed\n");
        return 1;
    }
    Player *players = calloc(count, sizeof *players);
    int ep = epoll_create1(0);
    static char answer[65536];
    struct sockaddr_in server = {.sin_family = AF_INET, .sin_port = htons(udp_port)};
    inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
    int connected = 0;
    double t0 = now_s();
    for (int i = 0; i < count; i++) {
        Player *p = &players[i];
        random_token(p->lufrag, 8);
        random_token(p->lpwd, 24);
        p->fd = socket(AF_INET, SOCK_DGRAM, 0);
        int rcv = 1 << 20;
        setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
        struct sockaddr_in local = {.sin_family = AF_INET};
        inet_pton(AF_INET, "127.0.0.1", &local.sin_addr);
        bind(p->fd, (struct sockaddr *)&local, sizeof local);
        socklen_t ll = sizeof local;
        getsockname(p->fd, (struct sockaddr *)&local, &ll);
        connect(p->fd, (struct sockaddr *)&server, sizeof server);
        char offer[4096];
        snprintf(offer, sizeof offer,
                 "v=0\r\no=- %d 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\na=msid-semantic: WMS\r\n"
                 "m=video %d UDP/TLS/RTP/SAVPF 102 103\r\nc=IN IP4 127.0.0.1\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
                 "a=candidate:1 1 udp 2130706431 127.0.0.1 %d typ host\r\na=ice-ufrag:%s\r\na=ice-pwd:%s\r\n"
                 "a=fingerprint:sha-256 %s\r\na=setup:active\r\na=mid:0\r\na=recvonly\r\na=rtcp-mux\r\n"
                 "a=rtpmap:102 H264/90000\r\na=rtcp-fb:102 nack\r\na=rtcp-fb:102 nack pli\r\n"
                 "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"
                 "a=rtpmap:103 rtx/90000\r\na=fmtp:103 apt=102\r\n",
                 i + 1, ntohs(local.sin_port), ntohs(local.sin_port), p->lufrag, p->lpwd, fp);
        double tp = now_s();
        if (whep(http_port, path, offer, answer, sizeof answer) < 0) {
            fprintf(stderr, "player %d: WHEP refused: %.200s\n", i, answer);
            continue;
        }
        if (!sdp_value(answer, "a=ice-ufrag:", p->rufrag, sizeof p->rufrag) || !sdp_value(answer, "a=ice-pwd:", p->rpwd, sizeof p->rpwd)) {
            fprintf(stderr, "player %d: no ICE credentials in the answer\n", i);
            continue;
        }
        double tw = now_s();
        send_check(p);
        struct pollfd pf = {.fd = p->fd, .events = POLLIN};
        unsigned char buf[2048];
        if (poll(&pf, 1, 2000) <= 0 || recv(p->fd, buf, sizeof buf, 0) < 20 || buf[0] != 0x01 || buf[1] != 0x01) {
            fprintf(stderr, "player %d: no binding success\n", i);
            continue;
        }
        SSL *ssl = SSL_new(ctx);
        BIO *bio = BIO_new_dgram(p->fd, BIO_NOCLOSE);
        BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, &server);
        struct timeval tv = {2, 0};
        BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_RECV_TIMEOUT, 0, &tv);
        SSL_set_bio(ssl, bio, bio);
        if (SSL_connect(ssl) != 1) {
            fprintf(stderr, "player %d: DTLS handshake failed\n", i);
            SSL_free(ssl);
            continue;
        }
        const char *trace = getenv("WEBRTC_LOAD_TRACE");
        if (trace && *trace) fprintf(stderr, "player %d: answer %.3f s, check+DTLS %.3f s\n", i, tw - tp, now_s() - tw);
        const SRTP_PROTECTION_PROFILE *prof = SSL_get_selected_srtp_profile(ssl);
        if (i == 0) fprintf(stderr, "SRTP profile: %s\n", prof ? prof->name : "none");
        // The SSL object goes; the socket stays for media (the server needs no DTLS close).
        SSL_free(ssl);
        p->connected = 1;
        connected++;
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
        epoll_ctl(ep, EPOLL_CTL_ADD, p->fd, &ev);
    }
    fprintf(stderr, "%d of %d connected in %.1f s\n", connected, count, now_s() - t0);
    double start = now_s(), lastCheck = start, report = start;
    struct epoll_event evs[256];
    unsigned char buf[2048];
    while (now_s() - start < seconds) {
        int n = epoll_wait(ep, evs, 256, 100);
        for (int k = 0; k < n; k++) {
            Player *p = &players[evs[k].data.u32];
            for (;;) {
                ssize_t r = recv(p->fd, buf, sizeof buf, MSG_DONTWAIT);
                if (r <= 0) break;
                p->bytes += r;
                p->packets++;
            }
        }
        double t = now_s();
        if (t - lastCheck >= 2) {
            lastCheck = t;
            for (int i = 0; i < count; i++) if (players[i].connected) send_check(&players[i]);
        }
        if (t - report >= 5) {
            report = t;
            unsigned long long b = 0;
            for (int i = 0; i < count; i++) b += players[i].bytes;
            fprintf(stderr, "t=%.0f s: %.3f Gbit\n", t - start, b * 8 / 1e9);
        }
    }
    unsigned long long bytes = 0, packets = 0, minb = ~0ULL, maxb = 0;
    for (int i = 0; i < count; i++) {
        if (!players[i].connected) continue;
        bytes += players[i].bytes;
        packets += players[i].packets;
        if (players[i].bytes < minb) minb = players[i].bytes;
        if (players[i].bytes > maxb) maxb = players[i].bytes;
    }
    printf("players=%d connected=%d bytes=%llu packets=%llu seconds=%.2f min_player_bytes=%llu max_player_bytes=%llu\n", count, connected,
           bytes, packets, now_s() - start, connected ? minb : 0, maxb);
    return 0;
}
