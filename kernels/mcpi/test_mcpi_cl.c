/*
 * test_mcpi_cl.c - mcpi's OpenCL variant: the same hits as the serial
 * reference and the independent Python counts, for several seeds and
 * sample counts (odd ones and 1 included), pair ranges across the 2^32
 * counter boundary, every work-item step width, launches split at any
 * size, the copy path of discrete GPUs, devices without fp64 (which it
 * does not need), and one plan run from several threads.
 *
 * Every test skips without an OpenCL device; if all skip, the binary exits
 * 77 (CTest: skipped). One context serves every test, so the program is
 * built once.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

#include "cl/cl_internal.h"
#include "mcpi/mcpi.h"
#include "mcpi/mcpi_impl.h"

static hetero_context *ctx;
static struct hetero__cl_device *dev;

/* Skips the calling test when there is no OpenCL device. */
static void need_cl(void)
{
    if (!dev) {
        ts_skip();
    }
}

/* Runs mcpi with the given samples and seed; fails on an error. */
static void run_mcpi(uint64_t samples, uint64_t seed, unsigned flags,
                     int64_t *hits, double *pi)
{
    const hetero_kernel *k = hetero_kernel_find("mcpi");
    char samples_txt[32];
    char seed_txt[32];
    struct hetero_param params[2] = {
        { "samples", samples_txt },
        { "seed", seed_txt },
    };
    struct hetero_call call = { .params = params, .n_params = 2 };
    struct hetero_array out[2] = { { 0 } };
    int ret;

    assert_non_null(k);
    snprintf(samples_txt, sizeof(samples_txt), "%llu",
             (unsigned long long)samples);
    snprintf(seed_txt, sizeof(seed_txt), "%llu", (unsigned long long)seed);
    ret = ts_run(ctx, k, &call, flags, 0, NULL, out);
    if (ret)
        fail_msg("mcpi: %s (%s)", hetero_strerror(ret),
                 hetero_context_errmsg(ctx));
    *hits = *(int64_t *)out[0].data;
    *pi = *(double *)out[1].data;
    hetero_array_free(&out[0]);
    hetero_array_free(&out[1]);
}

/* OpenCL and serial give the same hits and pi bits. */
static void check_same(uint64_t samples, uint64_t seed)
{
    int64_t ref_hits;
    int64_t hits;
    double ref_pi;
    double pi;

    run_mcpi(samples, seed, HETERO_PLAN_FORCE_SERIAL, &ref_hits, &ref_pi);
    run_mcpi(samples, seed, HETERO_PLAN_FORCE_OPENCL, &hits, &pi);
    if (hits != ref_hits)
        fail_msg("samples %llu seed %llu: OpenCL %lld hits, serial %lld",
                 (unsigned long long)samples, (unsigned long long)seed,
                 (long long)hits, (long long)ref_hits);
    assert_memory_equal(&pi, &ref_pi, sizeof(pi));
}

/* Hit counts of tests/fixtures/gen_mcpi_expected.py (as test_mcpi.c). */
static const struct {
    uint64_t samples;
    uint64_t seed;
    int64_t hits;
} expected[] = {
    { 1, 0, 1 },
    { 1, 1, 0 },
    { 2, 1, 1 },
    { 3, 12345, 2 },
    { 3, UINT64_MAX, 3 },
    { 1000, 0, 783 },
    { 1000, 1, 801 },
    { 1000, 12345, 797 },
    { 1000, UINT64_MAX, 778 },
    { 1001, 0, 784 },
    { 1001, 12345, 798 },
    { 100000, 0, 78392 },
    { 100000, 1, 78696 },
    { 100000, 12345, 78653 },
    { 100000, UINT64_MAX, 78672 },
};

static void test_mcpi_cl_counts_match_python(void **state)
{
    size_t i;

    (void)state;
    need_cl();
    for (i = 0; i < HETERO_ARRAY_SIZE(expected); i++) {
        int64_t hits;
        double pi;

        run_mcpi(expected[i].samples, expected[i].seed,
                 HETERO_PLAN_FORCE_OPENCL, &hits, &pi);
        assert_int_equal(hits, expected[i].hits);
        assert_true(pi == 4.0 * (double)hits / (double)expected[i].samples);
    }
}

/* Sample counts around the pair, work-item (64 pairs) and group
 * boundaries, and large, for several seeds. */
static void test_mcpi_cl_bitwise(void **state)
{
    static const uint64_t counts[] = { 1,    2,     3,     127,    128,
                                       129,  255,   257,   8191,   65537,
                                       1000, 99999, 4000001 };
    static const uint64_t seeds[] = { 0, 42, (uint64_t)1 << 32, UINT64_MAX };
    size_t c;
    size_t s;

    (void)state;
    need_cl();
    for (s = 0; s < HETERO_ARRAY_SIZE(seeds); s++) {
        for (c = 0; c < HETERO_ARRAY_SIZE(counts); c++)
            check_same(counts[c], seeds[s] + c);
    }
}

/* A plan's own state for hetero__mcpi_cl_count(): `w` pairs per step of
 * a work-item, or the device's choice for w == 0. */
static void exec_open(struct hetero_exec *ex, unsigned w)
{
    int ret;

    memset(ex, 0, sizeof(*ex));
    ex->ctx = ctx;
    ex->pool = NULL;
    ex->num_threads = 1;
    ex->cl = dev;
    if (w)
        ret = hetero__mcpi_cl_prepare_width(ex, w, &ex->state);
    else
        ret = hetero__mcpi_cl_prepare(ex, NULL, &ex->state);
    if (ret)
        fail_msg("prepare: %s (%s)", hetero_strerror(ret),
                 hetero_context_errmsg(ctx));
}

/* Device hits of pairs [first, first + count) in launches of `launch`
 * pairs, against the reference's (with every sample counted). */
static void check_range(const struct hetero_exec *ex, uint64_t seed,
                        uint64_t first, uint64_t count, uint64_t launch)
{
    uint64_t got = 0;
    uint64_t ref = hetero__mcpi_hits(seed, UINT64_MAX, first, first + count);
    int ret = hetero__mcpi_cl_count(ex, seed, first, count, launch, &got);

    if (ret)
        fail_msg("mcpi_cl_count: %s (%s)", hetero_strerror(ret),
                 hetero_context_errmsg(ctx));
    if (got != ref)
        fail_msg("pairs [%llu, +%llu) seed %llu launch %llu: OpenCL %llu, "
                 "reference %llu",
                 (unsigned long long)first, (unsigned long long)count,
                 (unsigned long long)seed, (unsigned long long)launch,
                 (unsigned long long)got, (unsigned long long)ref);
}

/* Pairs across 2^32, where counter word 1 becomes 1 (inside one
 * work-item and between two): test_mcpi.c's 316 hits, then wider. */
static void test_mcpi_cl_counter_high_word(void **state)
{
    uint64_t lo = ((uint64_t)1 << 32) - 100;
    uint64_t two32 = (uint64_t)1 << 32;
    struct hetero_exec ex;
    uint64_t got = 0;

    (void)state;
    need_cl();
    exec_open(&ex, 0);
    assert_int_equal(hetero__mcpi_cl_count(&ex, 7, lo, 200, 1u << 16, &got),
                     0);
    assert_int_equal(got, 316);
    assert_int_equal(hetero__mcpi_cl_count(&ex, 7, lo, 200, 37, &got), 0);
    assert_int_equal(got, 316);
    check_range(&ex, 7, two32 - 64, 128, 1u << 16); /* item boundary */
    check_range(&ex, 7, two32 - 100003, 200001, 1u << 16);
    check_range(&ex, 12345, 3 * two32 - 5, 10, 1u << 16);
    check_range(&ex, UINT64_MAX, UINT64_MAX / 4 - 1000, 3001, 1u << 16);
    hetero__mcpi_cl_release(ex.state);
}

/* Every step width, 1 pair (what GPUs get) to 16 (what CPU devices get),
 * on ranges that start and end inside a step, and across 2^32 (inside a
 * step's lanes too). */
static void test_mcpi_cl_step_widths(void **state)
{
    static const unsigned widths[] = { 1, 2, 4, 8, 16 };
    uint64_t two32 = (uint64_t)1 << 32;
    struct hetero_exec ex;
    size_t i;

    (void)state;
    need_cl();
    for (i = 0; i < HETERO_ARRAY_SIZE(widths); i++) {
        exec_open(&ex, widths[i]);
        check_range(&ex, 11, 0, 1, 1u << 16);
        check_range(&ex, 11, 3, 61, 1u << 16);
        check_range(&ex, 11, 5, 100003, 1u << 16);
        check_range(&ex, 11, 5, 100003, 77);
        check_range(&ex, 11, two32 - 7, 30, 1u << 16);
        check_range(&ex, 11, two32 - 1001, 3003, 1u << 16);
        hetero__mcpi_cl_release(ex.state);
    }
}

/* The pairs split into launches of any size (full ones and a shorter
 * last) count the same. */
static void test_mcpi_cl_launch_split(void **state)
{
    static const uint64_t launches[] = { 1, 63, 64, 65, 1000, 65536 };
    struct hetero_exec ex;
    uint64_t got = 1;
    size_t i;

    (void)state;
    need_cl();
    exec_open(&ex, 0);
    check_range(&ex, 3, 0, 1003, 1);
    for (i = 1; i < HETERO_ARRAY_SIZE(launches); i++)
        check_range(&ex, 3, 0, 100003, launches[i]);
    assert_int_equal(hetero__mcpi_cl_count(&ex, 3, 0, 0, 64, &got), 0);
    assert_int_equal(got, 0);
    hetero__mcpi_cl_release(ex.state);
}

/* Explicit copies (discrete memory) and no fp64 change nothing: mcpi
 * needs neither host memory in place nor double precision. */
static void test_mcpi_cl_device_kinds(void **state)
{
    static const unsigned kinds[] = { HETERO__CL_TEST_DISCRETE,
                                      HETERO__CL_TEST_NO_FP64 };
    size_t i;

    (void)state;
    need_cl();
    for (i = 0; i < HETERO_ARRAY_SIZE(kinds); i++) {
        hetero__cl_device_test_flags(dev, kinds[i]);
        check_same(1, 5);
        check_same(100001, 5);
        hetero__cl_device_test_flags(dev, 0);
    }
}

/* Several threads executing one plan at once get the same count. */
struct worker {
    hetero_plan *plan;
    int failures;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    int64_t hits = 0;
    double pi = 0.0;
    struct hetero_array outs[2] = {
        { .dtype = HETERO_I64, .ndim = 0, .data = &hits },
        { .dtype = HETERO_F64, .ndim = 0, .data = &pi },
    };
    struct hetero_param params[2] = {
        { "samples", "200001" },
        { "seed", "99" },
    };
    struct hetero_call call = { .outputs = outs, .n_outputs = 2,
                                .params = params, .n_params = 2 };
    int i;

    for (i = 0; i < 4; i++) {
        hits = 0;
        if (hetero_plan_execute(w->plan, &call) != 0 ||
            hits != (int64_t)hetero__mcpi_hits(99, 200001, 0, 100001))
            w->failures++;
    }
    return NULL;
}

static void test_mcpi_cl_threads(void **state)
{
    const hetero_kernel *k = hetero_kernel_find("mcpi");
    int64_t hits = 0;
    double pi = 0.0;
    struct hetero_array outs[2] = {
        { .dtype = HETERO_I64, .ndim = 0, .data = &hits },
        { .dtype = HETERO_F64, .ndim = 0, .data = &pi },
    };
    struct hetero_param params[2] = {
        { "samples", "200001" },
        { "seed", "99" },
    };
    struct hetero_call call = { .outputs = outs, .n_outputs = 2,
                                .params = params, .n_params = 2 };
    struct worker w[3];
    pthread_t th[3];
    size_t i;

    (void)state;
    need_cl();
    memset(w, 0, sizeof(w));
    assert_int_equal(hetero_plan_create(ctx, k, &call,
                                        HETERO_PLAN_FORCE_OPENCL, &w[0].plan),
                     0);
    for (i = 0; i < 3; i++) {
        w[i].plan = w[0].plan;
        assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]),
                         0);
    }
    for (i = 0; i < 3; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(w[i].failures, 0);
    }
    hetero_plan_destroy(w[0].plan);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mcpi_cl_counts_match_python),
        cmocka_unit_test(test_mcpi_cl_bitwise),
        cmocka_unit_test(test_mcpi_cl_counter_high_word),
        cmocka_unit_test(test_mcpi_cl_step_widths),
        cmocka_unit_test(test_mcpi_cl_launch_split),
        cmocka_unit_test(test_mcpi_cl_device_kinds),
        cmocka_unit_test(test_mcpi_cl_threads),
    };
    int failed;

    unsetenv("HETERO_CL_FAULT");
    ctx = ts_context(2);
    if (hetero__cl_device_get(ctx, &dev) != 0)
        dev = NULL;
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    hetero_context_destroy(ctx);
    return ts_exit_code(failed, HETERO_ARRAY_SIZE(tests));
}
