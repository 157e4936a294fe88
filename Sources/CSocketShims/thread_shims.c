#define _GNU_SOURCE
#include "thread_shims.h"
#include <pthread.h>
#include <string.h>

void mr_shim_name_this_thread(const char *name) {
#if defined(__GLIBC__)
    char shortened[16];
    strncpy(shortened, name, sizeof shortened - 1);
    shortened[sizeof shortened - 1] = '\0';
    pthread_setname_np(pthread_self(), shortened);
#else
    (void)name;
#endif
}
