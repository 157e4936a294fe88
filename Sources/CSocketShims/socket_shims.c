#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
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
