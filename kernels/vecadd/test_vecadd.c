/*
 * test_vecadd.c - vecadd: every variant against a plain loop, bad arguments.
 */
#include <math.h>
#include <string.h>

#include "test_support.h"
#include "vecadd/vecadd.h"

static const size_t sizes[] = { 1, 2, 7, 13, 1000, 16385, 1000003 };

static void check_variant(enum hetero_dtype dtype, unsigned flags,
                          size_t threads)
{
    hetero_context *ctx = ts_context(0);
    const hetero_kernel *k = hetero_kernel_find("vecadd");
    size_t s;

    assert_non_null(k);
    for (s = 0; s < HETERO_ARRAY_SIZE(sizes); s++) {
        struct hetero_array in[2];
        struct hetero_array out[1] = { { 0 } };
        struct hetero_array expect;
        struct hetero_call call = { .inputs = in, .n_inputs = 2 };
        size_t i;

        ts_alloc(&in[0], dtype, 1, &sizes[s]);
        ts_alloc(&in[1], dtype, 1, &sizes[s]);
        ts_alloc(&expect, dtype, 1, &sizes[s]);
        ts_fill_uniform(&in[0], 1 + s, -1e3, 1e3);
        ts_fill_uniform(&in[1], 100 + s, -1.0, 1.0);
        for (i = 0; i < sizes[s]; i++) {
            if (dtype == HETERO_F64)
                ((double *)expect.data)[i] = ((double *)in[0].data)[i] +
                                             ((double *)in[1].data)[i];
            else
                ((float *)expect.data)[i] = ((float *)in[0].data)[i] +
                                            ((float *)in[1].data)[i];
        }
        assert_int_equal(ts_run(ctx, k, &call, flags, threads, NULL, out), 0);
        ts_assert_bitwise(&out[0], &expect);
        hetero_array_free(&out[0]);
        hetero_array_free(&expect);
        hetero_array_free(&in[0]);
        hetero_array_free(&in[1]);
    }
    hetero_context_destroy(ctx);
}

static void test_vecadd_serial_f64(void **state)
{
    (void)state;
    check_variant(HETERO_F64, HETERO_PLAN_FORCE_SERIAL, 0);
}

static void test_vecadd_serial_f32(void **state)
{
    (void)state;
    check_variant(HETERO_F32, HETERO_PLAN_FORCE_SERIAL, 0);
}

static void test_vecadd_pool_f64(void **state)
{
    (void)state;
    check_variant(HETERO_F64, HETERO_PLAN_FORCE_POOL, 0);
    check_variant(HETERO_F64, HETERO_PLAN_FORCE_POOL, 1);
}

static void test_vecadd_pool_f32(void **state)
{
    (void)state;
    check_variant(HETERO_F32, HETERO_PLAN_FORCE_POOL, 0);
}

static void test_vecadd_auto(void **state)
{
    (void)state;
    check_variant(HETERO_F64, HETERO_PLAN_ESTIMATE, 0);
    check_variant(HETERO_F64, HETERO_PLAN_MEASURE, 0);
}

static void test_vecadd_typed(void **state)
{
    hetero_context *ctx = ts_context(0);
    double a[5] = { 1, 2, 3, 4, 5 };
    double b[5] = { 10, 20, 30, 40, NAN };
    double c[5];
    float af[3] = { 1.5f, 2.5f, -1.0f };
    float cf[3];

    (void)state;
    assert_int_equal(hetero_vecadd(ctx, a, b, c, 5), 0);
    assert_true(c[0] == 11 && c[3] == 44 && isnan(c[4]));
    assert_int_equal(hetero_vecadd_f32(ctx, af, af, cf, 3), 0);
    assert_true(cf[0] == 3.0f && cf[2] == -2.0f);
    assert_int_equal(hetero_vecadd(ctx, NULL, b, c, 5), HETERO_EINVAL);
    assert_int_equal(hetero_vecadd(ctx, a, b, c, 0), HETERO_EINVAL);
    assert_int_equal(hetero_vecadd(NULL, a, b, c, 5), HETERO_EINVAL);
    hetero_context_destroy(ctx);
}

static void test_vecadd_bad_args(void **state)
{
    hetero_context *ctx = ts_context(0);
    const hetero_kernel *k = hetero_kernel_find("vecadd");
    size_t n5 = 5;
    size_t n4 = 4;
    double buf[5] = { 0 };
    struct hetero_array in[2] = {
        { .dtype = HETERO_F64, .ndim = 1, .shape = { 5 }, .data = buf },
        { .dtype = HETERO_F64, .ndim = 1, .shape = { 5 }, .data = buf },
    };
    struct hetero_array out[1];
    struct hetero_param bogus = { "nosuch", "1" };
    struct hetero_call call = { .inputs = in, .n_inputs = 2 };

    (void)state;
    (void)n5;
    /* shape mismatch */
    in[1].shape[0] = n4;
    assert_int_equal(ts_run(ctx, k, &call, 0, 0, NULL, out), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "differ"));
    in[1].shape[0] = 5;
    /* dtype mismatch and unsupported dtype */
    in[1].dtype = HETERO_F32;
    assert_int_equal(ts_run(ctx, k, &call, 0, 0, NULL, out), HETERO_EINVAL);
    in[0].dtype = in[1].dtype = HETERO_C128;
    assert_int_equal(ts_run(ctx, k, &call, 0, 0, NULL, out), HETERO_EINVAL);
    in[0].dtype = in[1].dtype = HETERO_F64;
    /* zero size, too many dims, overflowing shape */
    in[0].shape[0] = in[1].shape[0] = 0;
    assert_int_equal(ts_run(ctx, k, &call, 0, 0, NULL, out), HETERO_EINVAL);
    in[0].ndim = in[1].ndim = 2;
    in[0].shape[0] = in[1].shape[0] = (size_t)1 << 40;
    in[0].shape[1] = in[1].shape[1] = (size_t)1 << 40;
    assert_int_equal(ts_run(ctx, k, &call, 0, 0, NULL, out), HETERO_EINVAL);
    in[0].ndim = in[1].ndim = 1;
    in[0].shape[0] = in[1].shape[0] = 5;
    /* wrong input count, unknown parameter */
    call.n_inputs = 1;
    assert_int_equal(ts_run(ctx, k, &call, 0, 0, NULL, out), HETERO_EINVAL);
    call.n_inputs = 2;
    call.params = &bogus;
    call.n_params = 1;
    assert_int_equal(ts_run(ctx, k, &call, 0, 0, NULL, out), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "nosuch"));
    hetero_context_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vecadd_serial_f64),
        cmocka_unit_test(test_vecadd_serial_f32),
        cmocka_unit_test(test_vecadd_pool_f64),
        cmocka_unit_test(test_vecadd_pool_f32),
        cmocka_unit_test(test_vecadd_auto),
        cmocka_unit_test(test_vecadd_typed),
        cmocka_unit_test(test_vecadd_bad_args),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
