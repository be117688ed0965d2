/*
 * test_fft2_cl.c - fft2's OpenCL variant (VkFFT) against the serial
 * reference: real and complex input, f32 and f64, forward and inverse, on
 * 1 x 1, 1 x N, N x 1, prime, non-square batched and 30 x 100 x 100
 * shapes; the device-copy path of discrete devices; the VkFFT plan cache
 * (one creation per shape, its cost reported apart); a device without
 * fp64; injected VkFFT failures; one plan run from several threads.
 *
 * Tolerance (fft2.h, OpenCL): |X - X_exact| <= tol * ||x|| * s per matrix,
 * tol 1e-12 (f64/c128) or 1e-5 (f32/c64), s = 1 or 1/(n m); against the
 * serial output (itself within the CPU bound) the check allows both.
 *
 * Every test skips without an OpenCL device; if all skip, the binary exits
 * 77 (CTest: skipped). One context serves the file: VkFFT plans and
 * programs are built once (they take seconds on POCL).
 */
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

#include "cl/cl_fft.h"
#include "cl/cl_internal.h"
#include "fft2/fft2.h"

struct shape {
    size_t b; /* 0: a 2-D input */
    size_t n;
    size_t m;
};

static const struct shape shapes[] = {
    { 0, 1, 1 },  { 1, 1, 17 }, { 1, 19, 1 },     { 0, 7, 13 },
    { 3, 5, 12 }, { 2, 16, 9 }, { 30, 100, 100 },
};

static hetero_context *ctx;
static bool have_cl;

/* Skips the calling test when there is no OpenCL device. */
static void need_cl(void)
{
    if (!have_cl) {
        ts_skip();
    }
}

static bool dt_double(enum hetero_dtype d)
{
    return d == HETERO_F64 || d == HETERO_C128;
}

static double tol_cl(enum hetero_dtype d)
{
    return dt_double(d) ? 1e-12 : 1e-5;
}

static double tol_cpu(enum hetero_dtype d)
{
    return dt_double(d) ? 1e-13 : 1e-5;
}

static struct hetero__cl_device *device(void)
{
    struct hetero__cl_device *dev = NULL;

    assert_int_equal(hetero__cl_device_get(ctx, &dev), 0);
    return dev;
}

static void make_input(struct hetero_array *x, enum hetero_dtype dtype,
                       const struct shape *s, uint64_t seed)
{
    size_t shape3[3] = { s->b, s->n, s->m };

    if (s->b)
        ts_alloc(x, dtype, 3, shape3);
    else
        ts_alloc(x, dtype, 2, shape3 + 1);
    ts_fill_uniform(x, seed, -1.0, 1.0);
}

/* Largest ||x_b|| (Frobenius, complex modulus) over the matrices. */
static double max_norm(const struct hetero_array *x)
{
    size_t n = 0;
    size_t per;
    size_t vals;
    size_t i;
    double best = 0.0;
    double acc = 0.0;
    bool dbl = dt_double(x->dtype);

    assert_int_equal(hetero_array_numel(x, &n), 0);
    per = x->shape[x->ndim - 2] * x->shape[x->ndim - 1];
    vals = hetero_dtype_is_complex(x->dtype) ? 2 : 1;
    for (i = 0; i < n * vals; i++) {
        double v =
            dbl ? ((const double *)x->data)[i] : ((const float *)x->data)[i];

        acc += v * v;
        if ((i + 1) % (per * vals) == 0) {
            best = fmax(best, sqrt(acc));
            acc = 0.0;
        }
    }
    return best;
}

static int run_fft2(const struct hetero_array *x, bool inverse, unsigned flags,
                    struct hetero_array *y)
{
    const hetero_kernel *k = hetero_kernel_find("fft2");
    struct hetero_param p = { "inverse", inverse ? "1" : "0" };
    struct hetero_call call = {
        .inputs = x, .n_inputs = 1, .params = &p, .n_params = 1
    };

    assert_non_null(k);
    return ts_run(ctx, k, &call, flags, 0, NULL, y);
}

/* OpenCL against serial on one shape; returns |diff| / (||x|| s). */
static double check_one(enum hetero_dtype dtype, const struct shape *s,
                        bool inverse, uint64_t seed)
{
    struct hetero_array x;
    struct hetero_array ser = { 0 };
    struct hetero_array cl = { 0 };
    double nm = (double)s->n * (double)s->m;
    double scale;
    double atol;
    double max_abs;
    double max_rel;
    int ret;

    make_input(&x, dtype, s, seed);
    scale = max_norm(&x) * (inverse ? 1.0 / nm : 1.0);
    atol = (tol_cl(dtype) + tol_cpu(dtype)) * scale;
    assert_int_equal(run_fft2(&x, inverse, HETERO_PLAN_FORCE_SERIAL, &ser), 0);
    ret = run_fft2(&x, inverse, HETERO_PLAN_FORCE_OPENCL, &cl);
    if (ret)
        fail_msg("fft2 OpenCL %zux%zux%zu: %s: %s", s->b, s->n, s->m,
                 hetero_err_name(ret), hetero_context_errmsg(ctx));
    ts_assert_close(&cl, &ser, 0.0, atol);
    ts_compare(&cl, &ser, 1.0, &max_abs, &max_rel);
    hetero_array_free(&cl);
    hetero_array_free(&ser);
    hetero_array_free(&x);
    return scale > 0.0 ? max_abs / scale : 0.0;
}

static void check_dtype(enum hetero_dtype dtype, bool inverse)
{
    double worst = 0.0;
    size_t s;

    need_cl();
    for (s = 0; s < HETERO_ARRAY_SIZE(shapes); s++)
        worst = fmax(worst, check_one(dtype, &shapes[s], inverse, 300 + s));
    print_message("fft2 OpenCL %s %s: max |cl - serial| / (||x|| s) = "
                  "%.3g\n",
                  hetero_dtype_name(dtype), inverse ? "inverse" : "forward",
                  worst);
}

static void test_fft2_cl_f64(void **state)
{
    (void)state;
    check_dtype(HETERO_F64, false);
}

static void test_fft2_cl_f32(void **state)
{
    (void)state;
    check_dtype(HETERO_F32, false);
}

static void test_fft2_cl_c128(void **state)
{
    (void)state;
    check_dtype(HETERO_C128, false);
}

static void test_fft2_cl_c64(void **state)
{
    (void)state;
    check_dtype(HETERO_C64, false);
}

static void test_fft2_cl_inverse_f64(void **state)
{
    (void)state;
    check_dtype(HETERO_F64, true);
}

static void test_fft2_cl_inverse_f32(void **state)
{
    (void)state;
    check_dtype(HETERO_F32, true);
}

static void test_fft2_cl_inverse_c128(void **state)
{
    (void)state;
    check_dtype(HETERO_C128, true);
}

static void test_fft2_cl_inverse_c64(void **state)
{
    (void)state;
    check_dtype(HETERO_C64, true);
}

/* A device without host-shared memory: y is not used in place but
 * computed in a device scratch and copied. */
static void test_fft2_cl_discrete(void **state)
{
    static const struct shape s = { 2, 7, 13 };

    (void)state;
    need_cl();
    hetero__cl_device_test_flags(device(), HETERO__CL_TEST_DISCRETE);
    check_one(HETERO_F64, &s, false, 11);
    check_one(HETERO_C64, &s, true, 12);
    hetero__cl_device_test_flags(device(), 0);
}

/* Creates (and destroys) an OpenCL plan of fft2 on x; returns seconds. */
static double time_plan(const struct hetero_array *x)
{
    const hetero_kernel *k = hetero_kernel_find("fft2");
    struct hetero_param p = { "inverse", "0" };
    struct hetero_call call = {
        .inputs = x, .n_inputs = 1, .params = &p, .n_params = 1
    };
    hetero_plan *plan = NULL;
    double t0 = hetero__now();

    assert_int_equal(
        hetero_plan_create(ctx, k, &call, HETERO_PLAN_FORCE_OPENCL, &plan), 0);
    t0 = hetero__now() - t0;
    hetero_plan_destroy(plan);
    return t0;
}

/* A second plan of a shape reuses the cached VkFFT plan; the creation
 * time is counted apart. */
static void test_fft2_cl_plan_cache(void **state)
{
    static const struct shape s = { 4, 24, 40 };
    struct hetero__cl_fft_stats a;
    struct hetero__cl_fft_stats b;
    struct hetero__cl_fft_stats c;
    struct hetero_array x;
    struct hetero_array xr;
    double cold;
    double warm;

    (void)state;
    need_cl();
    make_input(&x, HETERO_C128, &s, 21);
    make_input(&xr, HETERO_F64, &s, 22);
    hetero__cl_fft_stats(ctx, &a);
    cold = time_plan(&x);
    hetero__cl_fft_stats(ctx, &b);
    assert_int_equal(b.misses, a.misses + 1);
    assert_int_equal(b.plans, a.plans + 1);
    assert_true(b.init_s > a.init_s);
    warm = time_plan(&x);
    /* Real input: the same complex plan (plus the conversion kernel). */
    time_plan(&xr);
    hetero__cl_fft_stats(ctx, &c);
    assert_int_equal(c.misses, b.misses);
    assert_int_equal(c.plans, b.plans);
    assert_int_equal(c.hits, b.hits + 2);
    assert_true(c.init_s == b.init_s);
    print_message("fft2 OpenCL plan 4x24x40 c128: %.1f ms with a new VkFFT "
                  "plan (VkFFT init %.1f ms), %.3f ms cached; cache: %zu "
                  "plans, %.2f s of creation\n",
                  cold * 1e3, b.last_init_s * 1e3, warm * 1e3, c.plans,
                  c.init_s);
    check_one(HETERO_C128, &s, false, 21);
    hetero__cl_fft_stats(ctx, &a);
    assert_true(a.runs > c.runs);
    hetero_array_free(&xr);
    hetero_array_free(&x);
}

static void test_fft2_cl_no_fp64(void **state)
{
    static const struct shape s = { 1, 6, 10 };
    struct hetero_array x;
    struct hetero_array y = { 0 };

    (void)state;
    need_cl();
    make_input(&x, HETERO_F64, &s, 31);
    hetero__cl_device_test_flags(device(), HETERO__CL_TEST_NO_FP64);
    assert_int_equal(run_fft2(&x, false, HETERO_PLAN_FORCE_OPENCL, &y),
                     HETERO_ENOTSUP);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "device lacks fp64"));
    hetero_array_free(&y);
    hetero__cl_device_test_flags(device(), 0);
    hetero_array_free(&x);
    check_one(HETERO_F32, &s, false, 32);
}

/* Injected VkFFT failures: named in the errmsg, HETERO_ECL, not sticky,
 * nothing leaked (the ASan build checks that). */
static void test_fft2_cl_faults(void **state)
{
    static const struct shape s = { 2, 11, 6 };
    struct hetero__cl_fft_stats a;
    struct hetero__cl_fft_stats b;
    struct hetero_array x;
    struct hetero_array y = { 0 };
    const char *msg;

    (void)state;
    need_cl();
    make_input(&x, HETERO_C128, &s, 41);
    /* A new shape's VkFFT plan fails to build (the conversion and copy
     * need no program build for complex input). */
    hetero__cl_fft_stats(ctx, &a);
    setenv("HETERO_CL_FAULT", "build", 1);
    assert_int_equal(run_fft2(&x, false, HETERO_PLAN_FORCE_OPENCL, &y),
                     HETERO_ECL);
    unsetenv("HETERO_CL_FAULT");
    hetero_array_free(&y);
    msg = hetero_context_errmsg(ctx);
    if (!strstr(msg, "initializeVkFFT") ||
        !strstr(msg, "VKFFT_ERROR_FAILED_TO_COMPILE_PROGRAM"))
        fail_msg("errmsg: %s", msg);
    hetero__cl_fft_stats(ctx, &b);
    assert_int_equal(b.failures, a.failures + 1);
    assert_int_equal(b.plans, a.plans);
    /* The transform's enqueue fails. */
    setenv("HETERO_CL_FAULT", "enqueue", 1);
    assert_int_equal(run_fft2(&x, false, HETERO_PLAN_FORCE_OPENCL, &y),
                     HETERO_ECL);
    unsetenv("HETERO_CL_FAULT");
    hetero_array_free(&y);
    msg = hetero_context_errmsg(ctx);
    if (!strstr(msg, "VkFFTAppend") ||
        !strstr(msg, "VKFFT_ERROR_FAILED_TO_LAUNCH_KERNEL"))
        fail_msg("errmsg: %s", msg);
    hetero_array_free(&x);
    /* Then it works. */
    check_one(HETERO_C128, &s, false, 41);
}

static void test_fft2_cl_err_names(void **state)
{
    (void)state;
    assert_string_equal(hetero__cl_fft_err_name(0), "VKFFT_SUCCESS");
    assert_string_equal(hetero__cl_fft_err_name(3001),
                        "VKFFT_ERROR_UNSUPPORTED_RADIX");
    assert_string_equal(hetero__cl_fft_err_name(4031),
                        "VKFFT_ERROR_FAILED_TO_COMPILE_PROGRAM");
    assert_string_equal(hetero__cl_fft_err_name(-7), "VKFFT_ERROR_UNKNOWN");
}

/* One plan executed by several threads at once. */
struct worker {
    hetero_plan *plan;
    const struct hetero_array *x;
    struct hetero_array y;
    int ret;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct hetero_param p = { "inverse", "0" };
    struct hetero_call call = { .inputs = w->x,
                                .n_inputs = 1,
                                .outputs = &w->y,
                                .n_outputs = 1,
                                .params = &p,
                                .n_params = 1 };
    int i;

    for (i = 0; i < 4 && w->ret == 0; i++)
        w->ret = hetero_plan_execute(w->plan, &call);
    return NULL;
}

static void test_fft2_cl_threads(void **state)
{
    static const struct shape s = { 3, 20, 30 };
    const hetero_kernel *k = hetero_kernel_find("fft2");
    struct hetero_param p = { "inverse", "0" };
    struct worker w[4];
    pthread_t th[4];
    struct hetero_array x;
    struct hetero_array ser = { 0 };
    struct hetero_call call = { .n_inputs = 1, .params = &p, .n_params = 1 };
    hetero_plan *plan = NULL;
    size_t i;

    (void)state;
    need_cl();
    make_input(&x, HETERO_C64, &s, 51);
    assert_int_equal(run_fft2(&x, false, HETERO_PLAN_FORCE_SERIAL, &ser), 0);
    call.inputs = &x;
    call.outputs = &ser;
    call.n_outputs = 1;
    assert_int_equal(
        hetero_plan_create(ctx, k, &call, HETERO_PLAN_FORCE_OPENCL, &plan), 0);
    for (i = 0; i < 4; i++) {
        w[i].plan = plan;
        w[i].x = &x;
        w[i].ret = 0;
        ts_alloc(&w[i].y, ser.dtype, ser.ndim, ser.shape);
        assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    }
    for (i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(w[i].ret, 0);
        ts_assert_close(&w[i].y, &ser, 0.0,
                        (tol_cl(x.dtype) + tol_cpu(x.dtype)) * max_norm(&x));
        hetero_array_free(&w[i].y);
    }
    hetero_plan_destroy(plan);
    hetero_array_free(&ser);
    hetero_array_free(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fft2_cl_err_names),
        cmocka_unit_test(test_fft2_cl_f64),
        cmocka_unit_test(test_fft2_cl_f32),
        cmocka_unit_test(test_fft2_cl_c128),
        cmocka_unit_test(test_fft2_cl_c64),
        cmocka_unit_test(test_fft2_cl_inverse_f64),
        cmocka_unit_test(test_fft2_cl_inverse_f32),
        cmocka_unit_test(test_fft2_cl_inverse_c128),
        cmocka_unit_test(test_fft2_cl_inverse_c64),
        cmocka_unit_test(test_fft2_cl_discrete),
        cmocka_unit_test(test_fft2_cl_plan_cache),
        cmocka_unit_test(test_fft2_cl_no_fp64),
        cmocka_unit_test(test_fft2_cl_faults),
        cmocka_unit_test(test_fft2_cl_threads),
    };
    struct hetero__cl_fft_stats st;
    struct hetero__cl_device *dev = NULL;
    int failed;

    unsetenv("HETERO_CL_DEVICE");
    unsetenv("HETERO_CL_FAULT");
    ctx = ts_context(2);
    have_cl = hetero__cl_device_get(ctx, &dev) == 0;
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    hetero__cl_fft_stats(ctx, &st);
    if (have_cl)
        printf("VkFFT plans: %zu created in %.2f s, %zu cache hits, %lu "
               "transforms\n",
               st.plans, st.init_s, st.hits, st.runs);
    hetero_context_destroy(ctx);
    /* All but test_fft2_cl_err_names need a device. */
    return ts_exit_code(failed, HETERO_ARRAY_SIZE(tests) - 1);
}
