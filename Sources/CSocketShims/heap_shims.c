#include "heap_shims.h"
#include <stdlib.h>   /* defines __GLIBC__ (through features.h) for the test below */

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#include <malloc.h>

void mr_shim_heap(size_t *in_use, size_t *held_free) {
    struct mallinfo2 info = mallinfo2();
    *in_use = info.uordblks + info.hblkhd;
    *held_free = info.fordblks;
}

void mr_shim_heap_trim(void) {
    malloc_trim(0);
}
#else
void mr_shim_heap(size_t *in_use, size_t *held_free) {
    *in_use = 0;
    *held_free = 0;
}

void mr_shim_heap_trim(void) {}
#endif
