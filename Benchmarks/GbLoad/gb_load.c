/* GB28181 camera load: N cameras sending one MPEG-PS file as RTP over UDP at its own pace (the pack headers'
 * SCR), each with its own socket and SSRC, to a list of RTP server ports (one per camera) or one port for all.
 * Not the server's muxer: the PS comes from a file (ffmpeg -f mpeg or any camera capture).
 *
 *   gb_load FILE HOST PORTS SECONDS [SSRC_BASE]
 *     PORTS: "10000" (every camera to one port, told apart by SSRC) or "30000,30002,..." (camera i to port i).
 *   Prints one line: cameras, packets, bytes, seconds, Mbit/s per camera, send errors, packs sent over 40 ms late (the sender falling behind).
 * A camera's frame goes out with one sendmmsg (the RTP headers point at the file, nothing is copied), and
 * GB_THREADS=n (default 1) splits the cameras over n threads, so the sender is not what limits the count. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

enum { MAX_CAMERAS = 4096, CHUNK = 1400, BATCH = 256 };

typedef struct { size_t offset, len; uint64_t scr90k; } pack_t;

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* The SCR base (90 kHz) of an MPEG-2 pack header (ISO 13818-1 2.5.3.3), or of an MPEG-1 one. */
static int scr_of(const uint8_t *p, size_t len, uint64_t *out) {
    if (len < 12) return -1;
    if ((p[4] & 0xC0) == 0x40) {
        *out = ((uint64_t)(p[4] & 0x38) << 27) | ((uint64_t)(p[4] & 0x03) << 28) | ((uint64_t)p[5] << 20) |
               ((uint64_t)(p[6] & 0xF8) << 12) | ((uint64_t)(p[6] & 0x03) << 13) | ((uint64_t)p[7] << 5) | (p[8] >> 3);
        return 0;
    }
    if ((p[4] & 0xF0) == 0x20) {
        *out = ((uint64_t)(p[4] & 0x0E) << 29) | ((uint64_t)p[5] << 22) | ((uint64_t)(p[6] & 0xFE) << 14) |
               ((uint64_t)p[7] << 7) | (p[8] >> 1);
        return 0;
    }
    return -1;
}

/* What every sending thread shares (read-only once set up) and what one thread sends. */
typedef struct {
    const uint8_t *ps;
    const pack_t *packs;
    size_t n;
    uint64_t first, span;
    double t0, seconds;
    uint32_t ssrc_base;
    int count;
    int *fds;
    struct sockaddr_in *to;
} shared_t;

typedef struct {
    const shared_t *sh;
    int from, to;
    unsigned long long packets, bytes, errors, late;
} worker_t;

static void *run(void *arg) {
    worker_t *w = arg;
    const shared_t *sh = w->sh;
    int span_c = w->to - w->from;
    size_t *next = calloc((size_t)span_c, sizeof(size_t));
    uint16_t *seq = calloc((size_t)span_c, sizeof(uint16_t));
    uint64_t *loops = calloc((size_t)span_c, sizeof(uint64_t));
    double *start = calloc((size_t)span_c, sizeof(double));
    static __thread uint8_t hdr[BATCH][12];
    static __thread struct iovec iov[BATCH][2];
    static __thread struct mmsghdr msgs[BATCH];
    for (int k = 0; k < span_c; k++) {
        int c = w->from + k;
        /* Cameras start spread over one frame interval, as real ones are not in step. */
        start[k] = sh->t0 + (double)c / sh->count * 0.04;
        seq[k] = (uint16_t)(c * 7919);
    }
    while (now_s() - sh->t0 < sh->seconds) {
        double t = now_s();
        for (int k = 0; k < span_c; k++) {
            int c = w->from + k;
            uint32_t ssrc = sh->ssrc_base + (uint32_t)c;
            for (;;) {
                const pack_t *p = &sh->packs[next[k]];
                double due = start[k] + (double)(loops[k] * sh->span + (p->scr90k - sh->first)) / 90000.0;
                if (due > t) break;
                if (t - due > 0.04) w->late++;
                /* One frame: this pack and the following ones with the same SCR. */
                size_t end = next[k];
                while (end + 1 < sh->n && sh->packs[end + 1].scr90k == p->scr90k) end++;
                size_t from = p->offset, to_off = sh->packs[end].offset + sh->packs[end].len;
                uint32_t ts = (uint32_t)(loops[k] * sh->span + (p->scr90k - sh->first));
                int m = 0;
                for (size_t at = from; at < to_off; at += CHUNK) {
                    size_t len = to_off - at < CHUNK ? to_off - at : CHUNK;
                    int last = at + len >= to_off;
                    uint8_t *h = hdr[m];
                    h[0] = 0x80; h[1] = (uint8_t)(96 | (last ? 0x80 : 0));
                    h[2] = (uint8_t)(seq[k] >> 8); h[3] = (uint8_t)seq[k]; seq[k]++;
                    h[4] = (uint8_t)(ts >> 24); h[5] = (uint8_t)(ts >> 16); h[6] = (uint8_t)(ts >> 8); h[7] = (uint8_t)ts;
                    h[8] = (uint8_t)(ssrc >> 24); h[9] = (uint8_t)(ssrc >> 16); h[10] = (uint8_t)(ssrc >> 8); h[11] = (uint8_t)ssrc;
                    iov[m][0] = (struct iovec){ h, 12 };
                    iov[m][1] = (struct iovec){ (void *)(sh->ps + at), len };
                    msgs[m].msg_hdr = (struct msghdr){ .msg_name = &sh->to[c], .msg_namelen = sizeof sh->to[c],
                                                       .msg_iov = iov[m], .msg_iovlen = 2 };
                    m++;
                    if (m == BATCH || last) {
                        int sent = 0;
                        while (sent < m) {
                            int r = sendmmsg(sh->fds[c], msgs + sent, (unsigned)(m - sent), 0);
                            if (r <= 0) { w->errors += (unsigned long long)(m - sent); break; }
                            for (int i = sent; i < sent + r; i++) { w->packets++; w->bytes += msgs[i].msg_len; }
                            sent += r;
                        }
                        m = 0;
                    }
                }
                next[k] = end + 1;
                if (next[k] >= sh->n) { next[k] = 0; loops[k]++; }
            }
        }
        usleep(2000);
    }
    free(next); free(seq); free(loops); free(start);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: gb_load FILE HOST PORTS SECONDS [SSRC_BASE]\n"); return 2; }
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 1; }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (size <= 0) { fprintf(stderr, "empty file\n"); return 1; }
    uint8_t *ps = malloc((size_t)size);
    if (!ps || fread(ps, 1, (size_t)size, f) != (size_t)size) { fprintf(stderr, "cannot read the file\n"); return 1; }
    fclose(f);

    /* Packs: from one pack header (00 00 01 BA) to the next. Consecutive packs with one SCR go out as one RTP
     * frame (one timestamp, marker on its last packet), as a camera sends a picture. */
    size_t cap = 1024, n = 0;
    pack_t *packs = malloc(cap * sizeof(pack_t));
    for (size_t i = 0; i + 4 <= (size_t)size; i++) {
        if (ps[i] == 0 && ps[i + 1] == 0 && ps[i + 2] == 1 && ps[i + 3] == 0xBA) {
            if (n == cap) { cap *= 2; packs = realloc(packs, cap * sizeof(pack_t)); }
            uint64_t scr = 0;
            if (scr_of(ps + i, (size_t)size - i, &scr) != 0) continue;
            if (n) packs[n - 1].len = i - packs[n - 1].offset;
            packs[n].offset = i; packs[n].scr90k = scr; packs[n].len = 0;
            n++;
        }
    }
    if (n < 2) { fprintf(stderr, "no pack headers in %s\n", argv[1]); return 1; }
    packs[n - 1].len = (size_t)size - packs[n - 1].offset;
    uint64_t first = packs[0].scr90k, span = packs[n - 1].scr90k - first + 3600;

    int ports[MAX_CAMERAS], cameras = 0;
    for (char *tok = strtok(argv[3], ","); tok && cameras < MAX_CAMERAS; tok = strtok(NULL, ",")) ports[cameras++] = atoi(tok);
    double seconds = atof(argv[4]);
    uint32_t ssrc_base = argc > 5 ? (uint32_t)strtoul(argv[5], NULL, 0) : 0x10000000u;
    int single = cameras == 1;
    int count = single ? atoi(getenv("GB_CAMERAS") ? getenv("GB_CAMERAS") : "1") : cameras;
    if (count < 1 || count > MAX_CAMERAS) { fprintf(stderr, "bad camera count\n"); return 2; }

    int *fds = calloc((size_t)count, sizeof(int));
    struct sockaddr_in *to = calloc((size_t)count, sizeof(struct sockaddr_in));
    for (int c = 0; c < count; c++) {
        fds[c] = socket(AF_INET, SOCK_DGRAM, 0);
        int buf = 1 << 20;
        setsockopt(fds[c], SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
        to[c].sin_family = AF_INET;
        to[c].sin_port = htons((uint16_t)(single ? ports[0] : ports[c]));
        inet_pton(AF_INET, argv[2], &to[c].sin_addr);
    }
    int threads = getenv("GB_THREADS") ? atoi(getenv("GB_THREADS")) : 1;
    if (threads < 1) threads = 1;
    if (threads > count) threads = count;
    shared_t sh = { ps, packs, n, first, span, now_s(), seconds, ssrc_base, count, fds, to };
    worker_t *workers = calloc((size_t)threads, sizeof(worker_t));
    pthread_t *tids = calloc((size_t)threads, sizeof(pthread_t));
    for (int i = 0; i < threads; i++) {
        workers[i] = (worker_t){ .sh = &sh, .from = count * i / threads, .to = count * (i + 1) / threads };
        pthread_create(&tids[i], NULL, run, &workers[i]);
    }
    unsigned long long packets = 0, bytes = 0, errors = 0, late = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(tids[i], NULL);
        packets += workers[i].packets; bytes += workers[i].bytes; errors += workers[i].errors; late += workers[i].late;
    }
    double elapsed = now_s() - sh.t0;
    printf("cameras=%d packets=%llu bytes=%llu seconds=%.2f mbps_per_camera=%.3f send_errors=%llu late_packs=%llu\n", count, packets,
           bytes, elapsed, bytes * 8.0 / elapsed / 1e6 / count, errors, late);
    return 0;
}
