/*
 * pool.c - the CPU backend: persistent pthreads workers, a blocking
 * parallel_for with dynamic chunking, and futures.
 *
 * DESIGN
 *
 * A pool of T threads starts T - 1 workers in hetero_pool_create(); the
 * thread that calls hetero_pool_parallel_for() is the T-th and always takes
 * part, so a job finishes even when every worker is busy elsewhere (running
 * a future, or helping another caller's job).
 *
 * parallel_for publishes a job descriptor, which lives on the caller's
 * stack, in the pool's list of jobs. Several external threads may each have
 * a job in the list at once; an idle worker joins the oldest job that still
 * has unclaimed chunks and a free worker index. Inside a job, every thread
 * claims chunk indices from one atomic counter (dynamic chunking), so a slow
 * thread never holds up the others. A failing body stores the first error;
 * the others stop claiming once they see it. The caller, once it finds no
 * chunk left, unlinks the job (no new joiner can arrive) and waits for the
 * workers still inside to leave; only then may the descriptor go away.
 *
 * Wake-up latency is the performance goal. Each publication (job, task,
 * shutdown) bumps the atomic generation counter `gen`; an idle worker spins
 * on it with a pause instruction for spin_us (default 2 ms, see
 * pool_internal.h), then sleeps on `work_cv`. A spinner yields its CPU every
 * 10 us, in case the scheduler put it beside a thread with work to do.
 * Publishers lock the mutex only to link their job, bump `gen` after
 * unlocking, and take the mutex again to signal only when `sleepers` says a
 * worker sleeps. (Sleeper: sleepers++ then load gen; publisher: gen++ then
 * load sleepers; both sequentially consistent, so one of them sees the
 * other and no wake-up is lost.) The caller waiting for the workers to leave
 * its job spins at most 100 us, then sleeps on `done_cv` the same way.
 *
 * Futures are queued FIFO; workers prefer jobs to tasks (a parallel_for has
 * a caller blocked on it). Each future has its own mutex and condition
 * variable, so futures outlive their pool: destroying the pool cancels the
 * queued ones. Bodies, tasks and done-callbacks never run under a lock.
 *
 * Lock order: pool->mu before future->mu. No other lock is ever held while
 * one of these is taken.
 *
 * Partition of [0, n) (hetero__partition): chunks of `chunk` iterations,
 * the last one shorter; `threads` is the number of threads the call may use.
 *
 *   n             grain   threads   chunk                 chunks
 *   0             any     any       (body never called)   0
 *   1000          0       2         ceil(1000/16) = 63    16
 *   1000          0       8         ceil(1000/64) = 16    63
 *   10            0       8         1                     10
 *   1000          100     any       100                   10
 *   10            100     any       100 (grain > n)       1, runs inline
 *   > SIZE_MAX/2  1       any       2                     <= SIZE_MAX/2 + 1
 *
 * Automatic grain gives about 8 chunks per thread: enough to balance uneven
 * chunks, few enough that claiming them costs little. The last row keeps the
 * chunk counter from overflowing (each thread overshoots it at most once).
 * A call with one chunk, one thread, or from a worker of this pool (nested)
 * runs inline on the caller, chunk by chunk, as worker 0.
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hetero/error.h>
#include <hetero/pool.h>

#include "internal.h"
#include "pool/pool_internal.h"

/* Padding that keeps the fields around it on different cache lines. */
#define CACHE_LINE 64

/* Tries of a contended pool lock before blocking in the kernel. */
#define LOCK_SPIN_TRIES 200

/* Pause instructions between two reads of the clock while spinning. */
#define SPIN_CLOCK_EVERY 32

/* A spinning thread yields its CPU this often, so that it never holds up a
 * thread that the scheduler placed on the same CPU. */
#define SPIN_YIELD_NS 10000LL

/* The caller of parallel_for spins at most this long for the workers still
 * inside its job: past that, a few us to wake it up no longer matter. */
#define JOIN_SPIN_NS 100000LL

#define FUTURE_MAX_CALLBACKS 8

/* Waits longer than this are treated as waits without a deadline. */
#define WAIT_FOREVER_S 1e9

enum future_state {
    FUTURE_QUEUED,
    FUTURE_RUNNING,
    FUTURE_DONE,
    FUTURE_CANCELLED,
};

struct callback {
    hetero_future_cb fn;
    void *arg;
};

struct hetero_future {
    hetero_pool *pool; /* used only while queued */
    hetero_task_fn fn;
    void *arg;
    struct hetero_future *prev; /* pool->mu: task queue links */
    struct hetero_future *next;
    int result;       /* written before state becomes FUTURE_DONE */
    atomic_int state; /* leaves QUEUED under pool->mu, ends under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv; /* state terminal, or finished */
    size_t waiters;    /* mu: threads waiting on cv */
    bool finished;     /* mu: terminal and its callbacks have run */
    size_t ncallbacks; /* mu */
    struct callback callbacks[FUTURE_MAX_CALLBACKS]; /* mu */
};

/* One parallel_for call; lives on the caller's stack. */
struct job {
    hetero_range_fn body;
    void *arg;
    size_t n;
    size_t chunk;
    size_t nchunks;
    size_t max_slots; /* threads that may take part, caller included */
    size_t slots;     /* pool->mu: worker indices handed out */
    struct job *prev; /* pool->mu: list links */
    struct job *next;
    atomic_size_t next_chunk;
    atomic_int err;       /* first non-zero body return */
    atomic_size_t active; /* workers inside; the caller is not counted */
};

struct hetero_pool {
    size_t size;     /* threads, caller included */
    size_t nworkers; /* workers started */
    long long spin_ns;
    pthread_mutex_t mu;
    pthread_cond_t work_cv; /* mu: gen moved (work, or stop) */
    pthread_cond_t done_cv; /* mu: a job's active count reached 0 */
    struct job *jobs_head;  /* mu */
    struct job *jobs_tail;
    struct hetero_future *tasks_head; /* mu */
    struct hetero_future *tasks_tail;
    bool stop; /* mu */
    char pad0[CACHE_LINE];
    atomic_size_t gen; /* bumped by every publication */
    char pad1[CACHE_LINE];
    atomic_size_t sleepers;     /* workers asleep on work_cv */
    atomic_size_t done_waiters; /* callers asleep on done_cv */
    char pad2[CACHE_LINE];
    pthread_t threads[];
};

/*
 * The pool whose worker the current thread is, NULL on other threads. This
 * is thread identity, not shared state: it lets a nested parallel_for know
 * that it runs on a worker and must run inline.
 */
static _Thread_local const hetero_pool *current_pool;

/* ---- partition ---- */

size_t hetero__partition(size_t n, size_t threads, size_t grain)
{
    size_t chunk = grain;

    assert(threads >= 1 && threads <= HETERO_POOL_MAX_THREADS);
    if (chunk == 0) {
        size_t parts = threads * 8;

        chunk = n / parts + (n % parts != 0);
        if (chunk == 0)
            chunk = 1;
    }
    if (chunk == 1 && n > SIZE_MAX / 2)
        chunk = 2;
    return chunk;
}

size_t hetero__partition_count(size_t n, size_t chunk)
{
    assert(chunk > 0);
    return n / chunk + (n % chunk != 0);
}

/* ---- spinning and locking ---- */

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#else
    sched_yield();
#endif /* __x86_64__ || __i386__ */
}

static long long now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * Spins until *word == value (until_equal) or *word != value (otherwise),
 * for at most budget_ns. Returns true if the condition came true.
 */
static bool spin_wait(const atomic_size_t *word, size_t value, bool until_equal,
                      long long budget_ns)
{
    long long start = 0;
    long long next_yield = 0;

    for (;;) {
        long long t;

        for (int i = 0; i < SPIN_CLOCK_EVERY; i++) {
            size_t v = atomic_load_explicit(word, memory_order_acquire);

            if ((v == value) == until_equal)
                return true;
            cpu_relax();
        }
        t = now_ns();
        if (start == 0) {
            start = t;
            next_yield = t + SPIN_YIELD_NS;
        } else if (t - start >= budget_ns) {
            return false;
        } else if (t >= next_yield) {
            sched_yield();
            next_yield = t + SPIN_YIELD_NS;
        }
    }
}

/*
 * The pool lock is held for a few dozen instructions at a time; spinning on
 * trylock first keeps a brief collision from costing two system calls.
 */
static void pool_lock(hetero_pool *pool)
{
    for (int i = 0; i < LOCK_SPIN_TRIES; i++) {
        if (pthread_mutex_trylock(&pool->mu) == 0)
            return;
        cpu_relax();
    }
    pthread_mutex_lock(&pool->mu);
}

static void pool_unlock(hetero_pool *pool)
{
    pthread_mutex_unlock(&pool->mu);
}

/*
 * Announces new work (or shutdown) to the workers: `wake` sleepers at most
 * are woken (SIZE_MAX: all). Called without pool->mu, after the work was
 * linked under it.
 */
static void publish(hetero_pool *pool, size_t wake)
{
    size_t sleeping;

    atomic_fetch_add(&pool->gen, 1);
    sleeping = atomic_load(&pool->sleepers);
    if (sleeping == 0 || wake == 0)
        return;
    /* Passing through the lock orders us after any sleeper's check of
     * `gen`; signalling after unlocking spares the woken worker a collision
     * with us on the mutex. */
    pool_lock(pool);
    pool_unlock(pool);
    if (wake >= sleeping) {
        pthread_cond_broadcast(&pool->work_cv);
    } else {
        for (size_t i = 0; i < wake; i++)
            pthread_cond_signal(&pool->work_cv);
    }
}

/* ---- jobs (parallel_for) ---- */

/* Claims and runs chunks of `job` as worker `slot` until none is left or a
 * body failed. */
static void run_chunks(struct job *job, size_t slot)
{
    for (;;) {
        size_t idx;
        size_t begin;
        size_t end;
        int rc;

        if (atomic_load_explicit(&job->err, memory_order_relaxed) != 0)
            return;
        idx = atomic_fetch_add_explicit(&job->next_chunk, 1,
                                        memory_order_relaxed);
        if (idx >= job->nchunks)
            return;
        begin = idx * job->chunk;
        end = job->n - begin > job->chunk ? begin + job->chunk : job->n;
        rc = job->body(job->arg, begin, end, slot);
        if (rc != 0) {
            int expected = 0;

            atomic_compare_exchange_strong(&job->err, &expected, rc);
            return;
        }
    }
}

static bool job_joinable(const struct job *job)
{
    return job->slots < job->max_slots &&
           atomic_load_explicit(&job->next_chunk, memory_order_relaxed) <
               job->nchunks &&
           atomic_load_explicit(&job->err, memory_order_relaxed) == 0;
}

/* Under pool->mu: joins the oldest joinable job; its worker index in *slot. */
static struct job *job_join(hetero_pool *pool, size_t *slot)
{
    for (struct job *job = pool->jobs_head; job != NULL; job = job->next) {
        if (job_joinable(job)) {
            *slot = job->slots++;
            atomic_fetch_add(&job->active, 1);
            return job;
        }
    }
    return NULL;
}

/* A worker leaves `job`; the job may vanish as soon as `active` hits 0. */
static void job_leave(hetero_pool *pool, struct job *job)
{
    if (atomic_fetch_sub(&job->active, 1) == 1 &&
        atomic_load(&pool->done_waiters) != 0) {
        pool_lock(pool);
        pool_unlock(pool);
        pthread_cond_broadcast(&pool->done_cv);
    }
}

static void job_link(hetero_pool *pool, struct job *job)
{
    job->prev = pool->jobs_tail;
    job->next = NULL;
    if (pool->jobs_tail != NULL)
        pool->jobs_tail->next = job;
    else
        pool->jobs_head = job;
    pool->jobs_tail = job;
}

static void job_unlink(hetero_pool *pool, struct job *job)
{
    if (job->prev != NULL)
        job->prev->next = job->next;
    else
        pool->jobs_head = job->next;
    if (job->next != NULL)
        job->next->prev = job->prev;
    else
        pool->jobs_tail = job->prev;
}

/* The caller waits until the workers inside its (unlinked) job have left. */
static void job_wait_left(hetero_pool *pool, struct job *job)
{
    long long budget =
        pool->spin_ns < JOIN_SPIN_NS ? pool->spin_ns : JOIN_SPIN_NS;

    if (spin_wait(&job->active, 0, true, budget))
        return;
    pool_lock(pool);
    atomic_fetch_add(&pool->done_waiters, 1);
    while (atomic_load(&job->active) != 0)
        pthread_cond_wait(&pool->done_cv, &pool->mu);
    atomic_fetch_sub(&pool->done_waiters, 1);
    pool_unlock(pool);
}

static int run_inline(size_t n, size_t chunk, hetero_range_fn body, void *arg)
{
    for (size_t begin = 0; begin < n; begin += chunk) {
        size_t end = n - begin > chunk ? begin + chunk : n;
        int rc = body(arg, begin, end, 0);

        if (rc != 0)
            return rc;
        if (end == n)
            break;
    }
    return 0;
}

/* ---- futures ---- */

static bool state_terminal(int state)
{
    return state == FUTURE_DONE || state == FUTURE_CANCELLED;
}

static void task_link(hetero_pool *pool, hetero_future *f)
{
    f->prev = pool->tasks_tail;
    f->next = NULL;
    if (pool->tasks_tail != NULL)
        pool->tasks_tail->next = f;
    else
        pool->tasks_head = f;
    pool->tasks_tail = f;
}

static void task_unlink(hetero_pool *pool, hetero_future *f)
{
    if (f->prev != NULL)
        f->prev->next = f->next;
    else
        pool->tasks_head = f->next;
    if (f->next != NULL)
        f->next->prev = f->prev;
    else
        pool->tasks_tail = f->prev;
    f->prev = NULL;
    f->next = NULL;
}

/*
 * Moves f to its terminal state and copies the callbacks to run into cbs;
 * returns their number. With none, f is finished here and must not be
 * touched afterwards (its owner may free it).
 */
static size_t future_complete(hetero_future *f, int state, struct callback *cbs)
{
    size_t ncb;

    pthread_mutex_lock(&f->mu);
    atomic_store(&f->state, state);
    ncb = f->ncallbacks;
    memcpy(cbs, f->callbacks, ncb * sizeof(*cbs));
    if (ncb == 0)
        f->finished = true;
    if (f->waiters != 0)
        pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    return ncb;
}

/* Runs the callbacks copied by future_complete(), outside any lock, then
 * marks f finished. */
static void future_run_callbacks(hetero_future *f, const struct callback *cbs,
                                 size_t ncb)
{
    if (ncb == 0)
        return;
    for (size_t i = 0; i < ncb; i++)
        cbs[i].fn(f, cbs[i].arg);
    pthread_mutex_lock(&f->mu);
    f->finished = true;
    if (f->waiters != 0)
        pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

/* Runs a future whose state is FUTURE_RUNNING, on the calling thread. */
static void future_run(hetero_future *f)
{
    struct callback cbs[FUTURE_MAX_CALLBACKS];
    size_t ncb;

    f->result = f->fn(f->arg);
    ncb = future_complete(f, FUTURE_DONE, cbs);
    future_run_callbacks(f, cbs, ncb);
}

/* Cancels every queued task (pool stopping). Takes pool->mu. */
static void cancel_queued(hetero_pool *pool)
{
    struct callback cbs[FUTURE_MAX_CALLBACKS];

    pool_lock(pool);
    while (pool->tasks_head != NULL) {
        hetero_future *f = pool->tasks_head;
        size_t ncb;

        task_unlink(pool, f);
        ncb = future_complete(f, FUTURE_CANCELLED, cbs);
        pool_unlock(pool);
        future_run_callbacks(f, cbs, ncb);
        pool_lock(pool);
    }
    pool_unlock(pool);
}

/* ---- workers ---- */

static void *worker_main(void *p)
{
    hetero_pool *pool = p;

    current_pool = pool;
    pool_lock(pool);
    for (;;) {
        size_t seen = atomic_load(&pool->gen);
        struct job *job;
        hetero_future *f;
        size_t slot;

        if (pool->stop)
            break;
        job = job_join(pool, &slot);
        if (job != NULL) {
            pool_unlock(pool);
            run_chunks(job, slot);
            job_leave(pool, job);
            pool_lock(pool);
            continue;
        }
        f = pool->tasks_head;
        if (f != NULL) {
            task_unlink(pool, f);
            atomic_store(&f->state, FUTURE_RUNNING);
            pool_unlock(pool);
            future_run(f);
            pool_lock(pool);
            continue;
        }
        pool_unlock(pool);
        if (spin_wait(&pool->gen, seen, false, pool->spin_ns)) {
            pool_lock(pool);
            continue;
        }
        pool_lock(pool);
        atomic_fetch_add(&pool->sleepers, 1);
        while (atomic_load(&pool->gen) == seen)
            pthread_cond_wait(&pool->work_cv, &pool->mu);
        atomic_fetch_sub(&pool->sleepers, 1);
    }
    pool_unlock(pool);
    return NULL;
}

/* Stops and joins the started workers. */
static void stop_workers(hetero_pool *pool)
{
    pool_lock(pool);
    pool->stop = true;
    pool_unlock(pool);
    publish(pool, SIZE_MAX);
    for (size_t i = 0; i < pool->nworkers; i++)
        pthread_join(pool->threads[i], NULL);
}

/* Strict parse of HETERO_NUM_THREADS: digits only, 1..MAX. */
static int parse_threads(const char *s, size_t *out)
{
    char *end;
    unsigned long v;

    if (*s < '0' || *s > '9')
        return HETERO_EINVAL;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v == 0 || v > HETERO_POOL_MAX_THREADS)
        return HETERO_EINVAL;
    *out = v;
    return 0;
}

static int default_threads(size_t *out)
{
    const char *env = getenv("HETERO_NUM_THREADS");
    long ncpu;

    if (env != NULL)
        return parse_threads(env, out);
    ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (ncpu < 1)
        ncpu = 1;
    if (ncpu > HETERO_POOL_MAX_THREADS)
        ncpu = HETERO_POOL_MAX_THREADS;
    *out = (size_t)ncpu;
    return 0;
}

/* True if the pool has more threads than there are online CPUs: a long
 * spin would then steal CPU time from threads with work to do. */
static bool oversubscribed(size_t threads)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

    return ncpu > 0 && threads > (size_t)ncpu;
}

/* Starts the workers with every signal blocked, so that signals go to the
 * application's own threads. */
static int start_workers(hetero_pool *pool, size_t nworkers)
{
    sigset_t all;
    sigset_t old;
    int ret = 0;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (size_t i = 0; i < nworkers; i++) {
        int rc = pthread_create(&pool->threads[i], NULL, worker_main, pool);

        if (rc != 0) {
            ret = -rc;
            break;
        }
        pool->nworkers++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return ret;
}

/* ---- public API ---- */

int hetero_pool_create(const struct hetero_pool_opts *opts, hetero_pool **out)
{
    size_t threads = opts != NULL ? opts->num_threads : 0;
    unsigned spin_us = HETERO__POOL_DEFAULT_SPIN_US;
    hetero_pool *pool;
    int ret;
    int rc;

    if (out == NULL || threads > HETERO_POOL_MAX_THREADS)
        return HETERO_EINVAL;
    if (threads == 0) {
        ret = default_threads(&threads);
        if (ret != 0)
            return ret;
    }
    if (opts != NULL && opts->spin_us != 0)
        spin_us = opts->spin_us;
    else if (oversubscribed(threads))
        spin_us = HETERO__POOL_OVERSUB_SPIN_US;

    pool = hetero__calloc(1, sizeof(*pool) +
                                 (threads - 1) * sizeof(pool->threads[0]));
    if (pool == NULL)
        return HETERO_ENOMEM;
    pool->size = threads;
    pool->spin_ns = (long long)spin_us * 1000;
    atomic_init(&pool->gen, 0);
    atomic_init(&pool->sleepers, 0);
    atomic_init(&pool->done_waiters, 0);

    rc = pthread_mutex_init(&pool->mu, NULL);
    if (rc != 0) {
        ret = -rc;
        goto out_free;
    }
    rc = pthread_cond_init(&pool->work_cv, NULL);
    if (rc != 0) {
        ret = -rc;
        goto out_destroy_mu;
    }
    rc = pthread_cond_init(&pool->done_cv, NULL);
    if (rc != 0) {
        ret = -rc;
        goto out_destroy_work_cv;
    }
    ret = start_workers(pool, threads - 1);
    if (ret != 0)
        goto out_stop_workers;
    *out = pool;
    return 0;

out_stop_workers:
    stop_workers(pool);
    pthread_cond_destroy(&pool->done_cv);
out_destroy_work_cv:
    pthread_cond_destroy(&pool->work_cv);
out_destroy_mu:
    pthread_mutex_destroy(&pool->mu);
out_free:
    hetero__free(pool);
    return ret;
}

void hetero_pool_destroy(hetero_pool *pool)
{
    if (pool == NULL)
        return;
    /* Cancel before joining: a worker may be blocked in a task that waits
     * for a queued task's fate. Cancel again after: a task that was
     * running may have submitted more. */
    pool_lock(pool);
    pool->stop = true;
    pool_unlock(pool);
    cancel_queued(pool);
    stop_workers(pool);
    cancel_queued(pool);
    assert(pool->jobs_head == NULL);
    pthread_cond_destroy(&pool->done_cv);
    pthread_cond_destroy(&pool->work_cv);
    pthread_mutex_destroy(&pool->mu);
    hetero__free(pool);
}

size_t hetero_pool_size(const hetero_pool *pool)
{
    return pool != NULL ? pool->size : 0;
}

bool hetero_pool_in_worker(const hetero_pool *pool)
{
    return pool != NULL && current_pool == pool;
}

int hetero_pool_parallel_for(hetero_pool *pool, size_t n, size_t grain,
                             hetero_range_fn body, void *arg)
{
    return hetero_pool_parallel_for_n(pool, 0, n, grain, body, arg);
}

int hetero_pool_parallel_for_n(hetero_pool *pool, size_t max_threads, size_t n,
                               size_t grain, hetero_range_fn body, void *arg)
{
    struct job job;
    size_t threads;
    size_t chunk;
    size_t nchunks;

    if (pool == NULL || body == NULL)
        return HETERO_EINVAL;
    if (n == 0)
        return 0;
    threads = pool->size;
    if (max_threads != 0 && max_threads < threads)
        threads = max_threads;
    if (hetero_pool_in_worker(pool))
        threads = 1;
    chunk = hetero__partition(n, threads, grain);
    nchunks = hetero__partition_count(n, chunk);
    if (threads == 1 || nchunks == 1)
        return run_inline(n, chunk, body, arg);

    job.body = body;
    job.arg = arg;
    job.n = n;
    job.chunk = chunk;
    job.nchunks = nchunks;
    job.max_slots = threads < nchunks ? threads : nchunks;
    job.slots = 1; /* the caller is worker 0 */
    atomic_init(&job.next_chunk, 0);
    atomic_init(&job.err, 0);
    atomic_init(&job.active, 0);

    pool_lock(pool);
    job_link(pool, &job);
    pool_unlock(pool);
    publish(pool, job.max_slots - 1);

    run_chunks(&job, 0);

    pool_lock(pool);
    job_unlink(pool, &job);
    pool_unlock(pool);
    job_wait_left(pool, &job);
    return atomic_load(&job.err);
}

static int future_init_sync(hetero_future *f)
{
    pthread_condattr_t attr;
    int rc;

    rc = pthread_mutex_init(&f->mu, NULL);
    if (rc != 0)
        return -rc;
    rc = pthread_condattr_init(&attr);
    if (rc != 0)
        goto out_destroy_mu;
    rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc != 0)
        goto out_destroy_attr;
    rc = pthread_cond_init(&f->cv, &attr);
    if (rc != 0)
        goto out_destroy_attr;
    pthread_condattr_destroy(&attr);
    return 0;

out_destroy_attr:
    pthread_condattr_destroy(&attr);
out_destroy_mu:
    pthread_mutex_destroy(&f->mu);
    return -rc;
}

int hetero_pool_submit(hetero_pool *pool, hetero_task_fn fn, void *arg,
                       hetero_future **out)
{
    hetero_future *f;
    int rc;

    if (pool == NULL || fn == NULL || out == NULL)
        return HETERO_EINVAL;
    f = hetero__calloc(1, sizeof(*f));
    if (f == NULL)
        return HETERO_ENOMEM;
    rc = future_init_sync(f);
    if (rc != 0)
        goto out_free;
    f->pool = pool;
    f->fn = fn;
    f->arg = arg;
    if (pool->nworkers == 0) {
        atomic_init(&f->state, FUTURE_RUNNING);
        future_run(f);
        *out = f;
        return 0;
    }
    atomic_init(&f->state, FUTURE_QUEUED);
    pool_lock(pool);
    task_link(pool, f);
    pool_unlock(pool);
    publish(pool, 1);
    *out = f;
    return 0;

out_free:
    hetero__free(f);
    return rc;
}

/* Waits until f is terminal; deadline NULL: no deadline. */
static int future_wait_until(hetero_future *f, const struct timespec *deadline)
{
    int ret = 0;

    pthread_mutex_lock(&f->mu);
    f->waiters++;
    while (!state_terminal(atomic_load(&f->state))) {
        if (deadline == NULL) {
            pthread_cond_wait(&f->cv, &f->mu);
        } else if (pthread_cond_timedwait(&f->cv, &f->mu, deadline) ==
                   ETIMEDOUT) {
            if (!state_terminal(atomic_load(&f->state)))
                ret = HETERO_ETIMEDOUT;
            break;
        }
    }
    f->waiters--;
    pthread_mutex_unlock(&f->mu);
    return ret;
}

int hetero_future_wait(hetero_future *f)
{
    if (f == NULL)
        return HETERO_EINVAL;
    return future_wait_until(f, NULL);
}

int hetero_future_wait_for(hetero_future *f, double timeout_s)
{
    struct timespec deadline;
    time_t sec;

    if (f == NULL || isnan(timeout_s) || timeout_s < 0)
        return HETERO_EINVAL;
    if (timeout_s > WAIT_FOREVER_S)
        return future_wait_until(f, NULL);
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    sec = (time_t)timeout_s;
    deadline.tv_sec += sec;
    deadline.tv_nsec += (long)((timeout_s - (double)sec) * 1e9);
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    return future_wait_until(f, &deadline);
}

/* Cancels f if it is still queued: 0 if it is (now) cancelled. */
static int future_cancel(hetero_future *f)
{
    struct callback cbs[FUTURE_MAX_CALLBACKS];
    hetero_pool *pool;
    size_t ncb;
    int state;

    state = atomic_load(&f->state);
    if (state != FUTURE_QUEUED)
        return state == FUTURE_CANCELLED ? 0 : HETERO_EBUSY;
    /* Queued, so its pool is alive: destroying it cancels its queue. */
    pool = f->pool;
    pool_lock(pool);
    state = atomic_load(&f->state);
    if (state != FUTURE_QUEUED) {
        pool_unlock(pool);
        return state == FUTURE_CANCELLED ? 0 : HETERO_EBUSY;
    }
    task_unlink(pool, f);
    ncb = future_complete(f, FUTURE_CANCELLED, cbs);
    pool_unlock(pool);
    future_run_callbacks(f, cbs, ncb);
    return 0;
}

int hetero_future_cancel(hetero_future *f)
{
    if (f == NULL)
        return HETERO_EINVAL;
    return future_cancel(f);
}

bool hetero_future_done(const hetero_future *f)
{
    return f != NULL && state_terminal(atomic_load(&f->state));
}

bool hetero_future_cancelled(const hetero_future *f)
{
    return f != NULL && atomic_load(&f->state) == FUTURE_CANCELLED;
}

int hetero_future_result(const hetero_future *f, int *result)
{
    int state;

    if (f == NULL || result == NULL)
        return HETERO_EINVAL;
    state = atomic_load(&f->state);
    if (state == FUTURE_CANCELLED)
        return HETERO_ECANCELED;
    if (state != FUTURE_DONE)
        return HETERO_EBUSY;
    *result = f->result;
    return 0;
}

int hetero_future_add_done_callback(hetero_future *f, hetero_future_cb cb,
                                    void *arg)
{
    if (f == NULL || cb == NULL)
        return HETERO_EINVAL;
    pthread_mutex_lock(&f->mu);
    if (state_terminal(atomic_load(&f->state))) {
        pthread_mutex_unlock(&f->mu);
        cb(f, arg);
        return 0;
    }
    if (f->ncallbacks == FUTURE_MAX_CALLBACKS) {
        pthread_mutex_unlock(&f->mu);
        return HETERO_ENOMEM;
    }
    f->callbacks[f->ncallbacks].fn = cb;
    f->callbacks[f->ncallbacks].arg = arg;
    f->ncallbacks++;
    pthread_mutex_unlock(&f->mu);
    return 0;
}

void hetero_future_destroy(hetero_future *f)
{
    if (f == NULL)
        return;
    /* EBUSY means it started: wait for it below. */
    future_cancel(f);
    pthread_mutex_lock(&f->mu);
    f->waiters++;
    while (!f->finished)
        pthread_cond_wait(&f->cv, &f->mu);
    f->waiters--;
    pthread_mutex_unlock(&f->mu);
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
    hetero__free(f);
}
