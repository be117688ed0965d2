/*
 * test_sum_cl.c - sum's OpenCL variant against the serial reference:
 * bitwise equal for f32 and f64 around the block and lane boundaries, on
 * well- and ill-conditioned data (only the latter can tell a wrong
 * combination order), for every work-item shape (GPU and CPU ones), from
 * library buffers and caller memory, on the copy path of discrete GPUs,
 * for special values and exact series; repeatable; declined without fp64.
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
#include "sum/sum.h"
#include "sum/sum_impl.h"

static hetero_context *ctx;
static struct hetero__cl_device *dev;
static bool fp64;
static bool f32_ok; /* fp64 and f32 subnormals: f32 sums run here */

static const size_t sizes[] = { 1, 2, 7, 4095, 4096, 4097, 1000003 };

/* Skips the calling test when there is no OpenCL device. */
static void need_cl(void)
{
    if (!dev) {
        ts_skip();
    }
}

/* Skips the calling test unless the device has fp64 (the variant declines
 * everything without it). */
static void need_fp64(void)
{
    if (!dev || !fp64) {
        ts_skip();
    }
}

/* Skips the calling test unless the variant takes f32 arrays here (fp64,
 * and f32 subnormals not flushed). */
static void need_f32(void)
{
    if (!dev || !f32_ok) {
        ts_skip();
    }
}

/* Runs sum on x (borrowed) with `flags`; returns the code, the result in
 * *r on success. */
static int try_sum(const struct hetero_array *x, unsigned flags, double *r)
{
    const hetero_kernel *k = hetero_kernel_find("sum");
    struct hetero_array out[1] = { { 0 } };
    struct hetero_call call = { .inputs = x, .n_inputs = 1 };
    int ret;

    assert_non_null(k);
    ret = ts_run(ctx, k, &call, flags, 0, NULL, out);
    if (ret == 0)
        *r = *(double *)out[0].data;
    hetero_array_free(&out[0]);
    return ret;
}

static double run_sum(const struct hetero_array *x, unsigned flags)
{
    double r = 0.0;
    int ret = try_sum(x, flags, &r);

    if (ret)
        fail_msg("sum: %s (%s)", hetero_strerror(ret),
                 hetero_context_errmsg(ctx));
    return r;
}

/* Asserts two doubles have the same bits. */
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

/*
 * Ill-conditioned (Ogita, Rump and Oishi's GenSum): the first half has
 * magnitudes up to 2^80, each element of the second half cancels most of
 * the running sum, with magnitudes falling to 1. The result is many orders
 * of magnitude below sum|x|, so its rounding depends on the order in which
 * lanes and blocks are combined; well-conditioned data come out correctly
 * rounded in any order and could not tell a wrong order from the right
 * one. Elements are made in the array's dtype.
 */
static void fill_cancel(struct hetero_array *x, uint64_t seed)
{
    const int emax = 80;
    double hi = 0.0;
    double lo = 0.0;
    size_t n = 0;
    size_t h;
    size_t i;

    assert_int_equal(hetero_array_numel(x, &n), 0);
    h = n / 2;
    for (i = 0; i < n; i++) {
        double r = ts_rand_uniform(&seed, -1.0, 1.0);
        int e = i < h ? (int)(ts_rand_u64(&seed) % (emax + 1))
                      : emax - (int)((size_t)emax * (i - h) / (n - h));
        double v = i < h ? ldexp(r, e) : ldexp(r, e) - hi;
        double t;
        double z;

        if (x->dtype == HETERO_F64) {
            ((double *)x->data)[i] = v;
        } else {
            ((float *)x->data)[i] = (float)v;
            v = (double)(float)v;
        }
        /* (hi, lo) += v, by TwoSum */
        t = hi + v;
        z = t - hi;
        lo += (hi - (t - z)) + (v - z);
        hi = t;
    }
}

/* OpenCL equals serial bitwise for every size and both fills, from a
 * library buffer (a second run hits its device mirror) and from caller
 * memory. */
static void check_sizes(enum hetero_dtype dtype)
{
    size_t s;
    int fill;

    for (s = 0; s < HETERO_ARRAY_SIZE(sizes); s++) {
        for (fill = 0; fill < 2; fill++) {
            struct hetero_array x;
            struct hetero_array plain;
            double ref;

            ts_alloc(&x, dtype, 1, &sizes[s]);
            if (fill)
                fill_cancel(&x, 7 + s);
            else
                fill_mixed(&x, 7 + s);
            ref = run_sum(&x, HETERO_PLAN_FORCE_SERIAL);
            assert_true(isfinite(ref));
            assert_same_bits(run_sum(&x, HETERO_PLAN_FORCE_OPENCL), ref);
            assert_same_bits(run_sum(&x, HETERO_PLAN_FORCE_OPENCL), ref);
            plain = x;
            plain.buffer = NULL;
            assert_same_bits(run_sum(&plain, HETERO_PLAN_FORCE_OPENCL), ref);
            hetero_array_free(&x);
        }
    }
}

static void test_sum_cl_bitwise_f64(void **state)
{
    (void)state;
    need_fp64();
    check_sizes(HETERO_F64);
}

static void test_sum_cl_bitwise_f32(void **state)
{
    (void)state;
    need_f32();
    check_sizes(HETERO_F32);
}

/*
 * Every work-item shape: 1 lane per item (what GPUs get), 2, 4, 8 and 16
 * (what CPU devices get), each against the serial bits, through the
 * variant's run() with a kernel object of that shape.
 */
static void check_lanes(enum hetero_dtype dtype, unsigned lpi)
{
    struct hetero_exec ex;
    size_t s;
    int fill;
    int ret;

    memset(&ex, 0, sizeof(ex));
    ex.ctx = ctx;
    ex.num_threads = 1;
    ex.cl = dev;
    ret = hetero__sum_cl_prepare_lanes(&ex, dtype, lpi, &ex.state);
    if (ret)
        fail_msg("prepare (%u lanes per item): %s (%s)", lpi,
                 hetero_strerror(ret), hetero_context_errmsg(ctx));
    for (s = 0; s < HETERO_ARRAY_SIZE(sizes); s++) {
        for (fill = 0; fill < 2; fill++) {
            struct hetero_array x;
            struct hetero_sum_args sa;
            double got = 0.0;

            ts_alloc(&x, dtype, 1, &sizes[s]);
            if (fill)
                fill_cancel(&x, 70 + s);
            else
                fill_mixed(&x, 70 + s);
            sa = (struct hetero_sum_args){ .dtype = dtype, .n = sizes[s],
                                           .x = x.data, .out = &got };
            ret = hetero__sum_cl(&ex, &sa);
            if (ret)
                fail_msg("run: %s (%s)", hetero_strerror(ret),
                         hetero_context_errmsg(ctx));
            assert_same_bits(got, run_sum(&x, HETERO_PLAN_FORCE_SERIAL));
            hetero_array_free(&x);
        }
    }
    hetero__sum_cl_release(ex.state);
}

static void test_sum_cl_lanes_per_item(void **state)
{
    static const unsigned lpis[] = { 1, 2, 4, 8, 16 };
    size_t i;

    (void)state;
    need_fp64();
    for (i = 0; i < HETERO_ARRAY_SIZE(lpis); i++) {
        check_lanes(HETERO_F64, lpis[i]);
        check_lanes(HETERO_F32, lpis[i]);
    }
}

/* The explicit copies of a discrete-memory GPU, exercised on this device. */
static void test_sum_cl_discrete(void **state)
{
    (void)state;
    need_fp64();
    hetero__cl_device_test_flags(dev, HETERO__CL_TEST_DISCRETE);
    check_sizes(HETERO_F64);
    if (f32_ok)
        check_sizes(HETERO_F32);
    hetero__cl_device_test_flags(dev, 0);
}

/* One plan executed again and again gives the same bits. */
static void test_sum_cl_repeatable(void **state)
{
    const hetero_kernel *k = hetero_kernel_find("sum");
    size_t n = 300007;
    struct hetero_array x;
    double r = 0.0;
    struct hetero_array out = { .dtype = HETERO_F64, .ndim = 0, .data = &r };
    struct hetero_call call = { .inputs = &x, .n_inputs = 1,
                                .outputs = &out, .n_outputs = 1 };
    hetero_plan *plan = NULL;
    double ref;
    int i;

    (void)state;
    need_fp64();
    ts_alloc(&x, HETERO_F64, 1, &n);
    fill_mixed(&x, 31);
    ref = run_sum(&x, HETERO_PLAN_FORCE_SERIAL);
    assert_int_equal(hetero_plan_create(ctx, k, &call,
                                        HETERO_PLAN_FORCE_OPENCL, &plan),
                     0);
    for (i = 0; i < 5; i++) {
        r = 0.0;
        assert_int_equal(hetero_plan_execute(plan, &call), 0);
        assert_same_bits(r, ref);
    }
    hetero_plan_destroy(plan);
    hetero_array_free(&x);
}

/* Exact answers: 1 + 2 + ... + N, and 1e16 followed by ones (compensation
 * keeps every one). */
static void test_sum_cl_exact_f64(void **state)
{
    size_t n = 1000003;
    struct hetero_array x;
    double *v;
    size_t i;

    (void)state;
    need_fp64();
    ts_alloc(&x, HETERO_F64, 1, &n);
    v = x.data;
    for (i = 0; i < n; i++)
        v[i] = (double)(i + 1);
    assert_same_bits(run_sum(&x, HETERO_PLAN_FORCE_OPENCL),
                     (double)n * (double)(n + 1) / 2.0);
    v[0] = 1e16;
    for (i = 1; i < n; i++)
        v[i] = 1.0;
    hetero_buffer_mark_host_dirty(x.buffer);
    assert_same_bits(run_sum(&x, HETERO_PLAN_FORCE_OPENCL),
                     1e16 + (double)(n - 1));
    hetero_array_free(&x);
}

/* NaN propagates; one infinity wins; both give NaN; overflow gives Inf;
 * all -0 gives the serial's +0. Placed in later blocks. */
static void test_sum_cl_special_values_f64(void **state)
{
    size_t n = 5 * HETERO_SUM_BLOCK + 3;
    struct hetero_array x;
    double *v;
    size_t i;

    (void)state;
    need_fp64();
    ts_alloc(&x, HETERO_F64, 1, &n);
    ts_fill_uniform(&x, 5, -1.0, 1.0);
    v = x.data;
    v[3 * HETERO_SUM_BLOCK + 1] = NAN;
    assert_true(isnan(run_sum(&x, HETERO_PLAN_FORCE_OPENCL)));
    v[3 * HETERO_SUM_BLOCK + 1] = INFINITY;
    hetero_buffer_mark_host_dirty(x.buffer);
    assert_same_bits(run_sum(&x, HETERO_PLAN_FORCE_OPENCL), INFINITY);
    v[n - 1] = -INFINITY;
    hetero_buffer_mark_host_dirty(x.buffer);
    assert_true(isnan(run_sum(&x, HETERO_PLAN_FORCE_OPENCL)));
    v[3 * HETERO_SUM_BLOCK + 1] = 0.0;
    hetero_buffer_mark_host_dirty(x.buffer);
    assert_same_bits(run_sum(&x, HETERO_PLAN_FORCE_OPENCL), -INFINITY);
    v[n - 1] = DBL_MAX;
    v[0] = DBL_MAX;
    hetero_buffer_mark_host_dirty(x.buffer);
    assert_same_bits(run_sum(&x, HETERO_PLAN_FORCE_OPENCL), INFINITY);
    for (i = 0; i < n; i++)
        v[i] = -0.0;
    hetero_buffer_mark_host_dirty(x.buffer);
    assert_same_bits(run_sum(&x, HETERO_PLAN_FORCE_OPENCL),
                     run_sum(&x, HETERO_PLAN_FORCE_SERIAL));
    hetero_array_free(&x);
}

/* The same for floats: 1 + ... + N exact below 2^24, NaN, -Inf, and
 * subnormals (converted exactly). */
static void test_sum_cl_special_values_f32(void **state)
{
    size_t n = 1000003;
    struct hetero_array x;
    float *f;
    size_t i;

    (void)state;
    need_f32();
    ts_alloc(&x, HETERO_F32, 1, &n);
    f = x.data;
    for (i = 0; i < n; i++)
        f[i] = (float)(i + 1);
    assert_same_bits(run_sum(&x, HETERO_PLAN_FORCE_OPENCL),
                     (double)n * (double)(n + 1) / 2.0);
    f[2 * HETERO_SUM_BLOCK + 9] = NAN;
    hetero_buffer_mark_host_dirty(x.buffer);
    assert_true(isnan(run_sum(&x, HETERO_PLAN_FORCE_OPENCL)));
    f[2 * HETERO_SUM_BLOCK + 9] = -INFINITY;
    hetero_buffer_mark_host_dirty(x.buffer);
    assert_same_bits(run_sum(&x, HETERO_PLAN_FORCE_OPENCL), -INFINITY);
    for (i = 0; i < n; i++)
        f[i] = (i % 3 ? 1.0f : -3.0f) * FLT_TRUE_MIN * (float)(i % 7 + 1);
    hetero_buffer_mark_host_dirty(x.buffer);
    assert_same_bits(run_sum(&x, HETERO_PLAN_FORCE_OPENCL),
                     run_sum(&x, HETERO_PLAN_FORCE_SERIAL));
    hetero_array_free(&x);
}

/* A device without fp64 declines both dtypes with the reason; the
 * dispatcher then runs it on the CPU with the same bits. */
static void test_sum_cl_no_fp64(void **state)
{
    size_t n = 10007;
    struct hetero_array x;
    double r = 0.0;
    double ref;
    int d;

    (void)state;
    need_cl();
    for (d = 0; d < 2; d++) {
        ts_alloc(&x, d ? HETERO_F32 : HETERO_F64, 1, &n);
        fill_mixed(&x, 17);
        ref = run_sum(&x, HETERO_PLAN_FORCE_SERIAL);
        hetero__cl_device_test_flags(dev, HETERO__CL_TEST_NO_FP64);
        assert_int_equal(try_sum(&x, HETERO_PLAN_FORCE_OPENCL, &r),
                         HETERO_ENOTSUP);
        assert_non_null(strstr(hetero_context_errmsg(ctx),
                               "device lacks fp64"));
        assert_same_bits(run_sum(&x, 0), ref);
        hetero__cl_device_test_flags(dev, 0);
        hetero_array_free(&x);
    }
}

/* The dispatcher's measured choice (OpenCL among the candidates) gives
 * the same bits. */
static void test_sum_cl_measure(void **state)
{
    size_t n = 100003;
    struct hetero_array x;

    (void)state;
    need_fp64();
    ts_alloc(&x, HETERO_F32, 1, &n);
    fill_mixed(&x, 3);
    assert_same_bits(run_sum(&x, HETERO_PLAN_MEASURE),
                     run_sum(&x, HETERO_PLAN_FORCE_SERIAL));
    hetero_array_free(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sum_cl_bitwise_f64),
        cmocka_unit_test(test_sum_cl_bitwise_f32),
        cmocka_unit_test(test_sum_cl_lanes_per_item),
        cmocka_unit_test(test_sum_cl_discrete),
        cmocka_unit_test(test_sum_cl_repeatable),
        cmocka_unit_test(test_sum_cl_exact_f64),
        cmocka_unit_test(test_sum_cl_special_values_f64),
        cmocka_unit_test(test_sum_cl_special_values_f32),
        cmocka_unit_test(test_sum_cl_no_fp64),
        cmocka_unit_test(test_sum_cl_measure),
    };
    int failed;

    unsetenv("HETERO_CL_FAULT");
    ctx = ts_context(2);
    if (hetero__cl_device_get(ctx, &dev) != 0)
        dev = NULL;
    fp64 = dev && hetero__cl_device_has_fp64(dev);
    if (fp64) {
        cl_command_queue q = hetero__cl_device_queue(dev);
        cl_device_fp_config cfg = 0;
        cl_device_id id;

        f32_ok = clGetCommandQueueInfo(q, CL_QUEUE_DEVICE, sizeof(id), &id,
                                       NULL) == CL_SUCCESS &&
                 clGetDeviceInfo(id, CL_DEVICE_SINGLE_FP_CONFIG, sizeof(cfg),
                                 &cfg, NULL) == CL_SUCCESS &&
                 (cfg & CL_FP_DENORM);
    }
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    hetero_context_destroy(ctx);
    return ts_exit_code(failed, HETERO_ARRAY_SIZE(tests));
}
