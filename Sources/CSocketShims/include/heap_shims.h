#ifndef MEDIAROUTER_HEAP_SHIMS_H
#define MEDIAROUTER_HEAP_SHIMS_H

/* glibc's mallinfo2, which Swift's Glibc module does not export (malloc.h), for getStatistic's heap figures
 * (RouterCore/Server/HeapFigures.swift). */
#include <stddef.h>

/* Bytes the allocator has handed out (arenas and mmapped chunks) and bytes it holds free; both 0 where
 * mallinfo2 does not exist. */
void mr_shim_heap(size_t *in_use, size_t *held_free);

/* Returns the allocator's free pages to the kernel (glibc malloc_trim(0)); nothing where it does not exist. */
void mr_shim_heap_trim(void);

#endif
