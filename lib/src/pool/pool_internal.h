/*
 * pool_internal.h - internals of the pthreads pool shared with the tests and
 * the kernels' pool variants: how a parallel_for range is cut into chunks.
 */
#ifndef HETERO_POOL_INTERNAL_H
#define HETERO_POOL_INTERNAL_H

#include <stddef.h>

/*
 * Default spin of an idle worker before it sleeps on a condition variable,
 * in us: long enough that a call after 1 ms of idleness finds the workers
 * awake (as libgomp's default wait policy does), short enough that an idle
 * pool burns no CPU 2 ms after its last call. With more threads than online
 * CPUs the spin is short: spinners would take CPU time from working threads.
 * bench/RESULTS.md has the measurements behind these values.
 */
#define HETERO__POOL_DEFAULT_SPIN_US 2000u
#define HETERO__POOL_OVERSUB_SPIN_US 50u

/*
 * Chunk size that hetero_pool_parallel_for() uses to cut [0, n) on
 * `threads` threads (>= 1) with the caller's `grain` (0: automatic); see the
 * table at the top of pool.c. Never 0. The chunks are [k * chunk,
 * min((k + 1) * chunk, n)) for k = 0 .. hetero__partition_count() - 1.
 */
size_t hetero__partition(size_t n, size_t threads, size_t grain);

/* Number of chunks of size `chunk` (> 0) covering [0, n). */
size_t hetero__partition_count(size_t n, size_t chunk);

#endif /* HETERO_POOL_INTERNAL_H */
