/*
 * test_autocorr_cl.c - autocorr's OpenCL variants (direct, tiled in local
 * memory; fft, through VkFFT) against the serial direct reference, f32 and
 * f64, on 1 x 1, 1 x N, N x 1, prime, non-square batched, tile-crossing
 * and 30 x 100 x 100 shapes; exact sums of integers; the device-copy path
 * of discrete devices; a device without fp64; library buffers kept on the
 * device between calls.
 *
 * Tolerance (autocorr.h, OpenCL): every element within tol * sum(a^2) of
 * that matrix, tol 1e-12 (f64) or 1e-4 (f32).
 *
 * Every test skips without an OpenCL device; if all skip, the binary exits
 * 77 (CTest: skipped). One context serves the file, and each serial
 * reference is computed once.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

#include "autocorr/autocorr.h"
#include "cl/cl_internal.h"

struct shape {
    size_t b; /* 0: a 2-D input */
    size_t n;
    size_t m;
};

static const struct shape shapes[] = {
    { 0, 1, 1 },  { 1, 1, 17 },  { 1, 19, 1 },     { 0, 7, 13 },
    { 3, 5, 12 }, { 2, 37, 70 }, { 30, 100, 100 },
};

static hetero_context *ctx;
static bool have_cl;
/* Serial/direct outputs of shapes[s] by [s][dtype is f64]. */
static struct hetero_array refs[HETERO_ARRAY_SIZE(shapes)][2];
static struct hetero_array inputs[HETERO_ARRAY_SIZE(shapes)][2];

static void need_cl(void)
{
    if (!have_cl) {
        ts_skip();
    }
}

static double tol_of(enum hetero_dtype d)
{
    return d == HETERO_F64 ? 1e-12 : 1e-4;
}

static struct hetero__cl_device *device(void)
{
    struct hetero__cl_device *dev = NULL;

    assert_int_equal(hetero__cl_device_get(ctx, &dev), 0);
    return dev;
}

static void make_input(struct hetero_array *a, enum hetero_dtype dtype,
                       const struct shape *s, uint64_t seed)
{
    size_t shape3[3] = { s->b, s->n, s->m };

    if (s->b)
        ts_alloc(a, dtype, 3, shape3);
    else
        ts_alloc(a, dtype, 2, shape3 + 1);
    ts_fill_uniform(a, seed, -1.0, 1.0);
}

static double get(const struct hetero_array *a, size_t i)
{
    return a->dtype == HETERO_F64 ? ((const double *)a->data)[i]
                                  : ((const float *)a->data)[i];
}

/* Largest sum(a^2) over the matrices: the scale of the tolerance. */
static double max_energy(const struct hetero_array *a)
{
    size_t n = 0;
    size_t per = a->shape[a->ndim - 2] * a->shape[a->ndim - 1];
    double best = 0.0;
    double acc = 0.0;
    size_t i;

    assert_int_equal(hetero_array_numel(a, &n), 0);
    for (i = 0; i < n; i++) {
        acc += get(a, i) * get(a, i);
        if ((i + 1) % per == 0) {
            best = fmax(best, acc);
            acc = 0.0;
        }
    }
    return best;
}

static int run_ac(const struct hetero_array *a, unsigned flags,
                  const char *algo, struct hetero_array *out)
{
    const hetero_kernel *k = hetero_kernel_find("autocorr");
    struct hetero_call call = { .inputs = a, .n_inputs = 1 };

    assert_non_null(k);
    return ts_run(ctx, k, &call, flags, 0, algo, out);
}

/* The input and serial/direct output of shapes[s] in dtype (kept). */
static void reference(size_t s, enum hetero_dtype dtype,
                      const struct hetero_array **a,
                      const struct hetero_array **ref)
{
    int d = dtype == HETERO_F64;

    if (!inputs[s][d].data) {
        make_input(&inputs[s][d], dtype, &shapes[s], 500 + s);
        assert_int_equal(run_ac(&inputs[s][d], HETERO_PLAN_FORCE_SERIAL,
                                "direct", &refs[s][d]),
                         0);
    }
    *a = &inputs[s][d];
    *ref = &refs[s][d];
}

static int teardown_refs(void **state)
{
    size_t s;
    int d;

    (void)state;
    for (s = 0; s < HETERO_ARRAY_SIZE(shapes); s++) {
        for (d = 0; d < 2; d++) {
            hetero_array_free(&inputs[s][d]);
            hetero_array_free(&refs[s][d]);
        }
    }
    return 0;
}

/* OpenCL/algo against ref; returns max |diff| / sum(a^2). */
static double check_against(const struct hetero_array *a,
                            const struct hetero_array *ref, const char *algo)
{
    struct hetero_array out = { 0 };
    double energy = max_energy(a);
    double max_abs;
    double max_rel;
    int ret;

    ret = run_ac(a, HETERO_PLAN_FORCE_OPENCL, algo, &out);
    if (ret)
        fail_msg("autocorr OpenCL/%s: %s: %s", algo, hetero_err_name(ret),
                 hetero_context_errmsg(ctx));
    ts_assert_close(&out, ref, 0.0, tol_of(a->dtype) * energy);
    ts_compare(&out, ref, 1.0, &max_abs, &max_rel);
    hetero_array_free(&out);
    return energy > 0.0 ? max_abs / energy : 0.0;
}

static void check_algo(enum hetero_dtype dtype, const char *algo)
{
    double worst = 0.0;
    size_t s;

    need_cl();
    for (s = 0; s < HETERO_ARRAY_SIZE(shapes); s++) {
        const struct hetero_array *a;
        const struct hetero_array *ref;

        reference(s, dtype, &a, &ref);
        worst = fmax(worst, check_against(a, ref, algo));
    }
    print_message("autocorr OpenCL/%s %s: max |cl - serial| / sum(a^2) = "
                  "%.3g\n",
                  algo, hetero_dtype_name(dtype), worst);
}

static void test_autocorr_cl_direct_f64(void **state)
{
    (void)state;
    check_algo(HETERO_F64, "direct");
}

static void test_autocorr_cl_direct_f32(void **state)
{
    (void)state;
    check_algo(HETERO_F32, "direct");
}

static void test_autocorr_cl_fft_f64(void **state)
{
    (void)state;
    check_algo(HETERO_F64, "fft");
}

static void test_autocorr_cl_fft_f32(void **state)
{
    (void)state;
    check_algo(HETERO_F32, "fft");
}

/* Small integers: every partial sum is exact in f64, so the direct
 * algorithm matches the serial one bitwise whatever its summation order,
 * and the FFT algorithm rounds to the same integers. */
static void test_autocorr_cl_integers(void **state)
{
    static const struct shape s = { 2, 23, 41 };
    struct hetero_array a;
    struct hetero_array ser = { 0 };
    struct hetero_array cl = { 0 };
    size_t n = 0;
    size_t i;

    (void)state;
    need_cl();
    make_input(&a, HETERO_F64, &s, 61);
    assert_int_equal(hetero_array_numel(&a, &n), 0);
    for (i = 0; i < n; i++)
        ((double *)a.data)[i] = floor(((double *)a.data)[i] * 4.0);
    hetero_buffer_mark_host_dirty(a.buffer);
    assert_int_equal(run_ac(&a, HETERO_PLAN_FORCE_SERIAL, "direct", &ser), 0);
    assert_int_equal(run_ac(&a, HETERO_PLAN_FORCE_OPENCL, "direct", &cl), 0);
    ts_assert_bitwise(&cl, &ser);
    hetero_array_free(&cl);
    assert_int_equal(run_ac(&a, HETERO_PLAN_FORCE_OPENCL, "fft", &cl), 0);
    assert_int_equal(hetero_array_numel(&cl, &n), 0);
    /* + 0.0: round() keeps the sign of a small negative error (-0.0). */
    for (i = 0; i < n; i++)
        ((double *)cl.data)[i] = round(((double *)cl.data)[i]) + 0.0;
    ts_assert_bitwise(&cl, &ser);
    hetero_array_free(&cl);
    hetero_array_free(&ser);
    hetero_array_free(&a);
}

/* A device without host-shared memory: explicit copies in and out. */
static void test_autocorr_cl_discrete(void **state)
{
    const struct hetero_array *a;
    const struct hetero_array *ref;

    (void)state;
    need_cl();
    reference(4, HETERO_F64, &a, &ref);
    hetero__cl_device_test_flags(device(), HETERO__CL_TEST_DISCRETE);
    check_against(a, ref, "direct");
    check_against(a, ref, "fft");
    hetero__cl_device_test_flags(device(), 0);
}

static void test_autocorr_cl_no_fp64(void **state)
{
    const struct hetero_array *a;
    const struct hetero_array *ref;
    struct hetero_array out = { 0 };

    (void)state;
    need_cl();
    reference(3, HETERO_F64, &a, &ref);
    hetero__cl_device_test_flags(device(), HETERO__CL_TEST_NO_FP64);
    assert_int_equal(run_ac(a, HETERO_PLAN_FORCE_OPENCL, "direct", &out),
                     HETERO_ENOTSUP);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "device lacks fp64"));
    hetero_array_free(&out);
    assert_int_equal(run_ac(a, HETERO_PLAN_FORCE_OPENCL, "fft", &out),
                     HETERO_ENOTSUP);
    hetero_array_free(&out);
    hetero__cl_device_test_flags(device(), 0);
    reference(3, HETERO_F32, &a, &ref);
    check_against(a, ref, "direct");
}

/* An input in a library buffer stays on the device between calls (no
 * second transfer); after the host writes it (marked dirty) it is sent
 * again and the result follows. */
static void test_autocorr_cl_mirror(void **state)
{
    static const struct shape s = { 2, 9, 14 };
    const hetero_kernel *k = hetero_kernel_find("autocorr");
    struct hetero__cl_stats st0;
    struct hetero__cl_stats st1;
    struct hetero_array a;
    struct hetero_array ser = { 0 };
    struct hetero_array out = { 0 };
    struct hetero_call call = { .n_inputs = 1 };
    hetero_plan *plan = NULL;
    int i;

    (void)state;
    need_cl();
    make_input(&a, HETERO_F64, &s, 71);
    assert_int_equal(run_ac(&a, HETERO_PLAN_FORCE_SERIAL, "direct", &ser), 0);
    ts_alloc(&out, ser.dtype, ser.ndim, ser.shape);
    call.inputs = &a;
    call.outputs = &out;
    call.n_outputs = 1;
    {
        struct hetero_plan_opts o = { .flags = HETERO_PLAN_FORCE_OPENCL,
                                      .algo = "fft" };

        assert_int_equal(hetero_plan_create_opts(ctx, k, &call, &o, &plan), 0);
    }
    for (i = 0; i < 3; i++) {
        hetero__cl_stats(ctx, &st0);
        assert_int_equal(hetero_plan_execute(plan, &call), 0);
        hetero__cl_stats(ctx, &st1);
        ts_assert_close(&out, &ser, 0.0, tol_of(HETERO_F64) * max_energy(&a));
        if (i > 0)
            assert_int_equal(st1.mirror_hits, st0.mirror_hits + 1);
    }
    ((double *)a.data)[0] += 1.0;
    hetero_buffer_mark_host_dirty(a.buffer);
    hetero_array_free(&ser);
    assert_int_equal(run_ac(&a, HETERO_PLAN_FORCE_SERIAL, "direct", &ser), 0);
    assert_int_equal(hetero_plan_execute(plan, &call), 0);
    ts_assert_close(&out, &ser, 0.0, tol_of(HETERO_F64) * max_energy(&a));
    hetero_plan_destroy(plan);
    hetero_array_free(&out);
    hetero_array_free(&ser);
    hetero_array_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_autocorr_cl_direct_f64),
        cmocka_unit_test(test_autocorr_cl_direct_f32),
        cmocka_unit_test(test_autocorr_cl_fft_f64),
        cmocka_unit_test(test_autocorr_cl_fft_f32),
        cmocka_unit_test(test_autocorr_cl_integers),
        cmocka_unit_test(test_autocorr_cl_discrete),
        cmocka_unit_test(test_autocorr_cl_no_fp64),
        cmocka_unit_test(test_autocorr_cl_mirror),
    };
    struct hetero__cl_device *dev = NULL;
    int failed;

    unsetenv("HETERO_CL_DEVICE");
    unsetenv("HETERO_CL_FAULT");
    ctx = ts_context(2);
    have_cl = hetero__cl_device_get(ctx, &dev) == 0;
    failed = cmocka_run_group_tests(tests, NULL, teardown_refs);
    hetero_context_destroy(ctx);
    return ts_exit_code(failed, HETERO_ARRAY_SIZE(tests));
}
