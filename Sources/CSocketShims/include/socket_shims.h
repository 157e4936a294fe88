#ifndef MEDIAROUTER_SOCKET_SHIMS_H
#define MEDIAROUTER_SOCKET_SHIMS_H

/* What Swift's Glibc module hides behind _GNU_SOURCE: sendmmsg, recvmmsg and struct mmsghdr, for the core's
 * direct UDP sends and batched reads (RouterCore/Transport/UdpDirectSend.swift, UdpBatchRead.swift); accept4 and MSG_MORE for its TCP listeners and direct
 * TCP writes (TcpAcceptor.swift, TcpDirectWrite.swift). */
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

typedef struct mr_shim_datagram {
    const void *name;      /* a sockaddr_in / sockaddr_in6 */
    socklen_t name_len;
    const void *bytes;
    size_t len;
} mr_shim_datagram;

/* Sends up to `count` datagrams with one sendmmsg (MSG_DONTWAIT): the number sent, or -1 with errno set when
 * the first one failed. At most 1024 per call. */
int mr_shim_sendmmsg(int fd, const mr_shim_datagram *datagrams, unsigned int count);

/* accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC: the accepted descriptor, or -1 with errno set. */
int mr_shim_accept(int fd);

/* Entries of the calling thread's iovec scratch. */
enum { MR_SHIM_IOV = 64 };

/* The calling thread's iovec scratch (MR_SHIM_IOV entries), filled by the caller for mr_shim_sendv: one per
 * thread, so a send needs no allocation and two loops never share it. */
struct iovec *_Nonnull mr_shim_iov(void);

/* sendmsg of the scratch's first `count` entries with MSG_DONTWAIT | MSG_NOSIGNAL, plus MSG_MORE when `more`:
 * the bytes sent, or -1 with errno set. */
ssize_t mr_shim_sendv(int fd, unsigned int count, int more);

/* Whether the calling thread is handing a bus reader its frames (RouterCore's LoopMirror.deliver): a TCP send
 * made meanwhile carries a stream (TcpConnection+Streaming.swift). A thread variable, as the send reaches the
 * core through the plugin's C callback with nothing else to say where it came from. */
void mr_shim_set_delivering(int on);
int mr_shim_delivering(void);

/* Datagrams one mr_shim_recvmmsg call takes at most, and the bytes of each slot: any UDP datagram fits whole. */
enum { MR_SHIM_RECV_SLOTS = 16, MR_SHIM_RECV_SLOT_BYTES = 65536 };

typedef struct mr_shim_received {
    const unsigned char *_Nullable bytes;
    size_t len;
    const struct sockaddr *_Nullable name;
    socklen_t name_len;
} mr_shim_received;

/* recvmmsg (MSG_DONTWAIT) of up to MR_SHIM_RECV_SLOTS datagrams into the calling thread's receive area: the
 * count received, or -1 with errno set. `*out` is set to the thread's descriptors of them, valid until the
 * thread's next call. The area (allocated on a thread's first call, freed when the thread ends) is per thread,
 * not per socket: the sockets of a loop share one, so memory does not grow with the number of sockets. */
int mr_shim_recvmmsg(int fd, const mr_shim_received *_Nullable *_Nonnull out);

/* Receive areas allocated and not yet freed (threads that have read with mr_shim_recvmmsg). */
long mr_shim_recv_areas(void);

#endif
