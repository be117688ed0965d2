/*
 * test_rbf_cl.c - rbf's OpenCL variant against the serial reference within
 * the header's device tolerance (f64 1e-12, f32 1e-5 relative), with an
 * exactly symmetric result and an exactly zero diagonal: the CPU test's
 * shapes, the seed workloads, the copy path of discrete GPUs, NaN and Inf
 * coordinates, plan reuse over library buffers, declined without fp64,
 * auto mode.
 *
 * Every test skips without an OpenCL device; if all skip, the binary exits
 * 77 (CTest: skipped). One context serves every test, so each program is
 * built once.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

#include "cl/cl_internal.h"
#include "rbf/rbf.h"

#define RTOL_F64 1e-12
#define RTOL_F32 1e-5

static hetero_context *ctx;
static struct hetero__cl_device *dev;
static bool fp64;

/* (N, d): the CPU test's shapes: one point, one coordinate, primes, d = 2
 * and 3 and others, N not a multiple of any work-group size. */
static const size_t shapes[][2] = {
    { 1, 1 },  { 1, 5 },   { 17, 1 },  { 13, 3 }, { 31, 2 },   { 7, 11 },
    { 16, 3 }, { 100, 4 }, { 257, 3 }, { 97, 2 }, { 700, 20 },
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

static double rtol_of(enum hetero_dtype dtype)
{
    return dtype == HETERO_F32 ? RTOL_F32 : RTOL_F64;
}

/* D is exactly symmetric, its diagonal is 0 where row i has no NaN. */
static void assert_symmetric(const struct hetero_array *D)
{
    size_t n = D->shape[0];
    size_t es = hetero_dtype_size(D->dtype);
    const char *p = D->data;
    size_t i;
    size_t j;

    for (i = 0; i < n; i++) {
        double x = at(D, i * n + i);

        if (!(x == 0.0 || isnan(x)))
            fail_msg("D[%zu][%zu] = %.17g", i, i, x);
        for (j = 0; j < i; j++) {
            if (memcmp(p + (i * n + j) * es, p + (j * n + i) * es, es))
                fail_msg("D[%zu][%zu] = %.17g but D[%zu][%zu] = %.17g", i, j,
                         at(D, i * n + j), j, i, at(D, j * n + i));
        }
    }
}

/* Runs rbf on p with `flags`, output in out (freed by the caller). */
static int try_rbf(const struct hetero_array *p, unsigned flags,
                   struct hetero_array *out)
{
    const hetero_kernel *k = hetero_kernel_find("rbf");
    struct hetero_call call = { .inputs = p, .n_inputs = 1 };

    assert_non_null(k);
    return ts_run(ctx, k, &call, flags, 0, NULL, out);
}

static void run_rbf(const struct hetero_array *p, unsigned flags,
                    struct hetero_array *out)
{
    int ret = try_rbf(p, flags, out);

    if (ret)
        fail_msg("rbf: %s (%s)", hetero_strerror(ret),
                 hetero_context_errmsg(ctx));
}

/* OpenCL against serial on p. */
static void check_points(const struct hetero_array *p)
{
    struct hetero_array out = { 0 };
    struct hetero_array ref = { 0 };

    run_rbf(p, HETERO_PLAN_FORCE_SERIAL, &ref);
    run_rbf(p, HETERO_PLAN_FORCE_OPENCL, &out);
    ts_assert_close(&out, &ref, rtol_of(p->dtype), 0.0);
    assert_symmetric(&out);
    hetero_array_free(&out);
    hetero_array_free(&ref);
}

/* Seeded uniform points in [-2, 2) of shape (n, d). */
static void check_shape(enum hetero_dtype dtype, size_t n, size_t d,
                        uint64_t seed)
{
    size_t shape[2] = { n, d };
    struct hetero_array p;

    ts_alloc(&p, dtype, 2, shape);
    ts_fill_uniform(&p, seed, -2.0, 2.0);
    check_points(&p);
    hetero_array_free(&p);
}

static void check_shapes(enum hetero_dtype dtype)
{
    size_t s;

    for (s = 0; s < HETERO_ARRAY_SIZE(shapes); s++)
        check_shape(dtype, shapes[s][0], shapes[s][1], 11 + s);
}

static void test_rbf_cl_shapes_f64(void **state)
{
    (void)state;
    need_fp64();
    check_shapes(HETERO_F64);
}

static void test_rbf_cl_shapes_f32(void **state)
{
    (void)state;
    need_cl();
    check_shapes(HETERO_F32);
}

/* The seed workloads, 3000 x 3 and 500 x 7. */
static void test_rbf_cl_seed_workload(void **state)
{
    (void)state;
    need_cl();
    check_shape(HETERO_F32, 3000, 3, 42);
    check_shape(HETERO_F32, 500, 7, 43);
    if (fp64) {
        check_shape(HETERO_F64, 3000, 3, 42);
        check_shape(HETERO_F64, 500, 7, 43);
    }
}

/* Close points: the differences are taken directly, so a distance of
 * 1e-9 around 1e3 keeps its accuracy. */
static void test_rbf_cl_close_points(void **state)
{
    size_t shape[2] = { 64, 2 };
    struct hetero_array p;
    size_t i;

    (void)state;
    need_fp64();
    ts_alloc(&p, HETERO_F64, 2, shape);
    for (i = 0; i < 64; i++) {
        ((double *)p.data)[2 * i] = 1000.0 + 1e-9 * (double)i;
        ((double *)p.data)[2 * i + 1] = -1000.0;
    }
    check_points(&p);
    hetero_array_free(&p);
}

/* The copy path of discrete-memory GPUs, exercised on this device. */
static void test_rbf_cl_discrete(void **state)
{
    (void)state;
    need_cl();
    hetero__cl_device_test_flags(dev, HETERO__CL_TEST_DISCRETE);
    check_shape(HETERO_F32, 257, 3, 5);
    if (fp64)
        check_shape(HETERO_F64, 97, 2, 6);
    hetero__cl_device_test_flags(dev, 0);
}

/* A NaN coordinate makes row and column NaN (diagonal included), an
 * infinite one Inf, or NaN where two infinities meet; others unaffected. */
static void check_special(enum hetero_dtype dtype)
{
    size_t shape[2] = { 6, 3 };
    struct hetero_array p;
    struct hetero_array out = { 0 };
    size_t i;

    ts_alloc(&p, dtype, 2, shape);
    ts_fill_uniform(&p, 9, -1.0, 1.0);
    for (i = 0; i < 3; i++) {
        double v[3] = { NAN, INFINITY, -INFINITY };

        /* point 1: NaN; points 3 and 4: +Inf and -Inf in coordinate 2 */
        if (dtype == HETERO_F64)
            ((double *)p.data)[(i == 0 ? 1 : i + 2) * 3 + (i ? 2 : 0)] = v[i];
        else
            ((float *)p.data)[(i == 0 ? 1 : i + 2) * 3 + (i ? 2 : 0)] =
                (float)v[i];
    }
    check_points(&p);
    run_rbf(&p, HETERO_PLAN_FORCE_OPENCL, &out);
    for (i = 0; i < 6; i++) {
        assert_true(isnan(at(&out, 1 * 6 + i)));
        assert_true(isnan(at(&out, i * 6 + 1)));
    }
    assert_true(isnan(at(&out, 3 * 6 + 3))); /* Inf - Inf */
    assert_true(isinf(at(&out, 3 * 6 + 0)));
    assert_true(isinf(at(&out, 3 * 6 + 4)));
    assert_true(isfinite(at(&out, 0 * 6 + 2)));
    assert_true(at(&out, 5 * 6 + 5) == 0.0);
    hetero_array_free(&out);
    hetero_array_free(&p);
}

static void test_rbf_cl_nan_inf(void **state)
{
    (void)state;
    need_cl();
    check_special(HETERO_F32);
    if (fp64)
        check_special(HETERO_F64);
}

/* One plan executed several times over library buffers: the input's
 * device mirror is reused while unchanged and re-sent once marked dirty. */
static void test_rbf_cl_plan_reuse(void **state)
{
    const hetero_kernel *k = hetero_kernel_find("rbf");
    size_t shape[2] = { 129, 3 };
    size_t oshape[2] = { 129, 129 };
    struct hetero_array arr[2];
    struct hetero_array ref = { 0 };
    struct hetero_call call = {
        .inputs = &arr[0], .n_inputs = 1, .outputs = &arr[1], .n_outputs = 1
    };
    enum hetero_dtype dt = fp64 ? HETERO_F64 : HETERO_F32;
    hetero_plan *plan = NULL;
    int r;

    (void)state;
    need_cl();
    ts_alloc(&arr[0], dt, 2, shape);
    ts_alloc(&arr[1], dt, 2, oshape);
    ts_fill_uniform(&arr[0], 1, -1.0, 1.0);
    assert_int_equal(
        hetero_plan_create(ctx, k, &call, HETERO_PLAN_FORCE_OPENCL, &plan), 0);
    for (r = 0; r < 3; r++) {
        if (r == 2) {
            ts_fill_uniform(&arr[0], 2, -1.0, 1.0);
            hetero_buffer_mark_host_dirty(arr[0].buffer);
        }
        assert_int_equal(hetero_plan_execute(plan, &call), 0);
        run_rbf(&arr[0], HETERO_PLAN_FORCE_SERIAL, &ref);
        ts_assert_close(&arr[1], &ref, rtol_of(dt), 0.0);
        hetero_array_free(&ref);
    }
    hetero_plan_destroy(plan);
    hetero_array_free(&arr[1]);
    hetero_array_free(&arr[0]);
}

/* Without fp64, f64 is declined with the reason, auto runs on the CPU and
 * f32 still runs on the device. */
static void test_rbf_cl_no_fp64(void **state)
{
    size_t shape[2] = { 50, 3 };
    struct hetero_array p;
    struct hetero_array out = { 0 };

    (void)state;
    need_cl();
    ts_alloc(&p, HETERO_F64, 2, shape);
    ts_fill_uniform(&p, 3, -1.0, 1.0);
    hetero__cl_device_test_flags(dev, HETERO__CL_TEST_NO_FP64);
    assert_int_equal(try_rbf(&p, HETERO_PLAN_FORCE_OPENCL, &out),
                     HETERO_ENOTSUP);
    hetero_array_free(&out);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "device lacks fp64"));
    run_rbf(&p, 0, &out);
    hetero_array_free(&out);
    hetero_array_free(&p);
    check_shape(HETERO_F32, 50, 3, 3);
    hetero__cl_device_test_flags(dev, 0);
}

/* Auto mode (estimate and measure) with OpenCL among the candidates does
 * not crash and stays within tolerance. */
static void test_rbf_cl_auto(void **state)
{
    size_t shape[2] = { 1000, 3 };
    struct hetero_array p;
    struct hetero_array out = { 0 };
    struct hetero_array ref = { 0 };
    enum hetero_dtype dt = fp64 ? HETERO_F64 : HETERO_F32;

    (void)state;
    need_cl();
    ts_alloc(&p, dt, 2, shape);
    ts_fill_uniform(&p, 4, -1.0, 1.0);
    run_rbf(&p, HETERO_PLAN_FORCE_SERIAL, &ref);
    run_rbf(&p, HETERO_PLAN_ESTIMATE, &out);
    ts_assert_close(&out, &ref, rtol_of(dt), 0.0);
    hetero_array_free(&out);
    run_rbf(&p, HETERO_PLAN_MEASURE, &out);
    ts_assert_close(&out, &ref, rtol_of(dt), 0.0);
    assert_symmetric(&out);
    hetero_array_free(&out);
    hetero_array_free(&ref);
    hetero_array_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rbf_cl_shapes_f64),
        cmocka_unit_test(test_rbf_cl_shapes_f32),
        cmocka_unit_test(test_rbf_cl_seed_workload),
        cmocka_unit_test(test_rbf_cl_close_points),
        cmocka_unit_test(test_rbf_cl_discrete),
        cmocka_unit_test(test_rbf_cl_nan_inf),
        cmocka_unit_test(test_rbf_cl_plan_reuse),
        cmocka_unit_test(test_rbf_cl_no_fp64),
        cmocka_unit_test(test_rbf_cl_auto),
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
