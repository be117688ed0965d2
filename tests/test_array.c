/*
 * test_array.c - dtypes, overflow-checked shapes, arrays, shared buffers and
 * error names.
 */
#include <stdint.h>
#include <string.h>

#include "internal.h"
#include "test_support.h"

static void test_array_dtypes(void **state)
{
    (void)state;
    assert_int_equal(hetero_dtype_size(HETERO_F32), 4);
    assert_int_equal(hetero_dtype_size(HETERO_F64), 8);
    assert_int_equal(hetero_dtype_size(HETERO_C64), 8);
    assert_int_equal(hetero_dtype_size(HETERO_C128), 16);
    assert_int_equal(hetero_dtype_size(HETERO_I32), 4);
    assert_int_equal(hetero_dtype_size(HETERO_I64), 8);
    assert_int_equal(hetero_dtype_size(HETERO_DTYPE_NONE), 0);
    assert_int_equal(hetero_dtype_size((enum hetero_dtype)99), 0);
    assert_int_equal(hetero_dtype_from_name("c128"), HETERO_C128);
    assert_int_equal(hetero_dtype_from_name("float32"), HETERO_F32);
    assert_int_equal(hetero_dtype_from_name("f16"), HETERO_DTYPE_NONE);
    assert_int_equal(hetero_dtype_from_name(NULL), HETERO_DTYPE_NONE);
    assert_string_equal(hetero_dtype_name(HETERO_I64), "i64");
    assert_string_equal(hetero_dtype_name((enum hetero_dtype)-3), "none");
    assert_true(hetero_dtype_is_complex(HETERO_C64));
    assert_false(hetero_dtype_is_complex(HETERO_F64));
}

static void test_array_shape_overflow(void **state)
{
    size_t big[3] = { (size_t)1 << 32, (size_t)1 << 32, 2 };
    size_t zero_then_big[3] = { 0, SIZE_MAX, 2 };
    size_t ok[3] = { 30, 100, 100 };
    struct hetero_array a = { .dtype = HETERO_F64, .ndim = 2,
                              .shape = { (size_t)1 << 61, 2 } };
    size_t n = 7;

    (void)state;
    assert_int_equal(hetero_shape_numel(3, ok, &n), 0);
    assert_int_equal(n, 300000);
    assert_int_equal(hetero_shape_numel(0, NULL, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(hetero_shape_numel(3, big, &n), HETERO_EINVAL);
    assert_int_equal(hetero_shape_numel(3, zero_then_big, &n), HETERO_EINVAL);
    assert_int_equal(hetero_shape_numel(-1, ok, &n), HETERO_EINVAL);
    assert_int_equal(hetero_shape_numel(HETERO_MAX_NDIM + 1, ok, &n),
                     HETERO_EINVAL);
    assert_int_equal(hetero_shape_numel(3, ok, NULL), HETERO_EINVAL);
    /* element count fits, byte count does not */
    assert_int_equal(hetero_array_numel(&a, &n), 0);
    assert_int_equal(hetero_array_nbytes(&a, &n), HETERO_EINVAL);
    a.dtype = HETERO_DTYPE_NONE;
    a.shape[0] = 1;
    assert_int_equal(hetero_array_nbytes(&a, &n), HETERO_EINVAL);
}

static void test_array_alloc_free(void **state)
{
    size_t shape[3] = { 3, 5, 7 };
    size_t huge[2] = { SIZE_MAX / 2, 4 };
    struct hetero_array a;
    struct hetero_array untouched = { .ndim = 42 };
    size_t i;

    (void)state;
    assert_int_equal(hetero_array_alloc(NULL, HETERO_C128, 3, shape, &a), 0);
    assert_non_null(a.buffer);
    assert_true(((uintptr_t)a.data % HETERO_BUFFER_ALIGN) == 0);
    for (i = 0; i < 3 * 5 * 7 * 2; i++)
        assert_true(((double *)a.data)[i] == 0.0);
    hetero_array_free(&a);
    assert_null(a.data);
    hetero_array_free(&a);   /* double free of a cleared array is a no-op */
    hetero_array_free(NULL);
    assert_int_equal(hetero_array_alloc(NULL, HETERO_F64, 2, huge, &untouched),
                     HETERO_EINVAL);
    assert_int_equal(untouched.ndim, 42);
    assert_int_equal(hetero_array_alloc(NULL, HETERO_DTYPE_NONE, 1, shape, &a),
                     HETERO_EINVAL);
    assert_int_equal(hetero_array_alloc(NULL, HETERO_F64, 1, NULL, &a),
                     HETERO_EINVAL);
    /* 0-d array: one element */
    assert_int_equal(hetero_array_alloc(NULL, HETERO_I64, 0, NULL, &a), 0);
    *(int64_t *)a.data = 5;
    hetero_array_free(&a);
}

static void test_array_alloc_fault(void **state)
{
    size_t shape[1] = { 100000 };
    struct hetero_array a;
    long k;
    int ret = -1;

    (void)state;
    for (k = 0; ret != 0; k++) {
        hetero__alloc_fail_after(k);
        ret = hetero_array_alloc(NULL, HETERO_F64, 1, shape, &a);
        if (ret)
            assert_int_equal(ret, HETERO_ENOMEM);
        assert_true(k < 10);
    }
    hetero__alloc_fault_reset();
    hetero_array_free(&a);
}

static void test_buffer_refcount_alignment(void **state)
{
    hetero_buffer *b = NULL;
    hetero_buffer *big = NULL;
    hetero_buffer *w = NULL;
    char mem[16];

    (void)state;
    assert_int_equal(hetero_buffer_create(NULL, 100, &b), 0);
    assert_int_equal(hetero_buffer_size(b), 100);
    assert_int_equal(hetero_buffer_refcount(b), 1);
    assert_ptr_equal(hetero_buffer_retain(b), b);
    assert_int_equal(hetero_buffer_refcount(b), 2);
    hetero_buffer_release(b);
    assert_int_equal(hetero_buffer_refcount(b), 1);
    hetero_buffer_release(b);
    assert_int_equal(hetero_buffer_create(NULL, 1 << 20, &big), 0);
    assert_true(((uintptr_t)hetero_buffer_data(big) % 4096) == 0);
    hetero_buffer_mark_host_dirty(big);
    hetero_buffer_release(big);
    assert_int_equal(hetero_buffer_wrap(NULL, mem, sizeof(mem), &w), 0);
    assert_ptr_equal(hetero_buffer_data(w), mem);
    hetero_buffer_release(w); /* must not free caller memory */
    assert_int_equal(hetero_buffer_create(NULL, 0, &b), HETERO_EINVAL);
    assert_int_equal(hetero_buffer_create(NULL, 8, NULL), HETERO_EINVAL);
    assert_int_equal(hetero_buffer_create(NULL, SIZE_MAX, &b), HETERO_EINVAL);
    assert_int_equal(hetero_buffer_wrap(NULL, NULL, 8, &w), HETERO_EINVAL);
    hetero_buffer_release(NULL);
    assert_null(hetero_buffer_data(NULL));
}

static void test_array_fill_uniform(void **state)
{
    size_t shape[2] = { 7, 13 };
    struct hetero_array a;
    struct hetero_array b;
    struct hetero_array c;
    size_t i;
    double lo = 1.0;
    double hi = -1.0;

    (void)state;
    ts_alloc(&a, HETERO_C128, 2, shape);
    ts_alloc(&b, HETERO_C128, 2, shape);
    ts_alloc(&c, HETERO_I32, 2, shape);
    assert_int_equal(hetero_array_fill_uniform(&a, 42), 0);
    assert_int_equal(hetero_array_fill_uniform(&b, 42), 0);
    ts_assert_bitwise(&a, &b); /* same seed, same values */
    for (i = 0; i < 2 * 7 * 13; i++) {
        double v = ((double *)a.data)[i];

        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    assert_true(lo >= -1.0 && hi < 1.0 && hi - lo > 1.5); /* spread */
    assert_int_equal(hetero_array_fill_uniform(&b, 43), 0);
    assert_memory_not_equal(a.data, b.data, 16);
    assert_int_equal(hetero_array_fill_uniform(&c, 1), 0);
    for (i = 0; i < 7 * 13; i++) {
        int32_t v = ((int32_t *)c.data)[i];

        assert_true(v >= -100 && v < 100);
    }
    assert_int_equal(hetero_array_fill_uniform(NULL, 1), HETERO_EINVAL);
    c.data = NULL;
    assert_int_equal(hetero_array_fill_uniform(&c, 1), HETERO_EINVAL);
    c.data = hetero_buffer_data(c.buffer);
    hetero_array_free(&a);
    hetero_array_free(&b);
    hetero_array_free(&c);
}

static void test_array_shape_parse(void **state)
{
    static const char *const bad[] = {
        "", "x", "0", "3x0", "10x", "10y3", "-5", "1x2x3x4x5x6x7x8x9",
        "99999999999999999999999", " 3",
    };
    size_t shape[HETERO_MAX_NDIM];
    int nd = 0;
    size_t i;

    (void)state;
    assert_int_equal(hetero_shape_parse("30x100x100", &nd, shape), 0);
    assert_int_equal(nd, 3);
    assert_true(shape[0] == 30 && shape[1] == 100 && shape[2] == 100);
    assert_int_equal(hetero_shape_parse("7,13", &nd, shape), 0);
    assert_true(nd == 2 && shape[0] == 7 && shape[1] == 13);
    assert_int_equal(hetero_shape_parse("1X1", &nd, shape), 0);
    for (i = 0; i < HETERO_ARRAY_SIZE(bad); i++) {
        assert_int_equal(hetero_shape_parse(bad[i], &nd, shape),
                         HETERO_EINVAL);
        assert_true(hetero_context_errmsg(NULL)[0] != '\0');
    }
    assert_int_equal(hetero_shape_parse(NULL, &nd, shape), HETERO_EINVAL);
}

static void test_error_names(void **state)
{
    (void)state;
    assert_int_equal(HETERO_EINVAL, -EINVAL);
    assert_true(HETERO_ECL < -4000 && HETERO_EBUILD < -4000);
    assert_string_equal(hetero_err_name(HETERO_EINVAL), "HETERO_EINVAL");
    assert_string_equal(hetero_err_name(HETERO_ECALIB), "HETERO_ECALIB");
    assert_string_equal(hetero_err_name(12345), "HETERO_UNKNOWN");
    assert_string_equal(hetero_strerror(HETERO_ENOMEM), "out of memory");
    assert_string_equal(hetero_strerror(0), "success");
    assert_string_equal(hetero_strerror(-99999), "unknown error");
}

static void test_error_detail_per_thread_and_context(void **state)
{
    hetero_context *a = ts_context(1);
    hetero_context *b = ts_context(1);

    (void)state;
    assert_int_equal(hetero__errf(a, HETERO_EIO, "disk %d", 7), HETERO_EIO);
    assert_string_equal(hetero_context_errmsg(a), "disk 7");
    assert_string_equal(hetero_context_errmsg(b), "");
    hetero_context_destroy(a);
    hetero_context_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_array_dtypes),
        cmocka_unit_test(test_array_shape_overflow),
        cmocka_unit_test(test_array_alloc_free),
        cmocka_unit_test(test_array_alloc_fault),
        cmocka_unit_test(test_buffer_refcount_alignment),
        cmocka_unit_test(test_array_fill_uniform),
        cmocka_unit_test(test_array_shape_parse),
        cmocka_unit_test(test_error_names),
        cmocka_unit_test(test_error_detail_per_thread_and_context),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
