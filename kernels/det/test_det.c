/*
 * test_det.c - det: every variant against the serial reference (bitwise)
 * and against an independent long double LU (within the header's
 * tolerance), numpy fixtures, hand-computed values, NaN/Inf, scaling of the
 * product, bad arguments.
 */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "det/det.h"
#include "internal.h"
#include "test_support.h"

#define FIXTURES HETERO_SOURCE_DIR "/tests/fixtures/det/"

/* (batch, n): 1x1, one matrix, many 1x1, primes, the heap path (n > 32),
 * a non-multiple of every thread count, a larger batch. */
static const size_t shapes[][2] = {
    { 1, 1 }, { 1, 17 }, { 17, 1 }, { 13, 7 }, { 5, 2 },  { 3, 3 },
    { 31, 4 }, { 2, 33 }, { 7, 40 }, { 211, 10 }, { 2000, 6 },
};

static double at(const struct hetero_array *a, size_t i)
{
    if (a->dtype == HETERO_F32)
        return ((const float *)a->data)[i];
    return ((const double *)a->data)[i];
}

/* Independent reference: Gaussian elimination with partial pivoting in
 * long double, written plainly. */
static long double ref_det(const struct hetero_array *a, size_t b, size_t n)
{
    long double m[40 * 40];
    long double det = 1.0L;
    size_t i;
    size_t j;
    size_t k;

    assert_true(n <= 40);
    for (i = 0; i < n * n; i++)
        m[i] = at(a, b * n * n + i);
    for (k = 0; k < n; k++) {
        size_t p = k;

        for (i = k + 1; i < n; i++) {
            if (fabsl(m[i * n + k]) > fabsl(m[p * n + k]))
                p = i;
        }
        if (p != k) {
            for (j = 0; j < n; j++) {
                long double t = m[k * n + j];

                m[k * n + j] = m[p * n + j];
                m[p * n + j] = t;
            }
            det = -det;
        }
        det *= m[k * n + k];
        if (m[k * n + k] == 0.0L)
            return 0.0L;
        for (i = k + 1; i < n; i++) {
            long double l = m[i * n + k] / m[k * n + k];

            for (j = k; j < n; j++)
                m[i * n + j] -= l * m[k * n + j];
        }
    }
    return det;
}

/* Hadamard's bound of matrix b: the product of its row 2-norms. */
static double hadamard(const struct hetero_array *a, size_t b, size_t n)
{
    double h = 1.0;
    size_t i;
    size_t j;

    for (i = 0; i < n; i++) {
        double s = 0.0;

        for (j = 0; j < n; j++) {
            double x = at(a, (b * n + i) * n + j);

            s += x * x;
        }
        h *= sqrt(s);
    }
    return h;
}

/* The header's tolerance: 4 * n * eps * H. */
static double det_tol(const struct hetero_array *a, size_t b, size_t n)
{
    double eps = a->dtype == HETERO_F32 ? FLT_EPSILON : DBL_EPSILON;

    return 4.0 * (double)n * eps * hadamard(a, b, n);
}

static size_t order_of(const struct hetero_array *a)
{
    return a->shape[a->ndim - 1];
}

static size_t batch_of(const struct hetero_array *a)
{
    return a->ndim == 3 ? a->shape[0] : 1;
}

/* Asserts got[b] within tolerance of want[b] for every matrix of a. */
static void assert_det_close(const struct hetero_array *a,
                             const struct hetero_array *got,
                             const struct hetero_array *want)
{
    size_t n = order_of(a);
    size_t b;

    assert_int_equal(got->dtype, a->dtype);
    assert_int_equal(got->ndim, a->ndim - 2);
    for (b = 0; b < batch_of(a); b++) {
        double x = at(got, b);
        double y = at(want, b);
        double tol = det_tol(a, b, n);

        if (!(fabs(x - y) <= tol))
            fail_msg("matrix %zu (n %zu): got %.17g, expected %.17g, "
                     "|diff| %.3g > tol %.3g",
                     b, n, x, y, fabs(x - y), tol);
    }
}

/* Asserts got[b] within tolerance of the long double reference. */
static void assert_det_ref(const struct hetero_array *a,
                           const struct hetero_array *got)
{
    size_t n = order_of(a);
    size_t b;

    for (b = 0; b < batch_of(a); b++) {
        double x = at(got, b);
        double y = (double)ref_det(a, b, n);
        double tol = det_tol(a, b, n);

        if (!(fabs(x - y) <= tol))
            fail_msg("matrix %zu (n %zu): got %.17g, reference %.17g, "
                     "|diff| %.3g > tol %.3g",
                     b, n, x, y, fabs(x - y), tol);
    }
}

static void run_one(hetero_context *ctx, const struct hetero_array *a,
                    unsigned flags, size_t threads, struct hetero_array *out)
{
    const hetero_kernel *k = hetero_kernel_find("det");
    struct hetero_call call = { .inputs = a, .n_inputs = 1 };

    assert_non_null(k);
    assert_int_equal(ts_run(ctx, k, &call, flags, threads, NULL, out), 0);
}

/* Variant `flags`/`threads` on seeded uniform matrices of every shape:
 * bitwise equal to the serial variant, within tolerance of the reference. */
static void check_variant(enum hetero_dtype dtype, unsigned flags,
                          size_t threads)
{
    hetero_context *ctx = ts_context(3);
    size_t s;

    for (s = 0; s < HETERO_ARRAY_SIZE(shapes); s++) {
        size_t shape[3] = { shapes[s][0], shapes[s][1], shapes[s][1] };
        struct hetero_array a;
        struct hetero_array out = { 0 };
        struct hetero_array ref = { 0 };

        ts_alloc(&a, dtype, 3, shape);
        ts_fill_uniform(&a, 7 + s, -1.0, 1.0);
        run_one(ctx, &a, flags, threads, &out);
        run_one(ctx, &a, HETERO_PLAN_FORCE_SERIAL, 0, &ref);
        ts_assert_bitwise(&out, &ref);
        assert_det_ref(&a, &out);
        hetero_array_free(&out);
        hetero_array_free(&ref);
        hetero_array_free(&a);
    }
    hetero_context_destroy(ctx);
}

static void test_det_serial_f64(void **state)
{
    (void)state;
    check_variant(HETERO_F64, HETERO_PLAN_FORCE_SERIAL, 0);
}

static void test_det_serial_f32(void **state)
{
    (void)state;
    check_variant(HETERO_F32, HETERO_PLAN_FORCE_SERIAL, 0);
}

static void test_det_pool_f64(void **state)
{
    (void)state;
    check_variant(HETERO_F64, HETERO_PLAN_FORCE_POOL, 1);
    check_variant(HETERO_F64, HETERO_PLAN_FORCE_POOL, 2);
    check_variant(HETERO_F64, HETERO_PLAN_FORCE_POOL, 3);
    check_variant(HETERO_F64, HETERO_PLAN_FORCE_POOL, 0);
}

static void test_det_pool_f32(void **state)
{
    (void)state;
    check_variant(HETERO_F32, HETERO_PLAN_FORCE_POOL, 1);
    check_variant(HETERO_F32, HETERO_PLAN_FORCE_POOL, 2);
    check_variant(HETERO_F32, HETERO_PLAN_FORCE_POOL, 3);
    check_variant(HETERO_F32, HETERO_PLAN_FORCE_POOL, 0);
}

static void test_det_auto(void **state)
{
    (void)state;
    check_variant(HETERO_F64, HETERO_PLAN_ESTIMATE, 0);
}

/* The seed workload, 100000 matrices of 10 x 10. */
static void test_det_seed_workload(void **state)
{
    hetero_context *ctx = ts_context(3);
    size_t shape[3] = { 100000, 10, 10 };
    struct hetero_array a;
    struct hetero_array out = { 0 };
    struct hetero_array ref = { 0 };

    (void)state;
    ts_alloc(&a, HETERO_F64, 3, shape);
    ts_fill_uniform(&a, 42, -1.0, 1.0);
    run_one(ctx, &a, HETERO_PLAN_FORCE_SERIAL, 0, &ref);
    assert_det_ref(&a, &ref);
    run_one(ctx, &a, HETERO_PLAN_FORCE_POOL, 0, &out);
    ts_assert_bitwise(&out, &ref);
    hetero_array_free(&out);
    run_one(ctx, &a, HETERO_PLAN_FORCE_POOL, 2, &out);
    ts_assert_bitwise(&out, &ref);
    hetero_array_free(&out);
    hetero_array_free(&ref);
    hetero_array_free(&a);
    hetero_context_destroy(ctx);
}

static void read_fixture(hetero_context *ctx, const char *path,
                         struct hetero_array *out)
{
    int ret = hetero_npy_read(ctx, path, out);

    if (ret)
        fail_msg("%s: %s (%s)", path, hetero_strerror(ret),
                 hetero_context_errmsg(ctx));
}

/* Runs serial and pool on fixture a_<name>, compares with det_<name>. */
static void check_fixture(hetero_context *ctx, const char *name,
                          bool exact)
{
    char path[1024];
    struct hetero_array a;
    struct hetero_array want;
    struct hetero_array out = { 0 };
    unsigned flags[2] = { HETERO_PLAN_FORCE_SERIAL, HETERO_PLAN_FORCE_POOL };
    size_t f;

    snprintf(path, sizeof(path), FIXTURES "a_%s.npy", name);
    read_fixture(ctx, path, &a);
    snprintf(path, sizeof(path), FIXTURES "det_%s.npy", name);
    read_fixture(ctx, path, &want);
    for (f = 0; f < 2; f++) {
        run_one(ctx, &a, flags[f], 0, &out);
        if (exact)
            ts_assert_bitwise(&out, &want);
        else
            assert_det_close(&a, &out, &want);
        hetero_array_free(&out);
    }
    hetero_array_free(&want);
    hetero_array_free(&a);
}

static void test_det_fixtures(void **state)
{
    hetero_context *ctx = ts_context(2);

    (void)state;
    check_fixture(ctx, "random_f64", false);
    check_fixture(ctx, "random_f32", false);
    check_fixture(ctx, "sizes_n1", false);
    check_fixture(ctx, "sizes_n2", false);
    check_fixture(ctx, "sizes_n3", false);
    check_fixture(ctx, "sizes_n7", false);
    check_fixture(ctx, "sizes_n12", false);
    check_fixture(ctx, "sizes_n33", false);
    check_fixture(ctx, "singular_f64", false);
    /* Permutation matrices: exactly the sign; identity: exactly 1. */
    check_fixture(ctx, "perm_f64", true);
    check_fixture(ctx, "identity_f64", true);
    /* One [4, 4] matrix: a 0-d result, as numpy. */
    check_fixture(ctx, "single_f64", false);
    hetero_context_destroy(ctx);
}

/* Runs det on `batch` n x n doubles with the serial and the pool variant;
 * both results must be bitwise equal; returns them in out. */
static void det_both(hetero_context *ctx, const double *m, size_t batch,
                     size_t n, double *out)
{
    size_t shape[3] = { batch, n, n };
    struct hetero_array a;
    struct hetero_array r1 = { 0 };
    struct hetero_array r2 = { 0 };

    ts_alloc(&a, HETERO_F64, 3, shape);
    memcpy(a.data, m, batch * n * n * sizeof(double));
    run_one(ctx, &a, HETERO_PLAN_FORCE_SERIAL, 0, &r1);
    run_one(ctx, &a, HETERO_PLAN_FORCE_POOL, 0, &r2);
    ts_assert_bitwise(&r1, &r2);
    memcpy(out, r1.data, batch * sizeof(double));
    hetero_array_free(&r1);
    hetero_array_free(&r2);
    hetero_array_free(&a);
}

static void test_det_hand_computed(void **state)
{
    hetero_context *ctx = ts_context(2);
    const double m1[1] = { -3.5 };
    const double m2[2 * 4] = {
        1, 2, 3, 4,  /* -2 (needs a swap: pivot 3) */
        0, 1, 1, 0,  /* -1 (zero pivot position, swap) */
    };
    const double m3[3 * 9] = {
        6, 1, 1, 4, -2, 5, 2, 8, 7, /* -306 */
        2, 7, -1, 0, 3, 4, 0, 0, -5, /* upper triangular: -30 */
        1, 2, 3, 4, 5, 6, 7, 8, 9,   /* singular: 0 up to rounding */
    };
    double d[3];

    (void)state;
    det_both(ctx, m1, 1, 1, d);
    assert_true(d[0] == -3.5);
    det_both(ctx, m2, 2, 2, d);
    /* tolerance 4 n eps H, H = sqrt(5) * 5 < 11.2 */
    assert_true(fabs(d[0] + 2.0) <= 4 * 2 * DBL_EPSILON * 11.2);
    assert_true(d[1] == -1.0);
    det_both(ctx, m3, 3, 3, d);
    assert_true(fabs(d[0] + 306.0) <= 306.0 * 1e-14);
    assert_true(d[1] == -30.0);
    /* H = sqrt(14 * 77 * 194) < 458 */
    assert_true(fabs(d[2]) <= 4 * 3 * DBL_EPSILON * 458.0);
    hetero_context_destroy(ctx);
}

static void test_det_nan_inf(void **state)
{
    hetero_context *ctx = ts_context(2);
    const double m[5 * 9] = {
        /* NaN below a larger entry: a pivot search that skips NaN would
         * eliminate it away */
        5, 1, 1, 1, 2, 1, NAN, 1, 3,
        /* NaN off the first pivot column */
        4, 1, 1, 1, 3, NAN, 1, 1, 2,
        /* Inf on the diagonal */
        INFINITY, 0, 0, 0, 1, 0, 0, 0, 2,
        /* Inf and -Inf: Inf - Inf makes NaN */
        INFINITY, 1, 1, INFINITY, 2, 1, -INFINITY, 1, 3,
        /* a neighbour is unaffected */
        2, 0, 0, 0, 3, 0, 0, 0, 4,
    };
    double d[5];
    float f[9] = { 1, 2, 3, NAN, 5, 6, 7, 8, 9 };
    float fd = 0.0f;

    (void)state;
    det_both(ctx, m, 5, 3, d);
    assert_true(isnan(d[0]));
    assert_true(isnan(d[1]));
    assert_true(isinf(d[2]) && d[2] > 0);
    assert_true(isnan(d[3]) || isinf(d[3]));
    assert_true(d[4] == 24.0);
    assert_int_equal(hetero_det_f32(ctx, f, 1, 3, &fd), 0);
    assert_true(isnan(fd));
    hetero_context_destroy(ctx);
}

/* The diagonal product is rescaled: no spurious overflow or underflow. */
static void test_det_product_scaling(void **state)
{
    hetero_context *ctx = ts_context(2);
    double m[4 * 16] = { 0 };
    const double diag[4][4] = {
        { 1e200, 1e200, 1e-300, 1.0 }, /* 1e100 */
        { 1e-300, 1e-300, 1e300, 1e300 }, /* 1 */
        { 1e300, 1e300, 1.0, 1.0 }, /* overflows: Inf */
        { 1e-200, 1e-200, 1e-200, -1.0 }, /* underflows: -0 */
    };
    float fm[16] = { 0 };
    float fd = 0.0f;
    double d[4];
    size_t b;
    size_t i;

    (void)state;
    for (b = 0; b < 4; b++) {
        for (i = 0; i < 4; i++)
            m[b * 16 + i * 5] = diag[b][i];
    }
    det_both(ctx, m, 4, 4, d);
    assert_true(fabs(d[0] / 1e100 - 1.0) <= 1e-14);
    assert_true(fabs(d[1] - 1.0) <= 1e-14);
    assert_true(isinf(d[2]) && d[2] > 0);
    assert_true(d[3] == 0.0);
    fm[0] = 1e-30f;
    fm[5] = 1e-30f;
    fm[10] = 1e30f;
    fm[15] = 1e30f;
    assert_int_equal(hetero_det_f32(ctx, fm, 1, 4, &fd), 0);
    assert_true(fabsf(fd - 1.0f) <= 1e-6f);
    hetero_context_destroy(ctx);
}

static void test_det_typed(void **state)
{
    hetero_context *ctx = ts_context(0);
    const double a[8] = { 2, 0, 0, 3, 0, 2, 5, 0 };
    const float af[4] = { 1.5f, 0.0f, 0.0f, -2.0f };
    double d[2] = { 0 };
    float df = 0.0f;

    (void)state;
    assert_int_equal(hetero_det(ctx, a, 2, 2, d), 0);
    assert_true(d[0] == 6.0 && d[1] == -10.0);
    assert_int_equal(hetero_det_f32(ctx, af, 1, 2, &df), 0);
    assert_true(df == -3.0f);
    assert_int_equal(hetero_det(NULL, a, 2, 2, d), HETERO_EINVAL);
    assert_int_equal(hetero_det(ctx, NULL, 2, 2, d), HETERO_EINVAL);
    assert_int_equal(hetero_det(ctx, a, 2, 2, NULL), HETERO_EINVAL);
    assert_int_equal(hetero_det(ctx, a, 0, 2, d), HETERO_EINVAL);
    assert_int_equal(hetero_det(ctx, a, 2, 0, d), HETERO_EINVAL);
    assert_int_equal(hetero_det(ctx, a, (size_t)1 << 40, (size_t)1 << 20, d),
                     HETERO_EINVAL);
    hetero_context_destroy(ctx);
}

/* A failed allocation (the plan, the heap scratch of n > 32 in the serial
 * variant or in any pool chunk) gives HETERO_ENOMEM and leaks nothing. */
static void test_det_alloc_fault(void **state)
{
    hetero_context *ctx = ts_context(3);
    const hetero_kernel *k = hetero_kernel_find("det");
    size_t shape[3] = { 6, 40, 40 };
    unsigned flags[2] = { HETERO_PLAN_FORCE_SERIAL, HETERO_PLAN_FORCE_POOL };
    struct hetero_array arr[2];
    struct hetero_call call = { .inputs = &arr[0], .n_inputs = 1,
                                .outputs = &arr[1], .n_outputs = 1 };
    size_t f;

    (void)state;
    ts_alloc(&arr[0], HETERO_F64, 3, shape);
    ts_alloc(&arr[1], HETERO_F64, 1, shape);
    ts_fill_uniform(&arr[0], 5, -1.0, 1.0);
    for (f = 0; f < 2; f++)
        ts_alloc_fault_loop(ctx, k, &call, flags[f], 100);
    hetero__alloc_fail_after(-1);
    hetero_array_free(&arr[1]);
    hetero_array_free(&arr[0]);
    hetero_context_destroy(ctx);
}

static void expect_einval(hetero_context *ctx, struct hetero_call *call,
                          const char *needle)
{
    const hetero_kernel *k = hetero_kernel_find("det");
    struct hetero_array out[1] = { { 0 } };

    assert_int_equal(ts_run(ctx, k, call, 0, 0, NULL, out), HETERO_EINVAL);
    if (!strstr(hetero_context_errmsg(ctx), needle))
        fail_msg("errmsg '%s' lacks '%s'", hetero_context_errmsg(ctx),
                 needle);
    hetero_array_free(&out[0]);
}

static void test_det_bad_args(void **state)
{
    hetero_context *ctx = ts_context(0);
    const hetero_kernel *k = hetero_kernel_find("det");
    double buf[2 * 9] = { 0 };
    double dbuf[3] = { 0 };
    struct hetero_array in[1] = {
        { .dtype = HETERO_F64, .ndim = 3, .shape = { 2, 3, 3 },
          .data = buf },
    };
    struct hetero_array out[1] = {
        { .dtype = HETERO_F64, .ndim = 1, .shape = { 2 }, .data = dbuf },
    };
    struct hetero_param bogus = { "pivot", "none" };
    struct hetero_call call = { .inputs = in, .n_inputs = 1 };
    struct hetero_array specs[1];
    size_t sh4[4] = { 2, 3, 3, 1 };

    (void)state;
    /* zero batch, zero order */
    in[0].shape[0] = 0;
    expect_einval(ctx, &call, "zero dimension");
    in[0].shape[0] = 2;
    in[0].shape[1] = in[0].shape[2] = 0;
    expect_einval(ctx, &call, "zero dimension");
    in[0].shape[1] = in[0].shape[2] = 3;
    /* wrong ndim: a vector, a 4-d array */
    in[0].ndim = 1;
    expect_einval(ctx, &call, "[B, n, n] or [n, n]");
    in[0].ndim = 4;
    memcpy(in[0].shape, sh4, sizeof(sh4));
    expect_einval(ctx, &call, "[B, n, n] or [n, n]");
    in[0].ndim = 3;
    in[0].shape[2] = 3;
    /* non-square matrices */
    in[0].shape[1] = 2;
    expect_einval(ctx, &call, "square");
    in[0].shape[1] = 3;
    /* unsupported dtypes */
    in[0].dtype = HETERO_C128;
    expect_einval(ctx, &call, "dtype");
    in[0].dtype = HETERO_I32;
    expect_einval(ctx, &call, "dtype");
    in[0].dtype = HETERO_F64;
    /* unknown parameter */
    call.params = &bogus;
    call.n_params = 1;
    expect_einval(ctx, &call, "pivot");
    call.params = NULL;
    call.n_params = 0;
    /* output: wrong length, wrong dtype, 0-d for a batch */
    call.outputs = out;
    call.n_outputs = 1;
    assert_int_equal(hetero_run(ctx, k, &call, 0), 0);
    out[0].shape[0] = 3;
    assert_int_equal(hetero_run(ctx, k, &call, 0), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "[2]"));
    out[0].shape[0] = 2;
    out[0].dtype = HETERO_F32;
    assert_int_equal(hetero_run(ctx, k, &call, 0), HETERO_EINVAL);
    out[0].dtype = HETERO_F64;
    out[0].ndim = 0;
    assert_int_equal(hetero_run(ctx, k, &call, 0), HETERO_EINVAL);
    /* one matrix wants a 0-d output, not [1] */
    in[0].ndim = 2;
    in[0].shape[0] = 3;
    in[0].shape[1] = 3;
    out[0].ndim = 1;
    out[0].shape[0] = 1;
    assert_int_equal(hetero_run(ctx, k, &call, 0), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "0-d"));
    out[0].ndim = 0;
    assert_int_equal(hetero_run(ctx, k, &call, 0), 0);
    /* shapes from the CLI */
    assert_int_equal(hetero_kernel_input_specs(ctx, k, 3,
                                               (size_t[]){ 4, 3, 2 },
                                               HETERO_F64, specs),
                     HETERO_EINVAL);
    assert_int_equal(hetero_kernel_input_specs(ctx, k, 1, (size_t[]){ 4 },
                                               HETERO_F64, specs),
                     HETERO_EINVAL);
    assert_int_equal(hetero_kernel_input_specs(ctx, k, 2,
                                               (size_t[]){ 4, 4 },
                                               HETERO_C64, specs),
                     HETERO_EINVAL);
    assert_int_equal(hetero_kernel_input_specs(ctx, k, 2,
                                               (size_t[]){ 4, 4 },
                                               HETERO_F32, specs),
                     0);
    hetero_context_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_det_serial_f64),
        cmocka_unit_test(test_det_serial_f32),
        cmocka_unit_test(test_det_pool_f64),
        cmocka_unit_test(test_det_pool_f32),
        cmocka_unit_test(test_det_auto),
        cmocka_unit_test(test_det_seed_workload),
        cmocka_unit_test(test_det_fixtures),
        cmocka_unit_test(test_det_hand_computed),
        cmocka_unit_test(test_det_nan_inf),
        cmocka_unit_test(test_det_product_scaling),
        cmocka_unit_test(test_det_typed),
        cmocka_unit_test(test_det_alloc_fault),
        cmocka_unit_test(test_det_bad_args),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
