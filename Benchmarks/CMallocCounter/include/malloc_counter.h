#ifndef MALLOC_COUNTER_H
#define MALLOC_COUNTER_H
/* Counts heap allocations of the whole process (for benchmarks and the fan-out guard tests only: linking
 * this target into an executable, or into the package's test binary, replaces malloc and friends with
 * counting wrappers around glibc's; the cost is one relaxed atomic add per allocation). */
unsigned long mr_malloc_count(void);
/* The calling thread's allocations so far (a test reads each event loop's own). */
unsigned long mr_malloc_count_thread(void);
#endif
