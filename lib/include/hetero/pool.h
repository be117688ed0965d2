/*
 * pool.h - the CPU backend: a pool of persistent pthreads workers.
 *
 * Workers are created once (hetero_pool_create) and live until
 * hetero_pool_destroy. The one data-parallel primitive is the blocking
 * hetero_pool_parallel_for(): the range [0, n) is cut into chunks of `grain`
 * iterations that the workers and the calling thread claim through an atomic
 * counter (dynamic chunking, no thread creation per call). Idle workers spin
 * briefly, then sleep on a condition variable, so an idle pool burns no CPU
 * after a few milliseconds.
 *
 * Futures follow Python's concurrent.futures: hetero_pool_submit() queues a
 * task and returns a future to wait on, cancel (only before it starts), or
 * attach done-callbacks to.
 *
 * Thread safety: every function except create/destroy may be called from any
 * thread, concurrently, on one pool. A parallel_for called from inside a pool
 * worker (nested) runs inline on that thread, so it never deadlocks. Bodies
 * and tasks run without any pool lock held.
 */
#ifndef HETERO_POOL_H
#define HETERO_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include <hetero/defs.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hetero_pool hetero_pool;
typedef struct hetero_future hetero_future;

/** Options; zero fields mean default, NULL means all defaults. */
struct hetero_pool_opts {
    /* Threads taking part in a parallel_for, the caller included (so
     * num_threads - 1 workers are created). 0: the environment variable
     * HETERO_NUM_THREADS if set, else the number of online CPUs. */
    size_t num_threads;
    /* Microseconds an idle worker spins before sleeping; 0: default (2000
     * us, or 50 us when num_threads exceeds the number of online CPUs). */
    unsigned spin_us;
};

/** Upper bound on num_threads. */
#define HETERO_POOL_MAX_THREADS 256

/**
 * Body of a parallel_for: processes iterations [begin, end). `worker` is in
 * [0, threads used by this call) and unique among the threads running this
 * call at the same moment (use it to index per-thread scratch). A non-zero
 * return stops the claiming of further chunks; the call returns the first
 * error.
 */
typedef int (*hetero_range_fn)(void *arg, size_t begin, size_t end,
                               size_t worker);

/** A submitted task; its return value is the future's result. */
typedef int (*hetero_task_fn)(void *arg);

/** Done-callback: runs once, on the thread that finishes (or cancels) the
 *  task, or immediately in hetero_future_add_done_callback if already done. */
typedef void (*hetero_future_cb)(hetero_future *f, void *arg);

/**
 * Creates a pool and starts its workers. If starting one fails, the workers
 * already started are joined and the error returned. *out is set only on
 * success. Errors: HETERO_EINVAL (out NULL, num_threads or
 * HETERO_NUM_THREADS above HETERO_POOL_MAX_THREADS or malformed),
 * HETERO_ENOMEM, HETERO_EBUSY / -errno from pthread_create.
 */
HETERO_API HETERO_NODISCARD int
hetero_pool_create(const struct hetero_pool_opts *opts, hetero_pool **out);

/** Stops and joins the workers. Queued futures that have not started are
 *  cancelled. Must not be called while parallel_for calls are running.
 *  NULL is a no-op. */
HETERO_API void hetero_pool_destroy(hetero_pool *pool);

/** Threads that take part in a parallel_for (workers + caller). */
HETERO_API size_t hetero_pool_size(const hetero_pool *pool);

/**
 * Runs body over [0, n) in chunks of `grain` (0: chosen automatically) on all
 * threads of the pool; returns when every chunk has finished. Returns 0, the
 * first non-zero body return, or HETERO_EINVAL (pool or body NULL). n == 0
 * returns 0 without calling body.
 */
HETERO_API HETERO_NODISCARD int hetero_pool_parallel_for(hetero_pool *pool,
                                                         size_t n,
                                                         size_t grain,
                                                         hetero_range_fn body,
                                                         void *arg);

/** As hetero_pool_parallel_for() on at most `max_threads` threads (caller
 *  included; 0 or more than the pool size: all; 1: inline on the caller). */
HETERO_API HETERO_NODISCARD int
hetero_pool_parallel_for_n(hetero_pool *pool, size_t max_threads, size_t n,
                           size_t grain, hetero_range_fn body, void *arg);

/** True when called from one of this pool's worker threads. */
HETERO_API bool hetero_pool_in_worker(const hetero_pool *pool);

/**
 * Queues fn(arg) to run on a worker. *out receives a future that the caller
 * must destroy. Errors: HETERO_EINVAL, HETERO_ENOMEM. With a pool of one
 * thread (no workers) the task runs inline before submit returns.
 */
HETERO_API HETERO_NODISCARD int hetero_pool_submit(hetero_pool *pool,
                                                   hetero_task_fn fn,
                                                   void *arg,
                                                   hetero_future **out);

/** Blocks until the future is done (finished or cancelled). Returns 0 or
 *  HETERO_EINVAL. */
HETERO_API HETERO_NODISCARD int hetero_future_wait(hetero_future *f);

/** As hetero_future_wait() for at most timeout_s seconds; HETERO_ETIMEDOUT
 *  if still not done, HETERO_EINVAL if timeout_s is negative or NaN. */
HETERO_API HETERO_NODISCARD int hetero_future_wait_for(hetero_future *f,
                                                       double timeout_s);

/** Cancels a task that has not started: 0 on success (or if it was already
 *  cancelled), HETERO_EBUSY if it is running or finished. Done-callbacks
 *  run with the cancelled future. */
HETERO_API HETERO_NODISCARD int hetero_future_cancel(hetero_future *f);

/** True once the task finished or was cancelled. */
HETERO_API bool hetero_future_done(const hetero_future *f);

/** True if the task was cancelled. */
HETERO_API bool hetero_future_cancelled(const hetero_future *f);

/** The task's return value into *result. Errors: HETERO_EBUSY (not done),
 *  HETERO_ECANCELED (cancelled), HETERO_EINVAL. */
HETERO_API HETERO_NODISCARD int hetero_future_result(const hetero_future *f,
                                                     int *result);

/** Adds a done-callback (at most 8 per future; HETERO_ENOMEM beyond). A
 *  callback must not destroy its future (destroy waits for the callbacks). */
HETERO_API HETERO_NODISCARD int hetero_future_add_done_callback(
    hetero_future *f, hetero_future_cb cb, void *arg);

/** Waits for a running task, cancels a queued one, then frees the future.
 *  NULL is a no-op. */
HETERO_API void hetero_future_destroy(hetero_future *f);

#ifdef __cplusplus
}
#endif

#endif /* HETERO_POOL_H */
