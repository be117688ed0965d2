/*
 * test_det_cl.c - det's OpenCL variant against the serial reference within
 * the header's device tolerance: both kernels (a work-item per matrix up to
 * order 16, a work-group per matrix above, in local memory or in a global
 * scratch), f64 and f32, the seed workload, the copy path of discrete
 * GPUs, NaN/Inf/singular/permutation matrices, the rescaled product, plan
 * reuse over library buffers, declined without fp64, auto mode.
 *
 * Every test skips without an OpenCL device; if all skip, the binary exits
 * 77 (CTest: skipped). One context serves every test, so each program is
 * built once.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

#include "cl/cl_internal.h"
#include "det/det.h"

static hetero_context *ctx;
static struct hetero__cl_device *dev;
static bool fp64;

/* (batch, n): the CPU test's shapes (1x1, primes, non-square batches,
 * both sides of the work-item/work-group switch at 16) and more orders of
 * the work-group kernel, up to 64. The work-item kernel is built once per
 * order (seconds on POCL the first time), so the tests keep to a few
 * orders below 17: 1, 2, 3, 7, 10, 16. */
static const size_t shapes[][2] = {
    { 1, 1 },    { 1, 17 }, { 17, 1 }, { 13, 7 }, { 5, 2 },
    { 3, 3 },    { 31, 3 }, { 2, 33 }, { 7, 40 }, { 211, 10 },
    { 2000, 7 }, { 9, 16 }, { 4, 31 }, { 3, 64 }, { 2, 1 },
};

/* Skips the calling test when there is no OpenCL device. */
static void need_cl(void)
{
    if (!dev) {
        ts_skip();
    }
}

/* Skips the calling test unless the device has fp64. */
static void need_fp64(void)
{
    if (!dev || !fp64) {
        ts_skip();
    }
}

static double at(const struct hetero_array *a, size_t i)
{
    if (a->dtype == HETERO_F32)
        return ((const float *)a->data)[i];
    return ((const double *)a->data)[i];
}

/* The device tolerance of det.h for matrix b: 4 * n * eps * H. */
static double det_tol(const struct hetero_array *a, size_t b, size_t n)
{
    double eps = a->dtype == HETERO_F32 ? FLT_EPSILON : DBL_EPSILON;
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
    return 4.0 * (double)n * eps * h;
}

/* Asserts got within the tolerance of want for every matrix of a; NaN
 * must meet NaN, infinities must be equal. */
static void assert_det_close(const struct hetero_array *a,
                             const struct hetero_array *got,
                             const struct hetero_array *want)
{
    size_t n = a->shape[a->ndim - 1];
    size_t batch = a->ndim == 3 ? a->shape[0] : 1;
    size_t b;

    assert_int_equal(got->dtype, a->dtype);
    assert_int_equal(got->ndim, a->ndim - 2);
    for (b = 0; b < batch; b++) {
        double x = at(got, b);
        double y = at(want, b);
        double tol = det_tol(a, b, n);

        if (isnan(x) && isnan(y))
            continue;
        if (x == y)
            continue;
        if (!(fabs(x - y) <= tol))
            fail_msg("matrix %zu (n %zu): got %.17g, serial %.17g, "
                     "|diff| %.3g > tol %.3g",
                     b, n, x, y, fabs(x - y), tol);
    }
}

/* Runs det on a with `flags`, output in out (freed by the caller). */
static int try_det(const struct hetero_array *a, unsigned flags,
                   struct hetero_array *out)
{
    const hetero_kernel *k = hetero_kernel_find("det");
    struct hetero_call call = { .inputs = a, .n_inputs = 1 };

    assert_non_null(k);
    return ts_run(ctx, k, &call, flags, 0, NULL, out);
}

static void run_det(const struct hetero_array *a, unsigned flags,
                    struct hetero_array *out)
{
    int ret = try_det(a, flags, out);

    if (ret)
        fail_msg("det: %s (%s)", hetero_strerror(ret),
                 hetero_context_errmsg(ctx));
}

/* OpenCL (with `flags` added) against serial on a. */
static void check_array(const struct hetero_array *a, unsigned flags)
{
    struct hetero_array out = { 0 };
    struct hetero_array ref = { 0 };

    run_det(a, HETERO_PLAN_FORCE_SERIAL, &ref);
    run_det(a, HETERO_PLAN_FORCE_OPENCL | flags, &out);
    assert_det_close(a, &out, &ref);
    hetero_array_free(&out);
    hetero_array_free(&ref);
}

/* Seeded uniform matrices in [-scale, scale) of shape (batch, n, n). */
static void check_shape(enum hetero_dtype dtype, size_t batch, size_t n,
                        uint64_t seed, double scale)
{
    size_t shape[3] = { batch, n, n };
    struct hetero_array a;

    ts_alloc(&a, dtype, 3, shape);
    ts_fill_uniform(&a, seed, -scale, scale);
    check_array(&a, 0);
    hetero_array_free(&a);
}

static void check_shapes(enum hetero_dtype dtype)
{
    size_t s;

    for (s = 0; s < HETERO_ARRAY_SIZE(shapes); s++)
        check_shape(dtype, shapes[s][0], shapes[s][1], 7 + s, 1.0);
}

static void test_det_cl_shapes_f64(void **state)
{
    (void)state;
    need_fp64();
    check_shapes(HETERO_F64);
}

static void test_det_cl_shapes_f32(void **state)
{
    (void)state;
    need_cl();
    check_shapes(HETERO_F32);
}

/* An order whose matrix exceeds the device's local memory: the global
 * scratch kernel (on POCL: 1 MiB of local memory, 400^2 doubles more). */
static void test_det_cl_global_scratch(void **state)
{
    (void)state;
    need_fp64();
    /* entries of 0.1: H stays finite */
    check_shape(HETERO_F64, 2, 400, 99, 0.1);
}

/* The seed workload (fewer matrices, to keep the test short). */
static void test_det_cl_seed_workload(void **state)
{
    (void)state;
    need_cl();
    check_shape(HETERO_F32, 20000, 10, 42, 1.0);
    if (fp64)
        check_shape(HETERO_F64, 20000, 10, 42, 1.0);
}

/* The copy path of discrete-memory GPUs, exercised on this device. */
static void test_det_cl_discrete(void **state)
{
    (void)state;
    need_fp64();
    hetero__cl_device_test_flags(dev, HETERO__CL_TEST_DISCRETE);
    check_shape(HETERO_F64, 211, 10, 5, 1.0);
    check_shape(HETERO_F64, 7, 40, 6, 1.0);
    check_shape(HETERO_F32, 13, 7, 8, 1.0);
    hetero__cl_device_test_flags(dev, 0);
}

/* Copies `batch` n x n doubles into a fresh array. */
static void make(struct hetero_array *a, const double *m, size_t batch,
                 size_t n)
{
    size_t shape[3] = { batch, n, n };

    ts_alloc(a, HETERO_F64, 3, shape);
    memcpy(a->data, m, batch * n * n * sizeof(double));
}

/* Runs OpenCL on `batch` n x n doubles m; results in d. */
static void det_cl(const double *m, size_t batch, size_t n, double *d)
{
    struct hetero_array a;
    struct hetero_array out = { 0 };

    make(&a, m, batch, n);
    check_array(&a, 0);
    run_det(&a, HETERO_PLAN_FORCE_OPENCL, &out);
    memcpy(d, out.data, batch * sizeof(double));
    hetero_array_free(&out);
    hetero_array_free(&a);
}

/* The matrices of test_det's NaN/Inf case, then the same embedded in a
 * 20 x 20 identity (the work-group kernel). */
static void test_det_cl_nan_inf(void **state)
{
    const double m[5][9] = {
        { 5, 1, 1, 1, 2, 1, NAN, 1, 3 },      /* NaN below a larger one */
        { 4, 1, 1, 1, 3, NAN, 1, 1, 2 },      /* NaN off the pivot column */
        { INFINITY, 0, 0, 0, 1, 0, 0, 0, 2 }, /* Inf on the diagonal */
        { INFINITY, 1, 1, INFINITY, 2, 1, -INFINITY, 1, 3 }, /* Inf - Inf */
        { 2, 0, 0, 0, 3, 0, 0, 0, 4 },                       /* unaffected */
    };
    const size_t big = 20;
    double *g;
    double d[5];
    size_t b;
    size_t i;
    size_t j;

    (void)state;
    need_fp64();
    det_cl(&m[0][0], 5, 3, d);
    assert_true(isnan(d[0]));
    assert_true(isnan(d[1]));
    assert_true(isinf(d[2]) && d[2] > 0);
    assert_true(isnan(d[3]) || isinf(d[3]));
    assert_true(d[4] == 24.0);
    g = calloc(5 * big * big, sizeof(*g));
    assert_non_null(g);
    for (b = 0; b < 5; b++) {
        double *mb = g + b * big * big;

        for (i = 0; i < big; i++)
            mb[i * big + i] = 1.0;
        for (i = 0; i < 3; i++) {
            for (j = 0; j < 3; j++)
                mb[(i + 5) * big + j + 5] = m[b][i * 3 + j];
        }
    }
    det_cl(g, 5, big, d);
    assert_true(isnan(d[0]));
    assert_true(isnan(d[1]));
    assert_true(isinf(d[2]) && d[2] > 0);
    assert_true(isnan(d[3]) || isinf(d[3]));
    assert_true(d[4] == 24.0);
    free(g);
}

/* NaN in f32, both kernels; a neighbour of the NaN matrix is unaffected. */
static void test_det_cl_nan_f32(void **state)
{
    const float f[9] = { 1, 2, 3, NAN, 5, 6, 7, 8, 9 };
    size_t s3[3] = { 1, 3, 3 };
    size_t s17[3] = { 2, 17, 17 };
    struct hetero_array a;
    struct hetero_array out = { 0 };
    float *g;
    size_t i;

    (void)state;
    need_cl();
    ts_alloc(&a, HETERO_F32, 3, s3);
    memcpy(a.data, f, sizeof(f));
    run_det(&a, HETERO_PLAN_FORCE_OPENCL, &out);
    assert_true(isnan(((float *)out.data)[0]));
    hetero_array_free(&out);
    hetero_array_free(&a);
    ts_alloc(&a, HETERO_F32, 3, s17);
    g = a.data;
    memset(g, 0, 2 * 17 * 17 * sizeof(*g));
    for (i = 0; i < 2 * 17; i++)
        g[i * 17 + i % 17] = 2.0f;
    g[16 * 17 + 3] = NAN;
    run_det(&a, HETERO_PLAN_FORCE_OPENCL, &out);
    assert_true(isnan(((float *)out.data)[0]));
    assert_true(((float *)out.data)[1] == 131072.0f);
    hetero_array_free(&out);
    hetero_array_free(&a);
}

/* Exact cases: permutations give exactly their sign, the identity 1, a
 * zero column 0, triangular matrices the product of the diagonal. */
static void test_det_cl_exact(void **state)
{
    static const size_t orders[] = { 3, 10, 16, 17, 33 };
    size_t o;

    (void)state;
    need_fp64();
    for (o = 0; o < HETERO_ARRAY_SIZE(orders); o++) {
        size_t n = orders[o];
        double *m = calloc(4 * n * n, sizeof(*m));
        double d[4];
        double sign = 1.0;
        size_t i;

        assert_non_null(m);
        for (i = 0; i < n; i++) {
            /* 0: reversal, sign (-1)^(n/2); 1: identity; 2: identity
             * with a zero column; 3: upper triangular, diagonal 2 */
            m[0 * n * n + i * n + (n - 1 - i)] = 1.0;
            m[1 * n * n + i * n + i] = 1.0;
            m[2 * n * n + i * n + i] = i == n / 2 ? 0.0 : 1.0;
            m[3 * n * n + i * n + i] = 2.0;
            if (i + 1 < n)
                m[3 * n * n + i * n + i + 1] = 5.0;
        }
        for (i = 0; i < n / 2; i++)
            sign = -sign;
        det_cl(m, 4, n, d);
        assert_true(d[0] == sign);
        assert_true(d[1] == 1.0);
        assert_true(d[2] == 0.0);
        assert_true(d[3] == ldexp(1.0, (int)n));
        free(m);
    }
}

/* The diagonal product is rescaled: no spurious overflow or underflow. */
static void test_det_cl_product_scaling(void **state)
{
    const double diag[4][4] = {
        { 1e200, 1e200, 1e-300, 1.0 },    /* 1e100 */
        { 1e-300, 1e-300, 1e300, 1e300 }, /* 1 */
        { 1e300, 1e300, 1.0, 1.0 },       /* overflows: Inf */
        { 1e-200, 1e-200, 1e-200, -1.0 }, /* underflows: -0 */
    };
    size_t orders[2] = { 7, 20 };
    size_t o;

    (void)state;
    need_fp64();
    for (o = 0; o < 2; o++) {
        size_t n = orders[o];
        double *m = calloc(4 * n * n, sizeof(*m));
        double d[4];
        size_t b;
        size_t i;

        assert_non_null(m);
        for (b = 0; b < 4; b++) {
            for (i = 0; i < n; i++)
                m[b * n * n + i * (n + 1)] = i < 4 ? diag[b][i] : 1.0;
        }
        det_cl(m, 4, n, d);
        assert_true(fabs(d[0] / 1e100 - 1.0) <= 1e-14);
        assert_true(fabs(d[1] - 1.0) <= 1e-14);
        assert_true(isinf(d[2]) && d[2] > 0);
        assert_true(d[3] == 0.0 && signbit(d[3]));
        free(m);
    }
}

/* One plan executed several times over library buffers: the input's
 * device mirror is reused while unchanged and re-sent once marked dirty. */
static void test_det_cl_plan_reuse(void **state)
{
    const hetero_kernel *k = hetero_kernel_find("det");
    size_t shape[3] = { 300, 7, 7 };
    struct hetero_array arr[2];
    struct hetero_array ref = { 0 };
    struct hetero_call call = {
        .inputs = &arr[0], .n_inputs = 1, .outputs = &arr[1], .n_outputs = 1
    };
    hetero_plan *plan = NULL;
    int r;

    (void)state;
    need_fp64();
    ts_alloc(&arr[0], HETERO_F64, 3, shape);
    ts_alloc(&arr[1], HETERO_F64, 1, shape);
    ts_fill_uniform(&arr[0], 1, -1.0, 1.0);
    assert_int_equal(
        hetero_plan_create(ctx, k, &call, HETERO_PLAN_FORCE_OPENCL, &plan), 0);
    for (r = 0; r < 3; r++) {
        if (r == 2) {
            ts_fill_uniform(&arr[0], 2, -1.0, 1.0);
            hetero_buffer_mark_host_dirty(arr[0].buffer);
        }
        assert_int_equal(hetero_plan_execute(plan, &call), 0);
        run_det(&arr[0], HETERO_PLAN_FORCE_SERIAL, &ref);
        assert_det_close(&arr[0], &arr[1], &ref);
        hetero_array_free(&ref);
    }
    hetero_plan_destroy(plan);
    hetero_array_free(&arr[1]);
    hetero_array_free(&arr[0]);
}

/* Without fp64, f64 is declined with the reason, auto runs on the CPU and
 * f32 still runs on the device. */
static void test_det_cl_no_fp64(void **state)
{
    size_t shape[3] = { 50, 7, 7 };
    struct hetero_array a;
    struct hetero_array out = { 0 };

    (void)state;
    need_cl();
    ts_alloc(&a, HETERO_F64, 3, shape);
    ts_fill_uniform(&a, 3, -1.0, 1.0);
    hetero__cl_device_test_flags(dev, HETERO__CL_TEST_NO_FP64);
    assert_int_equal(try_det(&a, HETERO_PLAN_FORCE_OPENCL, &out),
                     HETERO_ENOTSUP);
    hetero_array_free(&out);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "device lacks fp64"));
    run_det(&a, 0, &out);
    hetero_array_free(&out);
    hetero_array_free(&a);
    ts_alloc(&a, HETERO_F32, 3, shape);
    ts_fill_uniform(&a, 3, -1.0, 1.0);
    check_array(&a, 0);
    hetero__cl_device_test_flags(dev, 0);
    hetero_array_free(&a);
}

/* Auto mode (estimate and measure) with OpenCL among the candidates does
 * not crash and stays within tolerance. */
static void test_det_cl_auto(void **state)
{
    size_t shape[3] = { 3000, 10, 10 };
    struct hetero_array a;
    struct hetero_array out = { 0 };
    struct hetero_array ref = { 0 };

    (void)state;
    need_cl();
    ts_alloc(&a, fp64 ? HETERO_F64 : HETERO_F32, 3, shape);
    ts_fill_uniform(&a, 4, -1.0, 1.0);
    run_det(&a, HETERO_PLAN_FORCE_SERIAL, &ref);
    run_det(&a, HETERO_PLAN_ESTIMATE, &out);
    assert_det_close(&a, &out, &ref);
    hetero_array_free(&out);
    run_det(&a, HETERO_PLAN_MEASURE, &out);
    assert_det_close(&a, &out, &ref);
    hetero_array_free(&out);
    hetero_array_free(&ref);
    hetero_array_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_det_cl_shapes_f64),
        cmocka_unit_test(test_det_cl_shapes_f32),
        cmocka_unit_test(test_det_cl_global_scratch),
        cmocka_unit_test(test_det_cl_seed_workload),
        cmocka_unit_test(test_det_cl_discrete),
        cmocka_unit_test(test_det_cl_nan_inf),
        cmocka_unit_test(test_det_cl_nan_f32),
        cmocka_unit_test(test_det_cl_exact),
        cmocka_unit_test(test_det_cl_product_scaling),
        cmocka_unit_test(test_det_cl_plan_reuse),
        cmocka_unit_test(test_det_cl_no_fp64),
        cmocka_unit_test(test_det_cl_auto),
    };
    int failed;

    unsetenv("HETERO_CL_FAULT");
    ctx = ts_context(2);
    if (hetero__cl_device_get(ctx, &dev) != 0)
        dev = NULL;
    fp64 = dev && hetero__cl_device_has_fp64(dev);
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    hetero_context_destroy(ctx);
    return ts_exit_code(failed, HETERO_ARRAY_SIZE(tests));
}
