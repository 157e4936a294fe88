#ifndef MEDIAROUTER_SPAWN_SHIMS_H
#define MEDIAROUTER_SPAWN_SHIMS_H

/* posix_spawn_file_actions_addclosefrom_np, which Swift's Glibc module hides (behind _GNU_SOURCE), for the
 * children the management API runs (RouterManagement/ChildProcess.swift): they must not inherit the server's
 * sockets, listening ones included, whether or not a plugin opened them close-on-exec. */
#include <spawn.h>

/* Adds "close every descriptor from `lowest` up" to `actions`: 0, or an errno (ENOSYS before glibc 2.34). */
int mr_shim_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest);

#endif
