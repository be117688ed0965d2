/*
 * test_pool.c - the pthreads pool: parallel_for coverage and chunking,
 * errors, nesting, concurrent callers, futures, options and allocation
 * faults.
 *
 * Bodies and tasks run on worker threads, where cmocka's assertions must not
 * be used: they record what they see in atomics, and the test thread checks
 * the record afterwards.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test_support.h"

#include <hetero/error.h>
#include <hetero/pool.h>

#include "internal.h"
#include "pool/pool_internal.h"

#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif /* __has_feature(thread_sanitizer) */
#endif /* __SANITIZE_THREAD__ */

#if defined(UNDER_TSAN)
#define SCALE 10
#else
#define SCALE 1
#endif /* UNDER_TSAN */

static hetero_pool *make_pool(size_t threads)
{
    struct hetero_pool_opts opts = { .num_threads = threads };
    hetero_pool *pool = NULL;

    assert_int_equal(hetero_pool_create(&opts, &pool), 0);
    assert_non_null(pool);
    assert_int_equal(hetero_pool_size(pool), threads);
    return pool;
}

static void sleep_us(long us)
{
    struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

    nanosleep(&ts, NULL);
}

/* Polls until *counter >= want (fails after about 10 s). */
static void wait_count(atomic_int *counter, int want)
{
    for (int i = 0; i < 100000 && atomic_load(counter) < want; i++)
        sleep_us(100);
    assert_true(atomic_load(counter) >= want);
}

/* ---- argument checks and partition ---- */

static int nop_body(void *arg, size_t begin, size_t end, size_t worker)
{
    atomic_int *calls = arg;

    (void)begin;
    (void)end;
    (void)worker;
    if (calls != NULL)
        atomic_fetch_add(calls, 1);
    return 0;
}

static int nop_task(void *arg)
{
    (void)arg;
    return 0;
}

static void test_pool_bad_args(void **state)
{
    struct hetero_pool_opts opts = { .num_threads = 2 };
    struct hetero_pool_opts big = { .num_threads =
                                        HETERO_POOL_MAX_THREADS + 1 };
    hetero_pool *pool = NULL;
    hetero_future *f = NULL;
    atomic_int calls = 0;
    int res = 0;

    (void)state;
    assert_int_equal(hetero_pool_create(&opts, NULL), HETERO_EINVAL);
    assert_int_equal(hetero_pool_create(&big, &pool), HETERO_EINVAL);
    assert_null(pool);
    pool = make_pool(2);
    assert_int_equal(hetero_pool_parallel_for(NULL, 10, 1, nop_body, NULL),
                     HETERO_EINVAL);
    assert_int_equal(hetero_pool_parallel_for(pool, 10, 1, NULL, NULL),
                     HETERO_EINVAL);
    assert_int_equal(hetero_pool_parallel_for(pool, 0, 1, nop_body, &calls), 0);
    assert_int_equal(atomic_load(&calls), 0);
    assert_int_equal(hetero_pool_submit(NULL, nop_task, NULL, &f),
                     HETERO_EINVAL);
    assert_int_equal(hetero_pool_submit(pool, NULL, NULL, &f), HETERO_EINVAL);
    assert_int_equal(hetero_pool_submit(pool, nop_task, NULL, NULL),
                     HETERO_EINVAL);
    assert_int_equal(hetero_future_wait(NULL), HETERO_EINVAL);
    assert_int_equal(hetero_future_wait_for(NULL, 1.0), HETERO_EINVAL);
    assert_int_equal(hetero_future_cancel(NULL), HETERO_EINVAL);
    assert_int_equal(hetero_future_result(NULL, &res), HETERO_EINVAL);
    assert_int_equal(hetero_future_add_done_callback(NULL, NULL, NULL),
                     HETERO_EINVAL);
    assert_false(hetero_future_done(NULL));
    assert_false(hetero_future_cancelled(NULL));
    assert_false(hetero_pool_in_worker(pool));
    assert_false(hetero_pool_in_worker(NULL));
    assert_int_equal(hetero_pool_size(NULL), 0);
    hetero_future_destroy(NULL);
    hetero_pool_destroy(NULL);
    hetero_pool_destroy(pool);
}

static void test_pool_partition_table(void **state)
{
    (void)state;
    /* The rows of the table at the top of pool.c. */
    assert_int_equal(hetero__partition(1000, 2, 0), 63);
    assert_int_equal(hetero__partition_count(1000, 63), 16);
    assert_int_equal(hetero__partition(1000, 8, 0), 16);
    assert_int_equal(hetero__partition_count(1000, 16), 63);
    assert_int_equal(hetero__partition(10, 8, 0), 1);
    assert_int_equal(hetero__partition(1000, 3, 100), 100);
    assert_int_equal(hetero__partition_count(1000, 100), 10);
    assert_int_equal(hetero__partition(10, 3, 100), 100);
    assert_int_equal(hetero__partition_count(10, 100), 1);
    assert_int_equal(hetero__partition(1, 1, 0), 1);
    assert_int_equal(hetero__partition(SIZE_MAX, 4, 1), 2);
    assert_true(hetero__partition_count(SIZE_MAX, 2) <= SIZE_MAX / 2 + 1);
}

/* ---- coverage ---- */

struct cover {
    size_t n;
    size_t chunk;     /* expected chunk size */
    size_t threads;   /* worker indices must stay below this */
    atomic_int *hits; /* per chunk */
    atomic_int bad;
};

static int cover_body(void *arg, size_t begin, size_t end, size_t worker)
{
    struct cover *c = arg;
    size_t expect_end = c->n - begin > c->chunk ? begin + c->chunk : c->n;

    if (begin % c->chunk != 0 || end != expect_end || begin >= end ||
        worker >= c->threads)
        atomic_store(&c->bad, 1);
    else
        atomic_fetch_add(&c->hits[begin / c->chunk], 1);
    return 0;
}

static void test_pool_every_chunk_once(void **state)
{
    static const size_t ns[] = { 1, 2, 3, 7, 97, 1000, 1009, 4099 };
    static const size_t grains[] = { 0, 1, 3, 64, 5000 };
    static const size_t maxes[] = { 0, 1, 2, 3, 4, 9 };
    hetero_pool *pool = make_pool(4);
    atomic_int *hits = calloc(4099, sizeof(*hits));

    (void)state;
    assert_non_null(hits);
    for (size_t a = 0; a < HETERO_ARRAY_SIZE(ns); a++) {
        for (size_t b = 0; b < HETERO_ARRAY_SIZE(grains); b++) {
            for (size_t m = 0; m < HETERO_ARRAY_SIZE(maxes); m++) {
                size_t threads = maxes[m] == 0 || maxes[m] > 4 ? 4 : maxes[m];
                struct cover c = { .n = ns[a], .hits = hits };
                size_t nchunks;

                c.chunk = hetero__partition(ns[a], threads, grains[b]);
                nchunks = hetero__partition_count(ns[a], c.chunk);
                c.threads = threads < nchunks ? threads : nchunks;
                atomic_init(&c.bad, 0);
                for (size_t i = 0; i < nchunks; i++)
                    atomic_store(&hits[i], 0);
                assert_int_equal(hetero_pool_parallel_for_n(pool, maxes[m],
                                                            ns[a], grains[b],
                                                            cover_body, &c),
                                 0);
                assert_int_equal(atomic_load(&c.bad), 0);
                for (size_t i = 0; i < nchunks; i++)
                    assert_int_equal(atomic_load(&hits[i]), 1);
            }
        }
    }
    free(hits);
    hetero_pool_destroy(pool);
}

static int count_body(void *arg, size_t begin, size_t end, size_t worker)
{
    atomic_int *counts = arg;

    (void)worker;
    for (size_t i = begin; i < end; i++)
        atomic_fetch_add_explicit(&counts[i], 1, memory_order_relaxed);
    return 0;
}

static void test_pool_many_tiny_tasks(void **state)
{
    size_t n = 100000;
    hetero_pool *pool = make_pool(4);
    atomic_int *counts = calloc(n, sizeof(*counts));

    (void)state;
    assert_non_null(counts);
    assert_int_equal(hetero_pool_parallel_for(pool, n, 1, count_body, counts),
                     0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(atomic_load(&counts[i]), 1);
    /* Automatic grain, and back-to-back calls. */
    for (int r = 0; r < 100 / SCALE; r++)
        assert_int_equal(
            hetero_pool_parallel_for(pool, n, 0, count_body, counts), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(atomic_load(&counts[i]), 1 + 100 / SCALE);
    free(counts);
    hetero_pool_destroy(pool);
}

/* ---- errors ---- */

struct failing {
    size_t fail_from; /* chunks at or after this index fail */
    size_t fail_only; /* or only this one (SIZE_MAX: unused) */
    atomic_int calls_at_or_after;
    atomic_int calls;
};

static int failing_body(void *arg, size_t begin, size_t end, size_t worker)
{
    struct failing *f = arg;

    (void)end;
    (void)worker;
    atomic_fetch_add(&f->calls, 1);
    if (begin == f->fail_only)
        return -7;
    if (begin >= f->fail_from) {
        atomic_fetch_add(&f->calls_at_or_after, 1);
        return -5;
    }
    return 0;
}

static void test_pool_error_stops_claiming(void **state)
{
    hetero_pool *pool = make_pool(4);

    (void)state;
    for (int r = 0; r < 50 / SCALE; r++) {
        struct failing f = { .fail_from = 100, .fail_only = SIZE_MAX };

        atomic_init(&f.calls_at_or_after, 0);
        atomic_init(&f.calls, 0);
        assert_int_equal(
            hetero_pool_parallel_for(pool, 100000, 1, failing_body, &f), -5);
        /* Claims are in index order and a thread stops at its first
         * failure: at most one failing chunk per thread. */
        assert_true(atomic_load(&f.calls_at_or_after) >= 1);
        assert_true(atomic_load(&f.calls_at_or_after) <= 4);
    }
    for (int r = 0; r < 50 / SCALE; r++) {
        struct failing f = { .fail_from = SIZE_MAX, .fail_only = 333 };

        atomic_init(&f.calls_at_or_after, 0);
        atomic_init(&f.calls, 0);
        assert_int_equal(
            hetero_pool_parallel_for(pool, 1000, 1, failing_body, &f), -7);
        assert_true(atomic_load(&f.calls) >= 1);
    }
    /* Inline path: stops at the failing chunk. */
    {
        struct failing f = { .fail_from = 10, .fail_only = SIZE_MAX };

        atomic_init(&f.calls_at_or_after, 0);
        atomic_init(&f.calls, 0);
        assert_int_equal(
            hetero_pool_parallel_for_n(pool, 1, 100, 1, failing_body, &f), -5);
        assert_int_equal(atomic_load(&f.calls), 11);
    }
    hetero_pool_destroy(pool);
}

/* ---- nesting, inline, concurrent callers ---- */

struct nested {
    hetero_pool *pool;
    atomic_int inner_total;
    atomic_int bad;
    atomic_int outer_on_worker;
};

struct inner {
    struct nested *nest;
    pthread_t outer_thread;
    bool outer_in_worker;
};

static int inner_body(void *arg, size_t begin, size_t end, size_t worker)
{
    struct inner *in = arg;

    if (in->outer_in_worker &&
        (worker != 0 || !pthread_equal(pthread_self(), in->outer_thread)))
        atomic_store(&in->nest->bad, 1);
    atomic_fetch_add(&in->nest->inner_total, (int)(end - begin));
    return 0;
}

static int outer_body(void *arg, size_t begin, size_t end, size_t worker)
{
    struct nested *nest = arg;
    struct inner in = { .nest = nest, .outer_thread = pthread_self() };

    (void)begin;
    (void)end;
    (void)worker;
    in.outer_in_worker = hetero_pool_in_worker(nest->pool);
    if (in.outer_in_worker)
        atomic_fetch_add(&nest->outer_on_worker, 1);
    return hetero_pool_parallel_for(nest->pool, 100, 7, inner_body, &in);
}

static void test_pool_nested_parallel_for(void **state)
{
    hetero_pool *pool = make_pool(3);

    (void)state;
    for (int r = 0; r < 20 / SCALE; r++) {
        struct nested nest = { .pool = pool };

        atomic_init(&nest.inner_total, 0);
        atomic_init(&nest.bad, 0);
        atomic_init(&nest.outer_on_worker, 0);
        assert_int_equal(
            hetero_pool_parallel_for(pool, 16, 1, outer_body, &nest), 0);
        assert_int_equal(atomic_load(&nest.inner_total), 1600);
        assert_int_equal(atomic_load(&nest.bad), 0);
    }
    hetero_pool_destroy(pool);
}

struct inline_check {
    pthread_t caller;
    atomic_int bad;
    atomic_int calls;
};

static int inline_body(void *arg, size_t begin, size_t end, size_t worker)
{
    struct inline_check *c = arg;

    (void)begin;
    (void)end;
    if (worker != 0 || !pthread_equal(pthread_self(), c->caller))
        atomic_store(&c->bad, 1);
    atomic_fetch_add(&c->calls, 1);
    return 0;
}

static void test_pool_parallel_for_n_one_is_inline(void **state)
{
    hetero_pool *pool = make_pool(4);
    hetero_pool *single = make_pool(1);
    struct inline_check c = { .caller = pthread_self() };

    (void)state;
    atomic_init(&c.bad, 0);
    atomic_init(&c.calls, 0);
    assert_int_equal(
        hetero_pool_parallel_for_n(pool, 1, 1000, 10, inline_body, &c), 0);
    assert_int_equal(atomic_load(&c.calls), 100);
    /* A one-thread pool, and a range that is a single chunk. */
    assert_int_equal(
        hetero_pool_parallel_for(single, 1000, 10, inline_body, &c), 0);
    assert_int_equal(hetero_pool_parallel_for(pool, 5, 100, inline_body, &c),
                     0);
    assert_int_equal(atomic_load(&c.calls), 201);
    assert_int_equal(atomic_load(&c.bad), 0);
    hetero_pool_destroy(single);
    hetero_pool_destroy(pool);
}

#define CALLERS 8
#define CALLER_N 1000

struct caller_job {
    atomic_int in_use[4]; /* per worker index: threads inside */
    atomic_int bad;
    atomic_long sum;
};

static int caller_body(void *arg, size_t begin, size_t end, size_t worker)
{
    struct caller_job *j = arg;
    long s = 0;

    if (worker >= 4 || atomic_fetch_add(&j->in_use[worker], 1) != 0) {
        atomic_store(&j->bad, 1);
        return 0;
    }
    for (size_t i = begin; i < end; i++)
        s += (long)i;
    atomic_fetch_add(&j->sum, s);
    atomic_fetch_sub(&j->in_use[worker], 1);
    return 0;
}

struct caller_arg {
    hetero_pool *pool;
    int rounds;
    atomic_int failures;
};

static void *caller_main(void *p)
{
    struct caller_arg *a = p;

    for (int r = 0; r < a->rounds; r++) {
        struct caller_job j;
        int rc;

        for (int w = 0; w < 4; w++)
            atomic_init(&j.in_use[w], 0);
        atomic_init(&j.bad, 0);
        atomic_init(&j.sum, 0);
        rc = hetero_pool_parallel_for(a->pool, CALLER_N, (size_t)r % 50,
                                      caller_body, &j);
        if (rc != 0 || atomic_load(&j.bad) != 0 ||
            atomic_load(&j.sum) != (long)CALLER_N * (CALLER_N - 1) / 2)
            atomic_fetch_add(&a->failures, 1);
    }
    return NULL;
}

static void test_pool_concurrent_callers(void **state)
{
    hetero_pool *pool = make_pool(4);
    struct caller_arg a = { .pool = pool, .rounds = 200 / SCALE };
    pthread_t th[CALLERS];

    (void)state;
    atomic_init(&a.failures, 0);
    for (int i = 0; i < CALLERS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, caller_main, &a), 0);
    for (int i = 0; i < CALLERS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    assert_int_equal(atomic_load(&a.failures), 0);
    hetero_pool_destroy(pool);
}

/* ---- futures ---- */

/* A gate that blocked tasks wait on. */
struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool open;
    atomic_int started;
    int ret;
};

static void gate_init(struct gate *g, int ret)
{
    assert_int_equal(pthread_mutex_init(&g->mu, NULL), 0);
    assert_int_equal(pthread_cond_init(&g->cv, NULL), 0);
    g->open = false;
    atomic_init(&g->started, 0);
    g->ret = ret;
}

static void gate_open(struct gate *g)
{
    pthread_mutex_lock(&g->mu);
    g->open = true;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

static void gate_fini(struct gate *g)
{
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
}

static int gate_task(void *arg)
{
    struct gate *g = arg;

    atomic_fetch_add(&g->started, 1);
    pthread_mutex_lock(&g->mu);
    while (!g->open)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
    return g->ret;
}

static int value_task(void *arg)
{
    return (int)(intptr_t)arg;
}

/* Submits a task returning v. */
static hetero_future *submit_value(hetero_pool *pool, int v)
{
    hetero_future *f = NULL;

    assert_int_equal(
        hetero_pool_submit(pool, value_task, (void *)(intptr_t)v, &f), 0);
    assert_non_null(f);
    return f;
}

struct cb_record {
    atomic_int calls;
    atomic_int cancelled;
    hetero_future *expect;
    atomic_int bad;
};

static void record_cb(hetero_future *f, void *arg)
{
    struct cb_record *r = arg;

    if (f != r->expect || !hetero_future_done(f))
        atomic_store(&r->bad, 1);
    if (hetero_future_cancelled(f))
        atomic_fetch_add(&r->cancelled, 1);
    atomic_fetch_add(&r->calls, 1);
}

static void cb_record_init(struct cb_record *r)
{
    atomic_init(&r->calls, 0);
    atomic_init(&r->cancelled, 0);
    atomic_init(&r->bad, 0);
    r->expect = NULL;
}

static void test_pool_future_wait_result(void **state)
{
    hetero_pool *pool = make_pool(2);
    hetero_future *f = NULL;
    int res = 0;

    (void)state;
    f = submit_value(pool, 42);
    assert_int_equal(hetero_future_wait(f), 0);
    assert_true(hetero_future_done(f));
    assert_false(hetero_future_cancelled(f));
    assert_int_equal(hetero_future_result(f, &res), 0);
    assert_int_equal(res, 42);
    assert_int_equal(hetero_future_cancel(f), HETERO_EBUSY);
    assert_int_equal(hetero_future_wait_for(f, 0.0), 0);
    assert_int_equal(hetero_future_wait_for(f, -1.0), HETERO_EINVAL);
    hetero_future_destroy(f);

    /* A negative task result is a result, not an error of the future. */
    f = submit_value(pool, -3);
    assert_int_equal(hetero_future_wait_for(f, 1e12), 0);
    assert_int_equal(hetero_future_result(f, &res), 0);
    assert_int_equal(res, -3);
    hetero_future_destroy(f);
    hetero_pool_destroy(pool);
}

static void test_pool_future_wait_for_timeout(void **state)
{
    hetero_pool *pool = make_pool(2);
    hetero_future *f = NULL;
    struct gate g;
    int res = 0;

    (void)state;
    gate_init(&g, 5);
    assert_int_equal(hetero_pool_submit(pool, gate_task, &g, &f), 0);
    assert_int_equal(hetero_future_wait_for(f, 0.05), HETERO_ETIMEDOUT);
    assert_false(hetero_future_done(f));
    assert_int_equal(hetero_future_result(f, &res), HETERO_EBUSY);
    gate_open(&g);
    assert_int_equal(hetero_future_wait_for(f, 60.0), 0);
    assert_int_equal(hetero_future_result(f, &res), 0);
    assert_int_equal(res, 5);
    hetero_future_destroy(f);
    gate_fini(&g);
    hetero_pool_destroy(pool);
}

static void test_pool_future_cancel_queued(void **state)
{
    hetero_pool *pool = make_pool(3);
    hetero_future *block[2];
    hetero_future *f = NULL;
    hetero_future *after = NULL;
    struct cb_record rec;
    struct gate g;
    int res = 0;

    (void)state;
    gate_init(&g, 1);
    cb_record_init(&rec);
    /* Occupy both workers, so that the next tasks stay queued. */
    for (int i = 0; i < 2; i++)
        assert_int_equal(hetero_pool_submit(pool, gate_task, &g, &block[i]), 0);
    wait_count(&g.started, 2);
    f = submit_value(pool, 9);
    after = submit_value(pool, 8);
    rec.expect = f;
    assert_int_equal(hetero_future_add_done_callback(f, record_cb, &rec), 0);
    assert_false(hetero_future_done(f));
    assert_int_equal(hetero_future_cancel(f), 0);
    assert_int_equal(atomic_load(&rec.calls), 1);
    assert_int_equal(atomic_load(&rec.cancelled), 1);
    assert_true(hetero_future_done(f));
    assert_true(hetero_future_cancelled(f));
    assert_int_equal(hetero_future_result(f, &res), HETERO_ECANCELED);
    assert_int_equal(hetero_future_cancel(f), 0); /* already cancelled */
    assert_int_equal(hetero_future_wait(f), 0);
    gate_open(&g);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(hetero_future_wait(block[i]), 0);
        assert_int_equal(hetero_future_result(block[i], &res), 0);
        assert_int_equal(res, 1);
        hetero_future_destroy(block[i]);
    }
    assert_int_equal(hetero_future_wait(after), 0);
    assert_int_equal(hetero_future_result(after, &res), 0);
    assert_int_equal(res, 8);
    hetero_future_destroy(after);
    hetero_future_destroy(f);
    assert_int_equal(atomic_load(&rec.bad), 0);
    gate_fini(&g);
    hetero_pool_destroy(pool);
}

static void test_pool_future_cancel_running_busy(void **state)
{
    hetero_pool *pool = make_pool(2);
    hetero_future *f = NULL;
    struct gate g;

    (void)state;
    gate_init(&g, 0);
    assert_int_equal(hetero_pool_submit(pool, gate_task, &g, &f), 0);
    wait_count(&g.started, 1);
    assert_int_equal(hetero_future_cancel(f), HETERO_EBUSY);
    assert_false(hetero_future_cancelled(f));
    gate_open(&g);
    assert_int_equal(hetero_future_wait(f), 0);
    assert_int_equal(hetero_future_cancel(f), HETERO_EBUSY);
    hetero_future_destroy(f);
    gate_fini(&g);
    hetero_pool_destroy(pool);
}

static void test_pool_future_callbacks(void **state)
{
    hetero_pool *pool = make_pool(2);
    hetero_future *f = NULL;
    struct cb_record before;
    struct cb_record after;
    struct gate g;

    (void)state;
    gate_init(&g, 3);
    cb_record_init(&before);
    cb_record_init(&after);
    assert_int_equal(hetero_pool_submit(pool, gate_task, &g, &f), 0);
    before.expect = f;
    after.expect = f;
    for (int i = 0; i < 8; i++)
        assert_int_equal(hetero_future_add_done_callback(f, record_cb, &before),
                         0);
    assert_int_equal(hetero_future_add_done_callback(f, record_cb, &before),
                     HETERO_ENOMEM);
    assert_int_equal(hetero_future_add_done_callback(f, NULL, NULL),
                     HETERO_EINVAL);
    gate_open(&g);
    assert_int_equal(hetero_future_wait(f), 0);
    /* Added after completion: runs at once, on this thread. */
    assert_int_equal(hetero_future_add_done_callback(f, record_cb, &after), 0);
    assert_int_equal(atomic_load(&after.calls), 1);
    /* destroy waits for the callbacks of the finishing thread. */
    hetero_future_destroy(f);
    assert_int_equal(atomic_load(&before.calls), 8);
    assert_int_equal(atomic_load(&before.cancelled), 0);
    assert_int_equal(atomic_load(&before.bad), 0);
    assert_int_equal(atomic_load(&after.bad), 0);
    gate_fini(&g);
    hetero_pool_destroy(pool);
}

static void test_pool_future_single_thread_inline(void **state)
{
    hetero_pool *pool = make_pool(1);
    hetero_future *f = NULL;
    int res = 0;

    (void)state;
    f = submit_value(pool, 7);
    assert_true(hetero_future_done(f));
    assert_int_equal(hetero_future_result(f, &res), 0);
    assert_int_equal(res, 7);
    hetero_future_destroy(f);
    hetero_pool_destroy(pool);
}

struct order_log {
    pthread_mutex_t mu;
    int seq[16];
    int len;
};

struct order_item {
    struct order_log *log;
    int id;
};

static int order_task(void *arg)
{
    struct order_item *it = arg;

    pthread_mutex_lock(&it->log->mu);
    it->log->seq[it->log->len++] = it->id;
    pthread_mutex_unlock(&it->log->mu);
    return it->id;
}

static void test_pool_future_fifo(void **state)
{
    hetero_pool *pool = make_pool(2);
    struct order_log log = { .len = 0 };
    struct order_item items[10];
    hetero_future *fs[10];
    hetero_future *block = NULL;
    struct gate g;

    (void)state;
    assert_int_equal(pthread_mutex_init(&log.mu, NULL), 0);
    gate_init(&g, 0);
    assert_int_equal(hetero_pool_submit(pool, gate_task, &g, &block), 0);
    wait_count(&g.started, 1);
    for (int i = 0; i < 10; i++) {
        items[i].log = &log;
        items[i].id = i;
        assert_int_equal(
            hetero_pool_submit(pool, order_task, &items[i], &fs[i]), 0);
    }
    gate_open(&g);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(hetero_future_wait(fs[i]), 0);
        hetero_future_destroy(fs[i]);
    }
    assert_int_equal(log.len, 10);
    for (int i = 0; i < 10; i++)
        assert_int_equal(log.seq[i], i);
    hetero_future_destroy(block);
    gate_fini(&g);
    pthread_mutex_destroy(&log.mu);
    hetero_pool_destroy(pool);
}

static int add_task(void *arg)
{
    atomic_int *counter = arg;

    return atomic_fetch_add(counter, 1) >= 0 ? 0 : -1;
}

static void test_pool_future_many(void **state)
{
    int n = 1000 / SCALE;
    hetero_pool *pool = make_pool(4);
    hetero_future **fs = calloc((size_t)n, sizeof(*fs));
    atomic_int counter = 0;
    int res = -1;

    (void)state;
    assert_non_null(fs);
    for (int i = 0; i < n; i++)
        assert_int_equal(hetero_pool_submit(pool, add_task, &counter, &fs[i]),
                         0);
    for (int i = 0; i < n; i++) {
        assert_int_equal(hetero_future_wait(fs[i]), 0);
        assert_int_equal(hetero_future_result(fs[i], &res), 0);
        assert_int_equal(res, 0);
        hetero_future_destroy(fs[i]);
    }
    assert_int_equal(atomic_load(&counter), n);
    /* Futures destroyed without waiting: queued ones are cancelled,
     * running ones waited for. */
    for (int i = 0; i < n; i++)
        assert_int_equal(hetero_pool_submit(pool, add_task, &counter, &fs[i]),
                         0);
    for (int i = n - 1; i >= 0; i--)
        hetero_future_destroy(fs[i]);
    assert_true(atomic_load(&counter) <= 2 * n);
    free(fs);
    hetero_pool_destroy(pool);
}

struct opener {
    hetero_future *watch;
    struct gate *gate;
};

/* Opens the gate once `watch` is done (cancelled by the pool's destroy). */
static void *opener_main(void *p)
{
    struct opener *o = p;

    while (!hetero_future_done(o->watch))
        sleep_us(100);
    gate_open(o->gate);
    return NULL;
}

static void test_pool_destroy_cancels_queued(void **state)
{
    hetero_pool *pool = make_pool(2);
    hetero_future *block = NULL;
    hetero_future *queued = NULL;
    struct cb_record rec;
    struct opener o;
    pthread_t th;
    struct gate g;
    int res = 0;

    (void)state;
    gate_init(&g, 4);
    cb_record_init(&rec);
    assert_int_equal(hetero_pool_submit(pool, gate_task, &g, &block), 0);
    wait_count(&g.started, 1);
    queued = submit_value(pool, 1);
    rec.expect = queued;
    assert_int_equal(hetero_future_add_done_callback(queued, record_cb, &rec),
                     0);
    o.watch = queued;
    o.gate = &g;
    assert_int_equal(pthread_create(&th, NULL, opener_main, &o), 0);
    hetero_pool_destroy(pool); /* cancels `queued`, then joins */
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_true(hetero_future_cancelled(queued));
    assert_int_equal(hetero_future_result(queued, &res), HETERO_ECANCELED);
    assert_int_equal(atomic_load(&rec.calls), 1);
    assert_int_equal(atomic_load(&rec.cancelled), 1);
    assert_int_equal(atomic_load(&rec.bad), 0);
    /* The running task was finished before the workers were joined. */
    assert_true(hetero_future_done(block));
    assert_int_equal(hetero_future_result(block, &res), 0);
    assert_int_equal(res, 4);
    /* Futures outlive their pool. */
    hetero_future_destroy(queued);
    hetero_future_destroy(block);
    gate_fini(&g);
}

/* ---- lifecycle, options, allocation faults ---- */

static void test_pool_create_destroy_repeat(void **state)
{
    (void)state;
    for (int i = 0; i < 1000 / SCALE; i++) {
        hetero_pool *pool = make_pool((size_t)(i % 4) + 1);
        atomic_int calls = 0;

        if (i % 2 == 0)
            assert_int_equal(
                hetero_pool_parallel_for(pool, 8, 1, nop_body, &calls), 0);
        hetero_pool_destroy(pool);
    }
}

static void test_pool_env_num_threads(void **state)
{
    static const char *const bad[] = { "abc", "0",  "-1", "100000",
                                       "",    " 3", "3x", "257" };
    struct hetero_pool_opts two = { .num_threads = 2 };
    hetero_pool *pool = NULL;

    (void)state;
    for (size_t i = 0; i < HETERO_ARRAY_SIZE(bad); i++) {
        assert_int_equal(setenv("HETERO_NUM_THREADS", bad[i], 1), 0);
        assert_int_equal(hetero_pool_create(NULL, &pool), HETERO_EINVAL);
        assert_null(pool);
    }
    /* An explicit count does not read the environment. */
    assert_int_equal(hetero_pool_create(&two, &pool), 0);
    assert_int_equal(hetero_pool_size(pool), 2);
    hetero_pool_destroy(pool);
    pool = NULL;
    assert_int_equal(setenv("HETERO_NUM_THREADS", "3", 1), 0);
    assert_int_equal(hetero_pool_create(NULL, &pool), 0);
    assert_int_equal(hetero_pool_size(pool), 3);
    hetero_pool_destroy(pool);
    pool = NULL;
    assert_int_equal(unsetenv("HETERO_NUM_THREADS"), 0);
    assert_int_equal(hetero_pool_create(NULL, &pool), 0);
    assert_true(hetero_pool_size(pool) >= 1);
    hetero_pool_destroy(pool);
}

static void test_pool_alloc_faults(void **state)
{
    struct hetero_pool_opts opts = { .num_threads = 3 };
    hetero_pool *pool = NULL;
    hetero_future *f = NULL;
    long k;
    int rc;

    (void)state;
    for (k = 0; k < 100; k++) {
        hetero__alloc_fail_after(k);
        rc = hetero_pool_create(&opts, &pool);
        if (rc == 0)
            break;
        assert_int_equal(rc, HETERO_ENOMEM);
        assert_null(pool);
    }
    hetero__alloc_fail_after(-1);
    assert_true(k >= 1 && k < 100);
    assert_non_null(pool);

    hetero__alloc_fail_after(0);
    assert_int_equal(hetero_pool_submit(pool, nop_task, NULL, &f),
                     HETERO_ENOMEM);
    assert_null(f);
    hetero__alloc_fail_after(-1);
    assert_int_equal(hetero_pool_submit(pool, nop_task, NULL, &f), 0);
    assert_int_equal(hetero_future_wait(f), 0);
    hetero_future_destroy(f);
    hetero_pool_destroy(pool);
    hetero__alloc_fault_reset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_bad_args),
        cmocka_unit_test(test_pool_partition_table),
        cmocka_unit_test(test_pool_every_chunk_once),
        cmocka_unit_test(test_pool_many_tiny_tasks),
        cmocka_unit_test(test_pool_error_stops_claiming),
        cmocka_unit_test(test_pool_nested_parallel_for),
        cmocka_unit_test(test_pool_parallel_for_n_one_is_inline),
        cmocka_unit_test(test_pool_concurrent_callers),
        cmocka_unit_test(test_pool_future_wait_result),
        cmocka_unit_test(test_pool_future_wait_for_timeout),
        cmocka_unit_test(test_pool_future_cancel_queued),
        cmocka_unit_test(test_pool_future_cancel_running_busy),
        cmocka_unit_test(test_pool_future_callbacks),
        cmocka_unit_test(test_pool_future_single_thread_inline),
        cmocka_unit_test(test_pool_future_fifo),
        cmocka_unit_test(test_pool_future_many),
        cmocka_unit_test(test_pool_destroy_cancels_queued),
        cmocka_unit_test(test_pool_create_destroy_repeat),
        cmocka_unit_test(test_pool_env_num_threads),
        cmocka_unit_test(test_pool_alloc_faults),
    };

    /* The pool reads HETERO_NUM_THREADS only when num_threads is 0. */
    unsetenv("HETERO_NUM_THREADS");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
