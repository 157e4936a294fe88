#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include "malloc_counter.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static atomic_ulong allocations;
static __thread unsigned long thread_allocations;

unsigned long mr_malloc_count(void) { return atomic_load_explicit(&allocations, memory_order_relaxed); }
unsigned long mr_malloc_count_thread(void) { return thread_allocations; }

static void count(void) {
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    thread_allocations++;
}

/* Weak, so that a sanitizer runtime's own malloc (a TSan build links the test binary with one) takes
 * precedence instead of clashing; counting is then off, and mr_malloc_count() stays where it is. */
#define COUNTED __attribute__((weak))

COUNTED void *malloc(size_t n) { count(); return __libc_malloc(n); }
COUNTED void *calloc(size_t n, size_t m) { count(); return __libc_calloc(n, m); }
COUNTED void *realloc(void *p, size_t n) { count(); return __libc_realloc(p, n); }
COUNTED void free(void *p) { __libc_free(p); }
COUNTED void *memalign(size_t a, size_t n) { count(); return __libc_memalign(a, n); }
COUNTED void *aligned_alloc(size_t a, size_t n) { count(); return __libc_memalign(a, n); }
COUNTED int posix_memalign(void **out, size_t a, size_t n) {
    count();
    void *p = __libc_memalign(a, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}
