#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include "socket_shims.h"

enum { MR_SHIM_MAX = 1024 };

int mr_shim_sendmmsg(int fd, const mr_shim_datagram *datagrams, unsigned int count) {
    struct mmsghdr msgs[64];
    struct iovec iovs[64];
    if (count == 0 || count > MR_SHIM_MAX || datagrams == NULL) {
        errno = EINVAL;
        return -1;
    }
    /* 64 per call keeps the arrays on the stack small; the caller loops on a short count. */
    unsigned int n = count < 64 ? count : 64;
    memset(msgs, 0, sizeof(struct mmsghdr) * n);
    for (unsigned int i = 0; i < n; i++) {
        iovs[i].iov_base = (void *)datagrams[i].bytes;
        iovs[i].iov_len = datagrams[i].len;
        msgs[i].msg_hdr.msg_name = (void *)datagrams[i].name;
        msgs[i].msg_hdr.msg_namelen = datagrams[i].name_len;
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    return sendmmsg(fd, msgs, n, MSG_DONTWAIT);
}

int mr_shim_accept(int fd) {
    return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

static __thread struct iovec mr_shim_scratch[MR_SHIM_IOV];

struct iovec *mr_shim_iov(void) {
    return mr_shim_scratch;
}

ssize_t mr_shim_sendv(int fd, unsigned int count, int more) {
    struct msghdr msg;
    if (count == 0 || count > MR_SHIM_IOV) {
        errno = EINVAL;
        return -1;
    }
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = mr_shim_scratch;
    msg.msg_iovlen = count;
    return sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL | (more ? MSG_MORE : 0));
}

static __thread int mr_shim_delivering_now;

void mr_shim_set_delivering(int on) { mr_shim_delivering_now = on; }

int mr_shim_delivering(void) { return mr_shim_delivering_now; }

/* One thread's receive area: the slots' bytes in one mapping of their own (so pages no datagram reached are
 * never resident, whatever malloc's thresholds), the senders' addresses and the headers recvmmsg fills. */
typedef struct mr_recv_area {
    unsigned char *bytes;
    struct sockaddr_storage names[MR_SHIM_RECV_SLOTS];
    struct iovec iovs[MR_SHIM_RECV_SLOTS];
    struct mmsghdr msgs[MR_SHIM_RECV_SLOTS];
    mr_shim_received out[MR_SHIM_RECV_SLOTS];
} mr_recv_area;

static pthread_key_t mr_recv_key;
static pthread_once_t mr_recv_once = PTHREAD_ONCE_INIT;
static atomic_long mr_recv_live;

enum { MR_RECV_BYTES = MR_SHIM_RECV_SLOTS * MR_SHIM_RECV_SLOT_BYTES };

static void mr_recv_free(void *p) {
    mr_recv_area *area = p;
    munmap(area->bytes, MR_RECV_BYTES);
    free(area);
    atomic_fetch_sub(&mr_recv_live, 1);
}

static void mr_recv_make_key(void) {
    (void)pthread_key_create(&mr_recv_key, mr_recv_free);
}

static mr_recv_area *mr_recv_area_get(void) {
    (void)pthread_once(&mr_recv_once, mr_recv_make_key);
    mr_recv_area *area = pthread_getspecific(mr_recv_key);
    if (area != NULL) return area;
    area = calloc(1, sizeof *area);
    if (area == NULL) return NULL;
    void *bytes = mmap(NULL, MR_RECV_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (bytes == MAP_FAILED) {
        free(area);
        return NULL;
    }
    area->bytes = bytes;
    if (pthread_setspecific(mr_recv_key, area) != 0) {
        munmap(bytes, MR_RECV_BYTES);
        free(area);
        return NULL;
    }
    /* Only msg_namelen (in and out) and msg_len change between calls; the rest is set once. */
    for (unsigned int i = 0; i < MR_SHIM_RECV_SLOTS; i++) {
        area->iovs[i].iov_base = area->bytes + (size_t)i * MR_SHIM_RECV_SLOT_BYTES;
        area->iovs[i].iov_len = MR_SHIM_RECV_SLOT_BYTES;
        area->msgs[i].msg_hdr.msg_name = &area->names[i];
        area->msgs[i].msg_hdr.msg_iov = &area->iovs[i];
        area->msgs[i].msg_hdr.msg_iovlen = 1;
        area->out[i].bytes = area->iovs[i].iov_base;
        area->out[i].name = (const struct sockaddr *)&area->names[i];
    }
    atomic_fetch_add(&mr_recv_live, 1);
    return area;
}

int mr_shim_recvmmsg(int fd, const mr_shim_received **out) {
    mr_recv_area *area = mr_recv_area_get();
    *out = NULL;
    if (area == NULL) {
        errno = ENOMEM;
        return -1;
    }
    for (unsigned int i = 0; i < MR_SHIM_RECV_SLOTS; i++) area->msgs[i].msg_hdr.msg_namelen = sizeof area->names[i];
    int n = recvmmsg(fd, area->msgs, MR_SHIM_RECV_SLOTS, MSG_DONTWAIT, NULL);
    for (int i = 0; i < n; i++) {
        area->out[i].len = area->msgs[i].msg_len;
        area->out[i].name_len = area->msgs[i].msg_hdr.msg_namelen;
    }
    if (n > 0) *out = area->out;
    return n;
}

long mr_shim_recv_areas(void) {
    return atomic_load(&mr_recv_live);
}
