/*
 * test_rbf.c - rbf: every variant against the serial reference (bitwise)
 * and against a plain double loop (within the header's tolerance), scipy
 * fixtures, hand-computed values, symmetry, NaN/Inf, bad arguments.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "rbf/rbf.h"
#include "test_support.h"

#define FIXTURES HETERO_SOURCE_DIR "/tests/fixtures/rbf/"

#define RTOL_F64 1e-12
#define RTOL_F32 1e-6

/* (N, d): one point, one coordinate, primes, d = 2 and 3 (unrolled paths)
 * and others (general path), N not a multiple of the 16-row block nor of
 * the thread counts, a general-d case longer than the 512-wide tile. */
static const size_t shapes[][2] = {
    { 1, 1 },  { 1, 5 },   { 17, 1 },  { 13, 3 }, { 31, 2 }, { 7, 11 },
    { 16, 3 }, { 100, 4 }, { 257, 3 }, { 97, 2 }, { 700, 20 },
};

static double at(const struct hetero_array *a, size_t i)
{
    if (a->dtype == HETERO_F32)
        return ((const float *)a->data)[i];
    return ((const double *)a->data)[i];
}

/* The plain definition, in double, into `ref` (dtype of the points). */
static void ref_rbf(const struct hetero_array *p, struct hetero_array *ref)
{
    size_t n = p->shape[0];
    size_t d = p->shape[1];
    size_t shape[2] = { n, n };
    size_t i;
    size_t j;
    size_t k;

    ts_alloc(ref, p->dtype, 2, shape);
    for (i = 0; i < n; i++) {
        for (j = 0; j < n; j++) {
            double s = 0.0;
            double r;
            double v;

            for (k = 0; k < d; k++) {
                double t = at(p, i * d + k) - at(p, j * d + k);

                s += t * t;
            }
            r = sqrt(s);
            v = r * r * r / 12.0 + r * r / 6.0;
            if (p->dtype == HETERO_F32)
                ((float *)ref->data)[i * n + j] = (float)v;
            else
                ((double *)ref->data)[i * n + j] = v;
        }
    }
}

static double rtol_of(enum hetero_dtype dtype)
{
    return dtype == HETERO_F32 ? RTOL_F32 : RTOL_F64;
}

/* D is exactly symmetric. */
static void assert_symmetric(const struct hetero_array *D)
{
    size_t n = D->shape[0];
    size_t i;
    size_t j;

    for (i = 0; i < n; i++) {
        for (j = 0; j < i; j++) {
            double x = at(D, i * n + j);
            double y = at(D, j * n + i);

            if (!(x == y || (isnan(x) && isnan(y))))
                fail_msg("D[%zu][%zu] = %.17g but D[%zu][%zu] = %.17g", i,
                         j, x, j, i, y);
        }
    }
}

static void run_one(hetero_context *ctx, const struct hetero_array *p,
                    unsigned flags, size_t threads, struct hetero_array *out)
{
    const hetero_kernel *k = hetero_kernel_find("rbf");
    struct hetero_call call = { .inputs = p, .n_inputs = 1 };

    assert_non_null(k);
    assert_int_equal(ts_run(ctx, k, &call, flags, threads, NULL, out), 0);
}

/* Variant `flags`/`threads` on seeded uniform points of every shape:
 * bitwise equal to the serial variant, within tolerance of the plain loop,
 * diagonal 0. */
static void check_variant(enum hetero_dtype dtype, unsigned flags,
                          size_t threads)
{
    hetero_context *ctx = ts_context(3);
    size_t s;

    for (s = 0; s < HETERO_ARRAY_SIZE(shapes); s++) {
        struct hetero_array p;
        struct hetero_array out = { 0 };
        struct hetero_array ser = { 0 };
        struct hetero_array ref;
        size_t i;

        ts_alloc(&p, dtype, 2, shapes[s]);
        ts_fill_uniform(&p, 11 + s, -2.0, 2.0);
        run_one(ctx, &p, flags, threads, &out);
        run_one(ctx, &p, HETERO_PLAN_FORCE_SERIAL, 0, &ser);
        ts_assert_bitwise(&out, &ser);
        ref_rbf(&p, &ref);
        ts_assert_close(&out, &ref, rtol_of(dtype), 0.0);
        for (i = 0; i < shapes[s][0]; i++)
            assert_true(at(&out, i * shapes[s][0] + i) == 0.0);
        hetero_array_free(&ref);
        hetero_array_free(&ser);
        hetero_array_free(&out);
        hetero_array_free(&p);
    }
    hetero_context_destroy(ctx);
}

static void test_rbf_serial_f64(void **state)
{
    (void)state;
    check_variant(HETERO_F64, HETERO_PLAN_FORCE_SERIAL, 0);
}

static void test_rbf_serial_f32(void **state)
{
    (void)state;
    check_variant(HETERO_F32, HETERO_PLAN_FORCE_SERIAL, 0);
}

static void test_rbf_pool_f64(void **state)
{
    (void)state;
    check_variant(HETERO_F64, HETERO_PLAN_FORCE_POOL, 1);
    check_variant(HETERO_F64, HETERO_PLAN_FORCE_POOL, 2);
    check_variant(HETERO_F64, HETERO_PLAN_FORCE_POOL, 3);
    check_variant(HETERO_F64, HETERO_PLAN_FORCE_POOL, 0);
}

static void test_rbf_pool_f32(void **state)
{
    (void)state;
    check_variant(HETERO_F32, HETERO_PLAN_FORCE_POOL, 1);
    check_variant(HETERO_F32, HETERO_PLAN_FORCE_POOL, 2);
    check_variant(HETERO_F32, HETERO_PLAN_FORCE_POOL, 3);
    check_variant(HETERO_F32, HETERO_PLAN_FORCE_POOL, 0);
}

static void test_rbf_auto(void **state)
{
    (void)state;
    check_variant(HETERO_F64, HETERO_PLAN_ESTIMATE, 0);
}

/* The seed workload, 3000 points in 3-d: pool (2 threads and default)
 * bitwise equal to serial, symmetric; a sample of rows against the plain
 * definition. */
static void test_rbf_seed_workload(void **state)
{
    hetero_context *ctx = ts_context(3);
    size_t shape[2] = { 3000, 3 };
    size_t n = shape[0];
    struct hetero_array p;
    struct hetero_array out = { 0 };
    struct hetero_array ser = { 0 };
    size_t i;
    size_t j;

    (void)state;
    ts_alloc(&p, HETERO_F64, 2, shape);
    ts_fill_uniform(&p, 42, -1.0, 1.0);
    run_one(ctx, &p, HETERO_PLAN_FORCE_SERIAL, 0, &ser);
    run_one(ctx, &p, HETERO_PLAN_FORCE_POOL, 2, &out);
    ts_assert_bitwise(&out, &ser);
    hetero_array_free(&out);
    run_one(ctx, &p, HETERO_PLAN_FORCE_POOL, 0, &out);
    ts_assert_bitwise(&out, &ser);
    assert_symmetric(&out);
    for (i = 0; i < n; i += 97) {
        for (j = 0; j < n; j++) {
            const double *v = p.data;
            double dx = v[3 * i] - v[3 * j];
            double dy = v[3 * i + 1] - v[3 * j + 1];
            double dz = v[3 * i + 2] - v[3 * j + 2];
            double r = sqrt(dx * dx + dy * dy + dz * dz);
            double want = r * r * r / 12.0 + r * r / 6.0;
            double got = ((const double *)out.data)[i * n + j];

            assert_true(fabs(got - want) <= RTOL_F64 * want);
        }
    }
    hetero_array_free(&out);
    hetero_array_free(&ser);
    hetero_array_free(&p);
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

/* Serial and pool on fixture pts_<name> against D_<name> (scipy). */
static void check_fixture(hetero_context *ctx, const char *name)
{
    char path[1024];
    struct hetero_array p;
    struct hetero_array want;
    struct hetero_array out = { 0 };
    unsigned flags[2] = { HETERO_PLAN_FORCE_SERIAL, HETERO_PLAN_FORCE_POOL };
    size_t f;

    snprintf(path, sizeof(path), FIXTURES "pts_%s.npy", name);
    read_fixture(ctx, path, &p);
    snprintf(path, sizeof(path), FIXTURES "D_%s.npy", name);
    read_fixture(ctx, path, &want);
    for (f = 0; f < 2; f++) {
        run_one(ctx, &p, flags[f], 0, &out);
        ts_assert_close(&out, &want, rtol_of(p.dtype), 0.0);
        assert_symmetric(&out);
        hetero_array_free(&out);
    }
    hetero_array_free(&want);
    hetero_array_free(&p);
}

static void test_rbf_fixtures(void **state)
{
    hetero_context *ctx = ts_context(2);

    (void)state;
    check_fixture(ctx, "d3_f64");
    check_fixture(ctx, "d2_f64");
    check_fixture(ctx, "d1_f64");
    check_fixture(ctx, "d7_f64");
    /* close points far from the origin: the difference form keeps 1e-12 */
    check_fixture(ctx, "close_f64");
    check_fixture(ctx, "dup_f64");
    check_fixture(ctx, "d3_f32");
    hetero_context_destroy(ctx);
}

static void test_rbf_hand_computed(void **state)
{
    hetero_context *ctx = ts_context(2);
    /* (0, 0), (3, 4), (0, 4): r = 5, 4, 3 */
    const double p2[6] = { 0, 0, 3, 4, 0, 4 };
    const double f5 = 125.0 / 12.0 + 25.0 / 6.0; /* 14.583333... */
    const double f4 = 64.0 / 12.0 + 16.0 / 6.0;  /* 8 */
    const double f3 = 27.0 / 12.0 + 9.0 / 6.0;   /* 3.75 */
    /* 1-d points 0, 1, 2: f(1) = 1/4, f(2) = 4/3 */
    const float p1[3] = { 0.0f, 1.0f, 2.0f };
    double D[9];
    float Df[9];

    (void)state;
    assert_int_equal(hetero_rbf(ctx, p2, 3, 2, D), 0);
    assert_true(D[0] == 0 && D[4] == 0 && D[8] == 0);
    assert_true(fabs(D[1] - f5) <= RTOL_F64 * f5 && D[3] == D[1]);
    assert_true(fabs(D[2] - f4) <= RTOL_F64 * f4 && D[6] == D[2]);
    assert_true(fabs(D[5] - f3) <= RTOL_F64 * f3 && D[7] == D[5]);
    assert_int_equal(hetero_rbf_f32(ctx, p1, 3, 1, Df), 0);
    assert_true(Df[0] == 0.0f && Df[1] == 0.25f && Df[3] == 0.25f);
    assert_true(fabsf(Df[2] - 4.0f / 3.0f) <= 1e-6f && Df[6] == Df[2]);
    hetero_context_destroy(ctx);
}

/* A NaN point poisons its row and column only (its diagonal too, as
 * cdist); an infinite one gives Inf, and NaN on its diagonal. */
static void test_rbf_nan_inf(void **state)
{
    hetero_context *ctx = ts_context(2);
    double p[5 * 3] = {
        0, 0, 0, 1, NAN, 0, 0, 1, 0, INFINITY, 0, 0, 0, 0, 1,
    };
    size_t n = 5;
    double D[25];
    double Ds[25];
    size_t i;
    size_t j;

    (void)state;
    assert_int_equal(hetero_rbf(ctx, p, n, 3, D), 0);
    {
        const hetero_kernel *k = hetero_kernel_find("rbf");
        struct hetero_array arr[2] = {
            { .dtype = HETERO_F64, .ndim = 2, .shape = { 5, 3 }, .data = p },
            { .dtype = HETERO_F64, .ndim = 2, .shape = { 5, 5 }, .data = Ds },
        };
        struct hetero_call call = { .inputs = arr, .n_inputs = 1,
                                    .outputs = &arr[1], .n_outputs = 1 };

        assert_int_equal(hetero_run(ctx, k, &call, HETERO_PLAN_FORCE_SERIAL),
                         0);
    }
    assert_memory_equal(D, Ds, sizeof(D));
    for (i = 0; i < n; i++) {
        for (j = 0; j < n; j++) {
            double v = D[i * n + j];

            if (i == 1 || j == 1)
                assert_true(isnan(v));
            else if (i == 3 && j == 3)
                assert_true(isnan(v));
            else if (i == 3 || j == 3)
                assert_true(isinf(v) && v > 0);
            else
                assert_true(isfinite(v));
        }
    }
    /* (0, 1, 0) to (0, 0, 1): r = sqrt(2), f = 2 sqrt(2) / 12 + 2 / 6 */
    assert_true(fabs(D[2 * n + 4] - (sqrt(8.0) / 12.0 + 1.0 / 3.0)) <=
                RTOL_F64 * D[2 * n + 4]);
    hetero_context_destroy(ctx);
}

static void test_rbf_typed(void **state)
{
    hetero_context *ctx = ts_context(0);
    const double p[2] = { 1.0, 3.0 };
    double D[4] = { 0 };

    (void)state;
    assert_int_equal(hetero_rbf(ctx, p, 2, 1, D), 0);
    /* r = 2: f = 8 / 12 + 4 / 6 = 4 / 3 */
    assert_true(fabs(D[1] - 4.0 / 3.0) <= RTOL_F64 * 4.0 / 3.0);
    assert_true(D[0] == 0.0 && D[3] == 0.0 && D[2] == D[1]);
    assert_int_equal(hetero_rbf(NULL, p, 2, 1, D), HETERO_EINVAL);
    assert_int_equal(hetero_rbf(ctx, NULL, 2, 1, D), HETERO_EINVAL);
    assert_int_equal(hetero_rbf(ctx, p, 2, 1, NULL), HETERO_EINVAL);
    assert_int_equal(hetero_rbf(ctx, p, 0, 1, D), HETERO_EINVAL);
    assert_int_equal(hetero_rbf(ctx, p, 2, 0, D), HETERO_EINVAL);
    assert_int_equal(hetero_rbf_f32(ctx, NULL, 2, 1, NULL), HETERO_EINVAL);
    hetero_context_destroy(ctx);
}

/* A failed allocation (the plan, the scratch) gives HETERO_ENOMEM and
 * leaks nothing. */
static void test_rbf_alloc_fault(void **state)
{
    hetero_context *ctx = ts_context(3);
    const hetero_kernel *k = hetero_kernel_find("rbf");
    size_t shape[2] = { 50, 3 };
    size_t oshape[2] = { 50, 50 };
    unsigned flags[2] = { HETERO_PLAN_FORCE_SERIAL, HETERO_PLAN_FORCE_POOL };
    struct hetero_array arr[2];
    struct hetero_call call = { .inputs = &arr[0], .n_inputs = 1,
                                .outputs = &arr[1], .n_outputs = 1 };
    size_t f;

    (void)state;
    ts_alloc(&arr[0], HETERO_F64, 2, shape);
    ts_alloc(&arr[1], HETERO_F64, 2, oshape);
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
    const hetero_kernel *k = hetero_kernel_find("rbf");
    struct hetero_array out[1] = { { 0 } };

    assert_int_equal(ts_run(ctx, k, call, 0, 0, NULL, out), HETERO_EINVAL);
    if (!strstr(hetero_context_errmsg(ctx), needle))
        fail_msg("errmsg '%s' lacks '%s'", hetero_context_errmsg(ctx),
                 needle);
    hetero_array_free(&out[0]);
}

static void test_rbf_bad_args(void **state)
{
    hetero_context *ctx = ts_context(0);
    const hetero_kernel *k = hetero_kernel_find("rbf");
    double buf[4 * 3] = { 0 };
    double dbuf[5 * 5] = { 0 };
    struct hetero_array in[1] = {
        { .dtype = HETERO_F64, .ndim = 2, .shape = { 4, 3 }, .data = buf },
    };
    struct hetero_array out[1] = {
        { .dtype = HETERO_F64, .ndim = 2, .shape = { 4, 4 }, .data = dbuf },
    };
    struct hetero_param bogus = { "metric", "l1" };
    struct hetero_call call = { .inputs = in, .n_inputs = 1 };
    struct hetero_array specs[1];

    (void)state;
    /* no points, zero dimension */
    in[0].shape[0] = 0;
    expect_einval(ctx, &call, "zero dimension");
    in[0].shape[0] = 4;
    in[0].shape[1] = 0;
    expect_einval(ctx, &call, "zero dimension");
    in[0].shape[1] = 3;
    /* wrong ndim */
    in[0].ndim = 1;
    expect_einval(ctx, &call, "[N, d]");
    in[0].ndim = 3;
    in[0].shape[2] = 1;
    expect_einval(ctx, &call, "[N, d]");
    in[0].ndim = 2;
    /* unsupported dtype */
    in[0].dtype = HETERO_C64;
    expect_einval(ctx, &call, "dtype");
    in[0].dtype = HETERO_I64;
    expect_einval(ctx, &call, "dtype");
    in[0].dtype = HETERO_F64;
    /* an N x N output that overflows */
    in[0].shape[0] = (size_t)1 << 33;
    in[0].shape[1] = 1;
    expect_einval(ctx, &call, "overflows");
    in[0].shape[0] = 4;
    in[0].shape[1] = 3;
    /* unknown parameter */
    call.params = &bogus;
    call.n_params = 1;
    expect_einval(ctx, &call, "metric");
    call.params = NULL;
    call.n_params = 0;
    /* outputs: right, then wrong shape and dtype */
    call.outputs = out;
    call.n_outputs = 1;
    assert_int_equal(hetero_run(ctx, k, &call, 0), 0);
    out[0].shape[1] = 5;
    assert_int_equal(hetero_run(ctx, k, &call, 0), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "[4, 4]"));
    out[0].shape[1] = 4;
    out[0].ndim = 1;
    assert_int_equal(hetero_run(ctx, k, &call, 0), HETERO_EINVAL);
    out[0].ndim = 2;
    out[0].dtype = HETERO_F32;
    assert_int_equal(hetero_run(ctx, k, &call, 0), HETERO_EINVAL);
    /* shapes from the CLI */
    assert_int_equal(hetero_kernel_input_specs(ctx, k, 1, (size_t[]){ 9 },
                                               HETERO_F64, specs),
                     HETERO_EINVAL);
    assert_int_equal(hetero_kernel_input_specs(ctx, k, 2,
                                               (size_t[]){ 9, 2 },
                                               HETERO_C128, specs),
                     HETERO_EINVAL);
    assert_int_equal(hetero_kernel_input_specs(ctx, k, 2,
                                               (size_t[]){ 9, 2 },
                                               HETERO_F32, specs),
                     0);
    hetero_context_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rbf_serial_f64),
        cmocka_unit_test(test_rbf_serial_f32),
        cmocka_unit_test(test_rbf_pool_f64),
        cmocka_unit_test(test_rbf_pool_f32),
        cmocka_unit_test(test_rbf_auto),
        cmocka_unit_test(test_rbf_seed_workload),
        cmocka_unit_test(test_rbf_fixtures),
        cmocka_unit_test(test_rbf_hand_computed),
        cmocka_unit_test(test_rbf_nan_inf),
        cmocka_unit_test(test_rbf_typed),
        cmocka_unit_test(test_rbf_alloc_fault),
        cmocka_unit_test(test_rbf_bad_args),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
