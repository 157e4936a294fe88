/*
 * srt_load: SRT load for the srt plugin's fan-out benchmark (docs/benchmarks.md), on libsrt like the server.
 *
 *   srt_load play HOST PORT STREAMID PLAYERS SECONDS
 *       PLAYERS callers read STREAMID; one thread waits on srt_epoll_uwait for all of them and drains
 *       srt_recvmsg. Prints per-player received bytes (min, median, max) and the total.
 *   srt_load publish HOST PORT APP PUBLISHERS SECONDS FILE.ts KBITS
 *       PUBLISHERS callers publish APP/p<i>, each sending FILE.ts (looped) in 1316-byte messages paced to KBITS;
 *       non-blocking sends. Prints per-publisher sent rate (min, median, max), bytes libsrt refused, and the
 *       retransmissions and losses the publishers' libsrt counted.
 *
 * SRT_LOAD_FC=N in the environment sets the callers' SRTO_FC.
 *
 * Build: cc -O2 -o srt_load srt_load.c $(pkg-config --cflags --libs srt)
 */
#include <srt/srt.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static SRTSOCKET caller(const char *host, int port, const char *streamid, int reading) {
    SRTSOCKET s = srt_create_socket();
    int live = SRTT_LIVE, no = 0, latency = 200;
    srt_setsockflag(s, SRTO_TRANSTYPE, &live, sizeof live);
    srt_setsockflag(s, SRTO_LATENCY, &latency, sizeof latency);
    /* SRT_LOAD_FC: the callers' flow window (libsrt's default 25600), which sizes the server's sender loss list. */
    const char *fc = getenv("SRT_LOAD_FC");
    int window = fc ? atoi(fc) : 0;
    if (window > 0) srt_setsockflag(s, SRTO_FC, &window, sizeof window);
    if (reading) {
        /* No TSBPD thread per player (hundreds would swamp this machine): messages are taken as they arrive,
           and nothing is dropped as too late, so every byte the server sends is counted. */
        srt_setsockflag(s, SRTO_TSBPDMODE, &no, sizeof no);
        srt_setsockflag(s, SRTO_TLPKTDROP, &no, sizeof no);
    }
    srt_setsockflag(s, SRTO_STREAMID, streamid, (int)strlen(streamid));
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    inet_pton(AF_INET, host, &sa.sin_addr);
    if (srt_connect(s, (struct sockaddr *)&sa, sizeof sa) == SRT_ERROR) {
        fprintf(stderr, "connect %s: %s (reject %d)\n", streamid, srt_getlasterror_str(), srt_getrejectreason(s));
        srt_close(s);
        return SRT_INVALID_SOCK;
    }
    srt_setsockflag(s, SRTO_RCVSYN, &no, sizeof no);
    return s;
}

static int cmp(const void *a, const void *b) {
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static int play(const char *host, int port, const char *sid, int n, double seconds) {
    SRTSOCKET *socks = calloc((size_t)n, sizeof *socks);
    long long *bytes = calloc((size_t)n, sizeof *bytes);
    int eid = srt_epoll_create(), connected = 0;
    srt_epoll_set(eid, SRT_EPOLL_ENABLE_EMPTY);
    for (int i = 0; i < n; i++) {
        socks[i] = caller(host, port, sid, 1);
        if (socks[i] == SRT_INVALID_SOCK) continue;
        int ev = SRT_EPOLL_IN | SRT_EPOLL_ERR;
        srt_epoll_add_usock(eid, socks[i], &ev);
        connected++;
    }
    fprintf(stderr, "%d of %d players connected\n", connected, n);
    char buf[1500];
    SRT_EPOLL_EVENT events[1024];
    double start = now_s(), end = start + seconds;
    while (now_s() < end) {
        int k = srt_epoll_uwait(eid, events, 1024, 100);
        for (int e = 0; e < k; e++) {
            int i = 0;
            for (; i < n && socks[i] != events[e].fd; i++) {}   /* n is small: a scan is fine */
            if (i == n) continue;
            int r;
            while ((r = srt_recvmsg(socks[i], buf, sizeof buf)) > 0) bytes[i] += r;
            if (r < 0 && srt_getlasterror(NULL) != SRT_EASYNCRCV) {
                srt_epoll_remove_usock(eid, socks[i]);
            }
        }
    }
    double took = now_s() - start;
    long long total = 0;
    for (int i = 0; i < n; i++) total += bytes[i];
    qsort(bytes, (size_t)n, sizeof *bytes, cmp);
    printf("players %d connected %d seconds %.1f total_bytes %lld mbit_s_per_player min %.3f median %.3f max %.3f total_mbit_s %.1f\n",
           n, connected, took, total, bytes[0] * 8 / took / 1e6, bytes[n / 2] * 8 / took / 1e6, bytes[n - 1] * 8 / took / 1e6,
           total * 8 / took / 1e6);
    for (int i = 0; i < n; i++) if (socks[i] != SRT_INVALID_SOCK) srt_close(socks[i]);
    return 0;
}

static int publish(const char *host, int port, const char *app, int n, double seconds, const char *file, int kbits) {
    FILE *f = fopen(file, "rb");
    if (!f) { perror(file); return 1; }
    fseek(f, 0, SEEK_END);
    long size = ftell(f) / 1316 * 1316;
    fseek(f, 0, SEEK_SET);
    char *ts = malloc((size_t)size);
    if (size <= 0 || !ts || fread(ts, 1, (size_t)size, f) != (size_t)size) { fclose(f); fprintf(stderr, "%s: too short\n", file); return 1; }
    fclose(f);
    SRTSOCKET *socks = calloc((size_t)n, sizeof *socks);
    long long *sent = calloc((size_t)n, sizeof *sent), *refused = calloc((size_t)n, sizeof *refused);
    int connected = 0, no = 0;
    for (int i = 0; i < n; i++) {
        char sid[256];
        snprintf(sid, sizeof sid, "#!::r=%s/p%d,m=publish", app, i);
        socks[i] = caller(host, port, sid, 0);
        if (socks[i] == SRT_INVALID_SOCK) continue;
        /* Non-blocking: one publisher whose send buffer is full must not hold back the others; what libsrt
           refuses is counted, so a publisher that did not send its whole stream shows. */
        srt_setsockflag(socks[i], SRTO_SNDSYN, &no, sizeof no);
        connected++;
    }
    fprintf(stderr, "%d of %d publishers connected\n", connected, n);
    /* Every publisher sends the same message at the same tick, paced to KBITS each. */
    double interval = 1316.0 * 8 / (kbits * 1000.0), start = now_s();
    long long msg = 0;
    while (now_s() - start < seconds) {
        double due = start + (double)msg * interval;
        double wait = due - now_s();
        if (wait > 0) { struct timespec t = { 0, (long)(wait * 1e9) }; nanosleep(&t, NULL); }
        long off = (msg * 1316) % size;
        for (int i = 0; i < n; i++) {
            if (socks[i] == SRT_INVALID_SOCK) continue;
            if (srt_sendmsg2(socks[i], ts + off, 1316, NULL) > 0) sent[i] += 1316;
            else refused[i] += 1316;
        }
        msg++;
    }
    double took = now_s() - start;
    long long total = 0, lost = 0;
    for (int i = 0; i < n; i++) { total += sent[i]; lost += refused[i]; }
    qsort(sent, (size_t)n, sizeof *sent, cmp);
    SRT_TRACEBSTATS st;
    long long retrans = 0, sndloss = 0;
    for (int i = 0; i < n; i++) {
        if (socks[i] == SRT_INVALID_SOCK || srt_bstats(socks[i], &st, 0) != 0) continue;
        retrans += st.pktRetransTotal;
        sndloss += st.pktSndLossTotal;
    }
    printf("publishers %d connected %d seconds %.1f mbit_s_per_publisher min %.3f median %.3f max %.3f total_mbit_s %.1f "
           "refused_bytes %lld retransmitted_pkts %lld reported_lost_pkts %lld\n",
           n, connected, took, sent[0] * 8 / took / 1e6, sent[n / 2] * 8 / took / 1e6, sent[n - 1] * 8 / took / 1e6,
           total * 8 / took / 1e6, lost, retrans, sndloss);
    for (int i = 0; i < n; i++) if (socks[i] != SRT_INVALID_SOCK) srt_close(socks[i]);
    return 0;
}

int main(int argc, char **argv) {
    srt_startup();
    srt_setloglevel(2);
    if (argc == 7 && !strcmp(argv[1], "play")) return play(argv[2], atoi(argv[3]), argv[4], atoi(argv[5]), atof(argv[6]));
    if (argc == 9 && !strcmp(argv[1], "publish"))
        return publish(argv[2], atoi(argv[3]), argv[4], atoi(argv[5]), atof(argv[6]), argv[7], atoi(argv[8]));
    fprintf(stderr, "usage: srt_load play HOST PORT STREAMID PLAYERS SECONDS\n"
                    "       srt_load publish HOST PORT APP PUBLISHERS SECONDS FILE.ts KBITS\n");
    return 2;
}
