#ifndef MALLOC_COUNTER_H
#define MALLOC_COUNTER_H
/* Counts heap allocations of the whole process (for benchmarks only: linking this target into an
 * executable replaces malloc and friends with counting wrappers around glibc's). */
unsigned long mr_malloc_count(void);
#endif
