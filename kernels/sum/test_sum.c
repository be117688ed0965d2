/*
 * test_sum.c - sum: bitwise equality of every variant and thread count,
 * the documented algorithm re-done by hand, exact known series, accuracy
 * against math.fsum on committed fixtures (tests/fixtures/sum, made by
 * tests/fixtures/gen_sum_fixtures.py), special values, bad arguments.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sum/sum.h"
#include "test_support.h"

/* Large enough for hundreds of blocks; under ASan the file takes < 1 s. */
#define BIG_N 2000003

static const size_t sizes[] = { 1,    2,    15,    16,    17,   4095,
                                4096, 4097, 12289, 65537, BIG_N };
static const size_t thread_counts[] = { 1, 2, 3, 8 };

/* Runs sum on x (borrowed) and returns its result; fails on an error. */
static double run_sum(hetero_context *ctx, const struct hetero_array *x,
                      unsigned flags, size_t threads)
{
    const hetero_kernel *k = hetero_kernel_find("sum");
    struct hetero_array out[1] = { { 0 } };
    struct hetero_call call = { .inputs = x, .n_inputs = 1 };
    double r;
    int ret;

    assert_non_null(k);
    ret = ts_run(ctx, k, &call, flags, threads, NULL, out);
    if (ret)
        fail_msg("sum: %s (%s)", hetero_strerror(ret),
                 hetero_context_errmsg(ctx));
    assert_int_equal(out[0].dtype, HETERO_F64);
    assert_int_equal(out[0].ndim, 0);
    r = *(double *)out[0].data;
    hetero_array_free(&out[0]);
    return r;
}

/* Asserts two doubles have the same bits (NaN included). */
static void assert_same_bits(double a, double b)
{
    if (memcmp(&a, &b, sizeof(a)) != 0)
        fail_msg("not bitwise equal: %.17g and %.17g", a, b);
}

/* Values of mixed sign and magnitudes 1e-8 .. 1e8. */
static void fill_mixed(struct hetero_array *x, uint64_t seed)
{
    size_t n = 0;
    size_t i;

    assert_int_equal(hetero_array_numel(x, &n), 0);
    for (i = 0; i < n; i++) {
        double v = ts_rand_uniform(&seed, -1.0, 1.0) *
                   pow(10.0, ts_rand_uniform(&seed, -8.0, 8.0));

        if (x->dtype == HETERO_F64)
            ((double *)x->data)[i] = v;
        else
            ((float *)x->data)[i] = (float)v;
    }
}

/* Serial and pool with 1, 2, 3 and 8 threads, and the whole pool, agree
 * bitwise, for sizes around the block and lane boundaries. */
static void check_threads(enum hetero_dtype dtype)
{
    hetero_context *ctx = ts_context(8);
    size_t s;
    size_t t;

    for (s = 0; s < HETERO_ARRAY_SIZE(sizes); s++) {
        struct hetero_array x;
        double ref;

        ts_alloc(&x, dtype, 1, &sizes[s]);
        fill_mixed(&x, 7 + s);
        ref = run_sum(ctx, &x, HETERO_PLAN_FORCE_SERIAL, 0);
        assert_true(isfinite(ref));
        for (t = 0; t < HETERO_ARRAY_SIZE(thread_counts); t++)
            assert_same_bits(run_sum(ctx, &x, HETERO_PLAN_FORCE_POOL,
                                     thread_counts[t]),
                             ref);
        assert_same_bits(run_sum(ctx, &x, HETERO_PLAN_FORCE_POOL, 0), ref);
        hetero_array_free(&x);
    }
    hetero_context_destroy(ctx);
}

static void test_sum_threads_bitwise_f64(void **state)
{
    (void)state;
    check_threads(HETERO_F64);
}

static void test_sum_threads_bitwise_f32(void **state)
{
    (void)state;
    check_threads(HETERO_F32);
}

/* The algorithm of sum.h, one scalar at a time. */
static void ref_two_sum(double *s, double *c, double v)
{
    double t = *s + v;
    double z = t - *s;

    *c += (*s - (t - z)) + (v - z);
    *s = t;
}

static double ref_sum(const double *x, size_t n)
{
    double gs = 0.0;
    double gc = 0.0;
    size_t begin;

    for (begin = 0; begin < n; begin += HETERO_SUM_BLOCK) {
        double s[HETERO_SUM_LANES] = { 0 };
        double c[HETERO_SUM_LANES] = { 0 };
        size_t len = n - begin < HETERO_SUM_BLOCK ? n - begin
                                                  : HETERO_SUM_BLOCK;
        double bs;
        double bc;
        size_t k;
        size_t l;

        for (k = 0; k < len; k++)
            ref_two_sum(&s[k % HETERO_SUM_LANES], &c[k % HETERO_SUM_LANES],
                        x[begin + k]);
        bs = s[0];
        bc = c[0];
        for (l = 1; l < HETERO_SUM_LANES; l++) {
            double e = 0.0;

            ref_two_sum(&bs, &e, s[l]);
            bc += e + c[l];
        }
        if (begin == 0) {
            gs = bs;
            gc = bc;
        } else {
            double e = 0.0;

            ref_two_sum(&gs, &e, bs);
            gc += e + bc;
        }
    }
    return isfinite(gs) ? gs + gc : gs;
}

static void test_sum_documented_algorithm(void **state)
{
    hetero_context *ctx = ts_context(3);
    size_t n = 3 * HETERO_SUM_BLOCK + 17;
    struct hetero_array x;

    (void)state;
    ts_alloc(&x, HETERO_F64, 1, &n);
    fill_mixed(&x, 99);
    assert_same_bits(run_sum(ctx, &x, HETERO_PLAN_FORCE_SERIAL, 0),
                     ref_sum(x.data, n));
    assert_same_bits(run_sum(ctx, &x, HETERO_PLAN_FORCE_POOL, 3),
                     ref_sum(x.data, n));
    hetero_array_free(&x);
    hetero_context_destroy(ctx);
}

/* Every variant of ctx on x gives exactly `expect`. */
static void check_exact(hetero_context *ctx, const struct hetero_array *x,
                        double expect)
{
    size_t t;

    assert_same_bits(run_sum(ctx, x, HETERO_PLAN_FORCE_SERIAL, 0), expect);
    for (t = 0; t < HETERO_ARRAY_SIZE(thread_counts); t++)
        assert_same_bits(run_sum(ctx, x, HETERO_PLAN_FORCE_POOL,
                                 thread_counts[t]),
                         expect);
}

/* 1 + 2 + ... + N = N (N + 1) / 2, exactly. */
static void test_sum_series_exact(void **state)
{
    hetero_context *ctx = ts_context(8);
    size_t n = BIG_N;
    struct hetero_array x;
    struct hetero_array xf;
    size_t i;

    (void)state;
    ts_alloc(&x, HETERO_F64, 1, &n);
    ts_alloc(&xf, HETERO_F32, 1, &n);
    for (i = 0; i < n; i++) {
        ((double *)x.data)[i] = (double)(i + 1);
        ((float *)xf.data)[i] = (float)(i + 1); /* exact below 2^24 */
    }
    check_exact(ctx, &x, (double)n * (double)(n + 1) / 2.0);
    check_exact(ctx, &xf, (double)n * (double)(n + 1) / 2.0);
    hetero_array_free(&x);
    hetero_array_free(&xf);
    hetero_context_destroy(ctx);
}

/* 1e16 followed by ones: each 1 alone vanishes in 1e16 (half an ulp), a
 * plain sum returns 1e16; compensation keeps every one. Then 1e100, ones
 * and -1e100: a plain sum returns 0, compensation the count of ones. */
static void test_sum_ill_conditioned_exact(void **state)
{
    hetero_context *ctx = ts_context(8);
    size_t n = 100001;
    struct hetero_array x;
    double *v;
    size_t i;

    (void)state;
    ts_alloc(&x, HETERO_F64, 1, &n);
    v = x.data;
    v[0] = 1e16;
    for (i = 1; i < n; i++)
        v[i] = 1.0;
    check_exact(ctx, &x, 1e16 + 100000.0);
    v[0] = 1e100;
    v[n - 1] = -1e100;
    check_exact(ctx, &x, (double)(n - 2));
    hetero_array_free(&x);
    hetero_context_destroy(ctx);
}

/* Fixtures vs math.fsum: at least as accurate as numpy.sum, and within
 * the bound of sum.h. */
static void check_fixture(hetero_context *ctx, const char *name)
{
    char path[256];
    struct hetero_array x;
    struct hetero_array expect;
    const double u = 0x1p-53;
    double fsum;
    double numpy_err;
    double bound;
    double got;
    size_t n = 0;
    size_t t;
    int ret;

    snprintf(path, sizeof(path), "tests/fixtures/sum/%s.npy", name);
    ret = hetero_npy_read(ctx, ts_source_path(path), &x);
    if (ret)
        fail_msg("%s: %s", path, hetero_context_errmsg(ctx));
    snprintf(path, sizeof(path), "tests/fixtures/sum/%s_expect.npy", name);
    ret = hetero_npy_read(ctx, ts_source_path(path), &expect);
    if (ret)
        fail_msg("%s: %s", path, hetero_context_errmsg(ctx));
    assert_int_equal(expect.dtype, HETERO_F64);
    assert_int_equal(hetero_array_numel(&x, &n), 0);
    fsum = ((double *)expect.data)[0];
    numpy_err = fabs(((double *)expect.data)[1] - fsum);
    bound = u * fabs(fsum) +
            ((double)n * u) * ((double)n * u) * ((double *)expect.data)[2];
    got = run_sum(ctx, &x, HETERO_PLAN_FORCE_SERIAL, 0);
    print_message("%s: |sum - fsum| %.3g, numpy's %.3g, bound %.3g\n", name,
                  fabs(got - fsum), numpy_err, bound);
    if (!(fabs(got - fsum) <= bound))
        fail_msg("%s: %.17g, fsum %.17g: error %.3g above the bound %.3g",
                 name, got, fsum, fabs(got - fsum), bound);
    /* Not worse than numpy, or correctly rounded within an ulp. */
    if (!(fabs(got - fsum) <= fmax(numpy_err, 2.0 * u * fabs(fsum))))
        fail_msg("%s: %.17g, fsum %.17g: error %.3g, numpy's %.3g", name,
                 got, fsum, fabs(got - fsum), numpy_err);
    for (t = 0; t < HETERO_ARRAY_SIZE(thread_counts); t++)
        assert_same_bits(run_sum(ctx, &x, HETERO_PLAN_FORCE_POOL,
                                 thread_counts[t]),
                         got);
    hetero_array_free(&x);
    hetero_array_free(&expect);
}

static void test_sum_fixtures_vs_fsum(void **state)
{
    hetero_context *ctx = ts_context(8);

    (void)state;
    check_fixture(ctx, "uniform_f64");
    check_fixture(ctx, "lognormal_f32");
    check_fixture(ctx, "ones_after_1e16");
    check_fixture(ctx, "cancel_f64");
    check_fixture(ctx, "alternating_f64");
    hetero_context_destroy(ctx);
}

/* NaN propagates; one infinity wins; both infinities give NaN; overflow
 * gives Inf. Placed in later blocks so the pool sees them in a worker. */
static void test_sum_special_values(void **state)
{
    hetero_context *ctx = ts_context(8);
    size_t n = 5 * HETERO_SUM_BLOCK + 3;
    struct hetero_array x;
    double *v;
    size_t t;

    (void)state;
    ts_alloc(&x, HETERO_F64, 1, &n);
    v = x.data;
    ts_fill_uniform(&x, 5, -1.0, 1.0);
    v[3 * HETERO_SUM_BLOCK + 1] = NAN;
    assert_true(isnan(run_sum(ctx, &x, HETERO_PLAN_FORCE_SERIAL, 0)));
    for (t = 0; t < HETERO_ARRAY_SIZE(thread_counts); t++)
        assert_true(isnan(run_sum(ctx, &x, HETERO_PLAN_FORCE_POOL,
                                  thread_counts[t])));
    v[3 * HETERO_SUM_BLOCK + 1] = INFINITY;
    check_exact(ctx, &x, INFINITY);
    v[n - 1] = -INFINITY;
    assert_true(isnan(run_sum(ctx, &x, HETERO_PLAN_FORCE_SERIAL, 0)));
    assert_true(isnan(run_sum(ctx, &x, HETERO_PLAN_FORCE_POOL, 3)));
    v[3 * HETERO_SUM_BLOCK + 1] = 0.0;
    check_exact(ctx, &x, -INFINITY);
    v[n - 1] = DBL_MAX;
    v[0] = DBL_MAX;
    check_exact(ctx, &x, INFINITY);
    hetero_array_free(&x);
    hetero_context_destroy(ctx);
}

/* Any shape (0-d included) is summed over all its elements. */
static void test_sum_shapes(void **state)
{
    hetero_context *ctx = ts_context(2);
    size_t shape3[3] = { 7, 5, 300 };
    size_t n = 7 * 5 * 300;
    struct hetero_array x3;
    struct hetero_array x1;
    struct hetero_array x0;

    (void)state;
    ts_alloc(&x3, HETERO_F64, 3, shape3);
    ts_fill_uniform(&x3, 11, -2.0, 2.0);
    x1 = x3;
    x1.ndim = 1;
    x1.shape[0] = n;
    x1.buffer = NULL;
    assert_same_bits(run_sum(ctx, &x3, HETERO_PLAN_FORCE_POOL, 2),
                     run_sum(ctx, &x1, HETERO_PLAN_FORCE_SERIAL, 0));
    x0 = x3;
    x0.ndim = 0;
    x0.buffer = NULL;
    assert_same_bits(run_sum(ctx, &x0, HETERO_PLAN_FORCE_SERIAL, 0),
                     ((double *)x3.data)[0]);
    hetero_array_free(&x3);
    hetero_context_destroy(ctx);
}

/* The dispatcher's own choice (model or measurement) gives the same bits. */
static void test_sum_auto(void **state)
{
    hetero_context *ctx = ts_context(0);
    size_t n = 100003;
    struct hetero_array x;
    double ref;

    (void)state;
    ts_alloc(&x, HETERO_F64, 1, &n);
    fill_mixed(&x, 3);
    ref = run_sum(ctx, &x, HETERO_PLAN_FORCE_SERIAL, 0);
    assert_same_bits(run_sum(ctx, &x, HETERO_PLAN_ESTIMATE, 0), ref);
    assert_same_bits(run_sum(ctx, &x, HETERO_PLAN_MEASURE, 0), ref);
    hetero_array_free(&x);
    hetero_context_destroy(ctx);
}

static void test_sum_typed(void **state)
{
    hetero_context *ctx = ts_context(0);
    double a[5] = { 1e16, 1, 1, 1, 1 };
    float f[3] = { 0.1f, 0.2f, 0.3f };
    double out = -1.0;

    (void)state;
    assert_int_equal(hetero_sum(ctx, a, 5, &out), 0);
    assert_true(out == 1e16 + 4.0);
    assert_int_equal(hetero_sum_f32(ctx, f, 3, &out), 0);
    assert_true(out == (double)0.1f + (double)0.2f + (double)0.3f);
    out = -1.0;
    assert_int_equal(hetero_sum(ctx, NULL, 5, &out), HETERO_EINVAL);
    assert_int_equal(hetero_sum(ctx, a, 0, &out), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "n == 0"));
    assert_int_equal(hetero_sum(ctx, a, 5, NULL), HETERO_EINVAL);
    assert_int_equal(hetero_sum(NULL, a, 5, &out), HETERO_EINVAL);
    assert_int_equal(hetero_sum_f32(ctx, NULL, 3, &out), HETERO_EINVAL);
    assert_true(out == -1.0); /* untouched on error */
    hetero_context_destroy(ctx);
}

static void test_sum_bad_args(void **state)
{
    hetero_context *ctx = ts_context(0);
    const hetero_kernel *k = hetero_kernel_find("sum");
    double buf[5] = { 0 };
    double res = 0.0;
    struct hetero_array in[2] = {
        { .dtype = HETERO_F64, .ndim = 1, .shape = { 5 }, .data = buf },
        { .dtype = HETERO_F64, .ndim = 1, .shape = { 5 }, .data = buf },
    };
    struct hetero_array wrong_out = { .dtype = HETERO_F64, .ndim = 1,
                                      .shape = { 1 }, .data = &res };
    struct hetero_array out[1];
    struct hetero_param bogus = { "nosuch", "1" };
    struct hetero_call call = { .inputs = in, .n_inputs = 1 };

    (void)state;
    /* unsupported dtypes */
    in[0].dtype = HETERO_C128;
    assert_int_equal(ts_run(ctx, k, &call, 0, 0, NULL, out), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "dtype"));
    in[0].dtype = HETERO_I32;
    assert_int_equal(ts_run(ctx, k, &call, 0, 0, NULL, out), HETERO_EINVAL);
    in[0].dtype = HETERO_F64;
    /* zero size, overflowing shape */
    in[0].shape[0] = 0;
    assert_int_equal(ts_run(ctx, k, &call, 0, 0, NULL, out), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "zero"));
    in[0].ndim = 2;
    in[0].shape[0] = (size_t)1 << 40;
    in[0].shape[1] = (size_t)1 << 40;
    assert_int_equal(ts_run(ctx, k, &call, 0, 0, NULL, out), HETERO_EINVAL);
    in[0].ndim = 1;
    in[0].shape[0] = 5;
    /* wrong input count, unknown parameter */
    call.n_inputs = 2;
    assert_int_equal(ts_run(ctx, k, &call, 0, 0, NULL, out), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "input"));
    call.n_inputs = 1;
    call.params = &bogus;
    call.n_params = 1;
    assert_int_equal(ts_run(ctx, k, &call, 0, 0, NULL, out), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "nosuch"));
    call.params = NULL;
    call.n_params = 0;
    /* an output that is not a 0-d f64 */
    call.outputs = &wrong_out;
    call.n_outputs = 1;
    assert_int_equal(hetero_run(ctx, k, &call, 0), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "output"));
    hetero_context_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sum_threads_bitwise_f64),
        cmocka_unit_test(test_sum_threads_bitwise_f32),
        cmocka_unit_test(test_sum_documented_algorithm),
        cmocka_unit_test(test_sum_series_exact),
        cmocka_unit_test(test_sum_ill_conditioned_exact),
        cmocka_unit_test(test_sum_fixtures_vs_fsum),
        cmocka_unit_test(test_sum_special_values),
        cmocka_unit_test(test_sum_shapes),
        cmocka_unit_test(test_sum_auto),
        cmocka_unit_test(test_sum_typed),
        cmocka_unit_test(test_sum_bad_args),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
