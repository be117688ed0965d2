/*
 * test_mcpi.c - mcpi: Philox4x32-10 against Random123's known answers,
 * exact hit counts from an independent Python implementation, bitwise
 * equality of every variant and thread count, parameters and bad arguments.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mcpi/mcpi.h"
#include "mcpi/mcpi_impl.h"
#include "test_support.h"

/* Odd, many chunks per thread; under ASan the file takes < 1 s. */
#define BIG_SAMPLES 4000001

static const size_t thread_counts[] = { 1, 2, 3, 8 };

#define PI 3.14159265358979323846

/* Runs mcpi with the given samples and seed; fails on an error. */
static void run_mcpi(hetero_context *ctx, uint64_t samples, uint64_t seed,
                     unsigned flags, size_t threads, int64_t *hits,
                     double *pi)
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
    ret = ts_run(ctx, k, &call, flags, threads, NULL, out);
    if (ret)
        fail_msg("mcpi: %s (%s)", hetero_strerror(ret),
                 hetero_context_errmsg(ctx));
    assert_int_equal(out[0].dtype, HETERO_I64);
    assert_int_equal(out[0].ndim, 0);
    assert_int_equal(out[1].dtype, HETERO_F64);
    assert_int_equal(out[1].ndim, 0);
    *hits = *(int64_t *)out[0].data;
    *pi = *(double *)out[1].data;
    hetero_array_free(&out[0]);
    hetero_array_free(&out[1]);
}

/* Random123 kat_vectors, philox4x32 10: counter, key, expected output. */
static void test_mcpi_philox_known_answers(void **state)
{
    static const uint32_t kat[3][10] = {
        { 0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8 },
        { 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
          0xffffffff, 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd },
        { 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822,
          0x299f31d0, 0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1 },
    };
    size_t i;

    (void)state;
    for (i = 0; i < HETERO_ARRAY_SIZE(kat); i++) {
        uint32_t out[4];

        hetero__philox4x32_10(&kat[i][0], &kat[i][4], out);
        assert_memory_equal(out, &kat[i][6], sizeof(out));
    }
}

/*
 * Hit counts printed by tests/fixtures/gen_mcpi_expected.py (pure Python,
 * written from mcpi.h's definition alone).
 */
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

static void test_mcpi_counts_match_python(void **state)
{
    hetero_context *ctx = ts_context(8);
    size_t i;
    size_t t;

    (void)state;
    for (i = 0; i < HETERO_ARRAY_SIZE(expected); i++) {
        int64_t hits;
        double pi;

        run_mcpi(ctx, expected[i].samples, expected[i].seed,
                 HETERO_PLAN_FORCE_SERIAL, 0, &hits, &pi);
        assert_int_equal(hits, expected[i].hits);
        assert_true(pi == 4.0 * (double)hits / (double)expected[i].samples);
        for (t = 0; t < HETERO_ARRAY_SIZE(thread_counts); t++) {
            run_mcpi(ctx, expected[i].samples, expected[i].seed,
                     HETERO_PLAN_FORCE_POOL, thread_counts[t], &hits, &pi);
            assert_int_equal(hits, expected[i].hits);
        }
    }
    hetero_context_destroy(ctx);
}

/* Pairs across 2^32, where counter word 1 becomes 1 (batch and one-counter
 * paths both): gen_mcpi_expected.py says 316 hits. */
static void test_mcpi_counter_high_word(void **state)
{
    uint64_t lo = ((uint64_t)1 << 32) - 100;
    uint64_t hi = ((uint64_t)1 << 32) + 100;
    uint64_t samples = (uint64_t)1 << 40;
    uint64_t split = lo + 37;

    (void)state;
    assert_int_equal(hetero__mcpi_hits(7, samples, lo, hi), 316);
    assert_int_equal(hetero__mcpi_hits(7, samples, lo, split) +
                         hetero__mcpi_hits(7, samples, split, hi),
                     316);
}

/* Serial and pool with 1, 2, 3 and 8 threads give the same bits, for
 * sample counts around the batch boundaries (128 samples) and large. */
static void test_mcpi_threads_bitwise(void **state)
{
    static const uint64_t counts[] = { 1,   2,   127, 128,  129,
                                       255, 257, 8191, 65537, BIG_SAMPLES };
    hetero_context *ctx = ts_context(8);
    size_t c;
    size_t t;

    (void)state;
    for (c = 0; c < HETERO_ARRAY_SIZE(counts); c++) {
        int64_t ref_hits;
        double ref_pi;

        run_mcpi(ctx, counts[c], 42 + c, HETERO_PLAN_FORCE_SERIAL, 0,
                 &ref_hits, &ref_pi);
        for (t = 0; t < HETERO_ARRAY_SIZE(thread_counts); t++) {
            int64_t hits;
            double pi;

            run_mcpi(ctx, counts[c], 42 + c, HETERO_PLAN_FORCE_POOL,
                     thread_counts[t], &hits, &pi);
            assert_int_equal(hits, ref_hits);
            assert_memory_equal(&pi, &ref_pi, sizeof(pi));
        }
    }
    hetero_context_destroy(ctx);
}

/* Different seeds give different streams; each estimate is within five
 * standard deviations (1.64 / sqrt(samples)) of pi. */
static void test_mcpi_seeds_differ(void **state)
{
    static const uint64_t seeds[] = { 0, 1, 2, 12345, (uint64_t)1 << 32,
                                      UINT64_MAX };
    hetero_context *ctx = ts_context(2);
    int64_t hits[HETERO_ARRAY_SIZE(seeds)];
    size_t i;
    size_t j;

    (void)state;
    for (i = 0; i < HETERO_ARRAY_SIZE(seeds); i++) {
        double pi;

        run_mcpi(ctx, BIG_SAMPLES, seeds[i], HETERO_PLAN_FORCE_POOL, 0,
                 &hits[i], &pi);
        assert_true(fabs(pi - PI) < 5.0 * 1.65 / sqrt(BIG_SAMPLES));
        for (j = 0; j < i; j++)
            assert_true(hits[i] != hits[j]);
    }
    hetero_context_destroy(ctx);
}

/* Defaults: samples=1e8 is too slow for a test, so only the seed default
 * is checked (seed 0 gives the same count as no seed). */
static void test_mcpi_defaults(void **state)
{
    hetero_context *ctx = ts_context(0);
    const hetero_kernel *k = hetero_kernel_find("mcpi");
    struct hetero_param p = { "samples", "1e3" };
    struct hetero_call call = { .params = &p, .n_params = 1 };
    struct hetero_array out[2] = { { 0 } };
    struct hetero_param_info info;
    struct hetero_array spec;

    (void)state;
    assert_int_equal(ts_run(ctx, k, &call, 0, 0, NULL, out), 0);
    assert_int_equal(*(int64_t *)out[0].data, 783); /* seed 0 */
    hetero_array_free(&out[0]);
    hetero_array_free(&out[1]);
    assert_int_equal(hetero_kernel_n_inputs(k), 0);
    assert_string_equal(hetero_kernel_default_shape(k), "-");
    assert_int_equal(hetero_kernel_n_params(k), 2);
    assert_int_equal(hetero_kernel_param(k, 0, &info), 0);
    assert_string_equal(info.name, "samples");
    assert_string_equal(info.default_value, "100000000");
    assert_int_equal(hetero_kernel_input_specs(ctx, k, 0, NULL, HETERO_F64,
                                               &spec),
                     0);
    hetero_context_destroy(ctx);
}

static void test_mcpi_auto(void **state)
{
    hetero_context *ctx = ts_context(0);
    int64_t hits;
    double pi;

    (void)state;
    run_mcpi(ctx, 100000, 12345, HETERO_PLAN_ESTIMATE, 0, &hits, &pi);
    assert_int_equal(hits, 78653);
    run_mcpi(ctx, 100000, 12345, HETERO_PLAN_MEASURE, 0, &hits, &pi);
    assert_int_equal(hits, 78653);
    hetero_context_destroy(ctx);
}

static void test_mcpi_typed(void **state)
{
    hetero_context *ctx = ts_context(0);
    uint64_t hits = 0;
    double pi = 0.0;

    (void)state;
    assert_int_equal(hetero_mcpi(ctx, 100000, 1, &hits, &pi), 0);
    assert_int_equal(hits, 78696);
    assert_true(pi == 4.0 * 78696.0 / 100000.0);
    assert_int_equal(hetero_mcpi(ctx, 1000, UINT64_MAX, &hits, NULL), 0);
    assert_int_equal(hits, 778);
    assert_int_equal(hetero_mcpi(ctx, 1000, 0, NULL, &pi), 0);
    assert_true(pi == 4.0 * 783.0 / 1000.0);
    hits = 5;
    assert_int_equal(hetero_mcpi(ctx, 0, 0, &hits, &pi), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "samples"));
    assert_int_equal(hetero_mcpi(ctx, HETERO_MCPI_MAX_SAMPLES + 1, 0, &hits,
                                 &pi),
                     HETERO_EINVAL);
    assert_int_equal(hetero_mcpi(NULL, 10, 0, &hits, &pi), HETERO_EINVAL);
    assert_int_equal(hits, 5); /* untouched on error */
    hetero_context_destroy(ctx);
}

/* Runs mcpi with one parameter; returns the error code. */
static int run_param(hetero_context *ctx, const char *name,
                     const char *value)
{
    const hetero_kernel *k = hetero_kernel_find("mcpi");
    struct hetero_param p = { name, value };
    struct hetero_call call = { .params = &p, .n_params = 1 };
    struct hetero_array out[2] = { { 0 } };
    int ret = ts_run(ctx, k, &call, HETERO_PLAN_FORCE_SERIAL, 0, NULL, out);

    hetero_array_free(&out[0]);
    hetero_array_free(&out[1]);
    return ret;
}

static void test_mcpi_bad_args(void **state)
{
    hetero_context *ctx = ts_context(0);
    const hetero_kernel *k = hetero_kernel_find("mcpi");
    double buf[2] = { 0 };
    struct hetero_array in = { .dtype = HETERO_F64, .ndim = 1,
                               .shape = { 2 }, .data = buf };
    struct hetero_array wrong[2] = {
        { .dtype = HETERO_F64, .ndim = 0, .data = &buf[0] },
        { .dtype = HETERO_F64, .ndim = 0, .data = &buf[1] },
    };
    struct hetero_call call = { 0 };
    struct hetero_array out[2];

    (void)state;
    assert_int_equal(run_param(ctx, "samples", "0"), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "samples=0"));
    assert_int_equal(run_param(ctx, "samples", "-5"), HETERO_EINVAL);
    assert_int_equal(run_param(ctx, "samples", "lots"), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "samples=lots"));
    assert_int_equal(run_param(ctx, "samples", "9223372036854775808"),
                     HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "out of range"));
    assert_int_equal(run_param(ctx, "samples", "2.5"), HETERO_EINVAL);
    assert_int_equal(run_param(ctx, "seed", "-1"), HETERO_EINVAL);
    assert_int_equal(run_param(ctx, "seed", "18446744073709551616"),
                     HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "seed"));
    assert_int_equal(run_param(ctx, "seeds", "1"), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "seeds"));
    /* an input array, where mcpi takes none */
    call.inputs = &in;
    call.n_inputs = 1;
    assert_int_equal(ts_run(ctx, k, &call, 0, 0, NULL, out), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "input"));
    /* hits given as f64 */
    call.inputs = NULL;
    call.n_inputs = 0;
    call.outputs = wrong;
    call.n_outputs = 2;
    assert_int_equal(hetero_run(ctx, k, &call, 0), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "output 0"));
    hetero_context_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mcpi_philox_known_answers),
        cmocka_unit_test(test_mcpi_counts_match_python),
        cmocka_unit_test(test_mcpi_counter_high_word),
        cmocka_unit_test(test_mcpi_threads_bitwise),
        cmocka_unit_test(test_mcpi_seeds_differ),
        cmocka_unit_test(test_mcpi_defaults),
        cmocka_unit_test(test_mcpi_auto),
        cmocka_unit_test(test_mcpi_typed),
        cmocka_unit_test(test_mcpi_bad_args),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
