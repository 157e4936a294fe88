#ifndef MEDIAROUTER_SOCKET_SHIMS_H
#define MEDIAROUTER_SOCKET_SHIMS_H

/* What Swift's Glibc module hides behind _GNU_SOURCE: sendmmsg and struct mmsghdr, for the core's direct
 * UDP sends (RouterCore/Transport/UdpDirectSend.swift). */
#include <stddef.h>
#include <sys/socket.h>

typedef struct mr_shim_datagram {
    const void *name;      /* a sockaddr_in / sockaddr_in6 */
    socklen_t name_len;
    const void *bytes;
    size_t len;
} mr_shim_datagram;

/* Sends up to `count` datagrams with one sendmmsg (MSG_DONTWAIT): the number sent, or -1 with errno set when
 * the first one failed. At most 1024 per call. */
int mr_shim_sendmmsg(int fd, const mr_shim_datagram *datagrams, unsigned int count);

#endif
