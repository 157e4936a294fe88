#ifndef MEDIAROUTER_THREAD_SHIMS_H
#define MEDIAROUTER_THREAD_SHIMS_H

/* pthread_setname_np, which Swift's Glibc module hides (behind _GNU_SOURCE), for the core's own threads
 * (RouterCore/Transport/TcpAcceptor.swift): Foundation's Thread named them before the core dropped Foundation. */

/* Names the calling thread (at most 15 bytes are kept); nothing where the call does not exist. */
void mr_shim_name_this_thread(const char *name);

#endif
