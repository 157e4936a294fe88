/* GB28181 camera load: N cameras sending one MPEG-PS file as RTP over UDP at its own pace (the pack headers'
 * SCR), each with its own socket and SSRC, to a list of RTP server ports (one per camera) or one port for all.
 * Not the server's muxer: the PS comes from a file (ffmpeg -f mpeg or any camera capture).
 *
 *   gb_load FILE HOST PORTS SECONDS [SSRC_BASE]
 *     PORTS: "10000" (every camera to one port, told apart by SSRC) or "30000,30002,..." (camera i to port i).
 *   Prints one line: cameras, packets, bytes, seconds, Mbit/s per camera, send errors. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { MAX_CAMERAS = 4096, CHUNK = 1400 };

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
    size_t *next = calloc((size_t)count, sizeof(size_t));
    uint16_t *seq = calloc((size_t)count, sizeof(uint16_t));
    uint64_t *loops = calloc((size_t)count, sizeof(uint64_t));
    double *start = calloc((size_t)count, sizeof(double));
    double t0 = now_s();
    for (int c = 0; c < count; c++) {
        fds[c] = socket(AF_INET, SOCK_DGRAM, 0);
        int buf = 1 << 20;
        setsockopt(fds[c], SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
        to[c].sin_family = AF_INET;
        to[c].sin_port = htons((uint16_t)(single ? ports[0] : ports[c]));
        inet_pton(AF_INET, argv[2], &to[c].sin_addr);
        /* Cameras start spread over one frame interval, as real ones are not in step. */
        start[c] = t0 + (double)c / count * 0.04;
        seq[c] = (uint16_t)(c * 7919);
    }
    unsigned long long packets = 0, bytes = 0, errors = 0;
    uint8_t pkt[12 + CHUNK];
    while (now_s() - t0 < seconds) {
        double t = now_s();
        for (int c = 0; c < count; c++) {
            for (;;) {
                pack_t *p = &packs[next[c]];
                double due = start[c] + (double)(loops[c] * span + (p->scr90k - first)) / 90000.0;
                if (due > t) break;
                /* One frame: this pack and the following ones with the same SCR. */
                size_t end = next[c];
                while (end + 1 < n && packs[end + 1].scr90k == p->scr90k) end++;
                size_t from = p->offset, to_off = packs[end].offset + packs[end].len;
                uint32_t ts = (uint32_t)(loops[c] * span + (p->scr90k - first));
                for (size_t at = from; at < to_off; at += CHUNK) {
                    size_t len = to_off - at < CHUNK ? to_off - at : CHUNK;
                    int last = at + len >= to_off;
                    uint32_t ssrc = ssrc_base + (uint32_t)c;
                    pkt[0] = 0x80; pkt[1] = (uint8_t)(96 | (last ? 0x80 : 0));
                    pkt[2] = (uint8_t)(seq[c] >> 8); pkt[3] = (uint8_t)seq[c]; seq[c]++;
                    pkt[4] = (uint8_t)(ts >> 24); pkt[5] = (uint8_t)(ts >> 16); pkt[6] = (uint8_t)(ts >> 8); pkt[7] = (uint8_t)ts;
                    pkt[8] = (uint8_t)(ssrc >> 24); pkt[9] = (uint8_t)(ssrc >> 16); pkt[10] = (uint8_t)(ssrc >> 8); pkt[11] = (uint8_t)ssrc;
                    memcpy(pkt + 12, ps + at, len);
                    if (sendto(fds[c], pkt, 12 + len, 0, (struct sockaddr *)&to[c], sizeof to[c]) < 0) errors++;
                    else { packets++; bytes += 12 + len; }
                }
                next[c] = end + 1;
                if (next[c] >= n) { next[c] = 0; loops[c]++; }
            }
        }
        usleep(2000);
    }
    double elapsed = now_s() - t0;
    printf("cameras=%d packets=%llu bytes=%llu seconds=%.2f mbps_per_camera=%.3f send_errors=%llu\n", count, packets, bytes,
           elapsed, bytes * 8.0 / elapsed / 1e6 / count, errors);
    return 0;
}
