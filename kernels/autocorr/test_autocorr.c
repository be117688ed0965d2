/*
 * test_autocorr.c - autocorr: the four variants (serial/pool x direct/fft)
 * against the formula and scipy fixtures, every pool thread count, exact
 * integers from the FFT, symmetry, work estimates, NaN, concurrent
 * execution of one plan, and bad arguments.
 *
 * Tolerance (autocorr.h): |out - exact| <= tol * sum(a^2) per matrix, tol
 * 1e-13 (f64) or 1e-5 (f32), for both algorithms.
 */
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

#include "autocorr/autocorr.h"
#include "autocorr/autocorr_impl.h"
#include "internal.h"

struct shape {
    size_t b; /* 0: a 2-D input */
    size_t n;
    size_t m;
};

/* The formula costs n^2 m^2 per matrix: used as the reference up to this
 * many elements per matrix, serial/direct beyond. */
#define NAIVE_MAX_NM 4096

/* 1x1, 1xN, Nx1, primes (2-D input), non-square, the seed workload, one
 * larger matrix. */
static const struct shape shapes[] = {
    { 1, 1, 1 },   { 1, 1, 17 },  { 1, 19, 1 },     { 0, 7, 13 },
    { 4, 12, 20 }, { 2, 40, 70 }, { 30, 100, 100 }, { 1, 160, 170 },
};

static double tol_of(enum hetero_dtype d)
{
    return d == HETERO_F64 ? 1e-13 : 1e-5;
}

static double get(const struct hetero_array *a, size_t i)
{
    return a->dtype == HETERO_F64 ? ((const double *)a->data)[i]
                                  : ((const float *)a->data)[i];
}

static void put(struct hetero_array *a, size_t i, double v)
{
    if (a->dtype == HETERO_F64)
        ((double *)a->data)[i] = v;
    else
        ((float *)a->data)[i] = (float)v;
}

static void dims(const struct hetero_array *a, size_t *b, size_t *n, size_t *m)
{
    *b = a->ndim == 3 ? a->shape[0] : 1;
    *n = a->shape[a->ndim - 2];
    *m = a->shape[a->ndim - 1];
}

static void out_shape(const struct hetero_array *a, size_t *shape)
{
    size_t b;
    size_t n;
    size_t m;

    dims(a, &b, &n, &m);
    if (a->ndim == 3)
        shape[0] = b;
    shape[a->ndim - 2] = 2 * n - 1;
    shape[a->ndim - 1] = 2 * m - 1;
}

/* Largest sum(a^2) (= out at the centre) over the matrices of a. */
static double max_energy(const struct hetero_array *a)
{
    size_t b;
    size_t n;
    size_t m;
    size_t k;
    size_t i;
    double best = 0.0;

    dims(a, &b, &n, &m);
    for (k = 0; k < b; k++) {
        double s = 0.0;

        for (i = k * n * m; i < (k + 1) * n * m; i++)
            s += get(a, i) * get(a, i);
        if (s > best)
            best = s;
    }
    return best;
}

/* The formula of autocorr.h, in double. */
static void autocorr_ref(const struct hetero_array *a, struct hetero_array *out)
{
    size_t b;
    size_t n;
    size_t m;
    size_t shape[3];
    size_t k;
    long i;
    long j;

    dims(a, &b, &n, &m);
    out_shape(a, shape);
    ts_alloc(out, a->dtype, a->ndim, shape);
    for (k = 0; k < b; k++) {
        size_t ain = k * n * m;
        size_t aout = k * (2 * n - 1) * (2 * m - 1);

        for (i = 0; i < (long)(2 * n - 1); i++) {
            for (j = 0; j < (long)(2 * m - 1); j++) {
                long di = i - (long)(n - 1);
                long dj = j - (long)(m - 1);
                double s = 0.0;
                long r;
                long c;

                for (r = 0; r < (long)n; r++) {
                    if (r + di < 0 || r + di >= (long)n)
                        continue;
                    for (c = 0; c < (long)m; c++) {
                        if (c + dj < 0 || c + dj >= (long)m)
                            continue;
                        s += get(a, ain + (size_t)r * m + (size_t)c) *
                             get(a,
                                 ain + (size_t)(r + di) * m + (size_t)(c + dj));
                    }
                }
                put(out, aout + (size_t)i * (2 * m - 1) + (size_t)j, s);
            }
        }
    }
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

static int run_ac(hetero_context *ctx, const struct hetero_array *a,
                  unsigned flags, size_t threads, const char *algo,
                  struct hetero_array *out)
{
    const hetero_kernel *k = hetero_kernel_find("autocorr");
    struct hetero_call call = { .inputs = a, .n_inputs = 1 };

    assert_non_null(k);
    return ts_run(ctx, k, &call, flags, threads, algo, out);
}

/*
 * The reference output for shapes[s]: the formula for small matrices, else
 * serial/direct (itself checked against the formula on the small shapes
 * and against scipy). The serial/direct ones are the slowest runs of this
 * file (seconds under ASan), so each is computed once and kept, in arrays
 * of no context, until the group teardown.
 */
static struct hetero_array kept_ref[HETERO_ARRAY_SIZE(shapes)][2];

static int teardown_kept(void **state)
{
    size_t s;

    (void)state;
    for (s = 0; s < HETERO_ARRAY_SIZE(shapes); s++) {
        hetero_array_free(&kept_ref[s][0]);
        hetero_array_free(&kept_ref[s][1]);
    }
    return 0;
}

static void copy_array(const struct hetero_array *from, struct hetero_array *to)
{
    size_t bytes = 0;

    ts_alloc(to, from->dtype, from->ndim, from->shape);
    assert_int_equal(hetero_array_nbytes(from, &bytes), 0);
    memcpy(to->data, from->data, bytes);
}

/* Fills *ref; returns true if it is the serial/direct output. */
static bool reference(hetero_context *ctx, const struct hetero_array *a,
                      size_t s, struct hetero_array *ref)
{
    struct hetero_array *kept = &kept_ref[s][a->dtype == HETERO_F64];
    struct hetero_array run = { 0 };

    if (shapes[s].n * shapes[s].m <= NAIVE_MAX_NM) {
        autocorr_ref(a, ref);
        return false;
    }
    if (!kept->data) {
        assert_int_equal(
            run_ac(ctx, a, HETERO_PLAN_FORCE_SERIAL, 0, "direct", &run), 0);
        copy_array(&run, kept);
        hetero_array_free(&run);
    }
    copy_array(kept, ref);
    return true;
}

/* serial/algo against the reference, then pool/algo on 1, 2, 3 threads
 * and the default against it too. */
static void check_variants(enum hetero_dtype dtype, const char *algo)
{
    static const size_t threads[] = { 1, 2, 3, 0 };
    hetero_context *ctx = ts_context(3);
    size_t s;
    size_t t;

    for (s = 0; s < HETERO_ARRAY_SIZE(shapes); s++) {
        struct hetero_array a;
        struct hetero_array ref = { 0 };
        double atol;

        make_input(&a, dtype, &shapes[s], 200 + s);
        atol = tol_of(dtype) * max_energy(&a);
        if (!reference(ctx, &a, s, &ref) || strcmp(algo, "direct") != 0) {
            struct hetero_array ser = { 0 };

            assert_int_equal(
                run_ac(ctx, &a, HETERO_PLAN_FORCE_SERIAL, 0, algo, &ser), 0);
            ts_assert_close(&ser, &ref, 0.0, atol);
            hetero_array_free(&ser);
        }
        for (t = 0; t < HETERO_ARRAY_SIZE(threads); t++) {
            struct hetero_array pool = { 0 };

            assert_int_equal(run_ac(ctx, &a, HETERO_PLAN_FORCE_POOL, threads[t],
                                    algo, &pool),
                             0);
            ts_assert_close(&pool, &ref, 0.0, atol);
            hetero_array_free(&pool);
        }
        hetero_array_free(&ref);
        hetero_array_free(&a);
    }
    hetero_context_destroy(ctx);
}

static void test_autocorr_direct_f64(void **state)
{
    (void)state;
    check_variants(HETERO_F64, "direct");
}

static void test_autocorr_direct_f32(void **state)
{
    (void)state;
    check_variants(HETERO_F32, "direct");
}

static void test_autocorr_fft_f64(void **state)
{
    (void)state;
    check_variants(HETERO_F64, "fft");
}

static void test_autocorr_fft_f32(void **state)
{
    (void)state;
    check_variants(HETERO_F32, "fft");
}

/* scipy.signal.correlate2d results written by gen_autocorr_fixtures.py. */
static void test_autocorr_scipy_fixtures(void **state)
{
    static const char *const tags[] = { "f64_3x6x7", "f32_5x4", "int_2x9x8",
                                        "f64_1x11", "f64_13x1" };
    static const char *const algos[] = { "direct", "fft" };
    hetero_context *ctx = ts_context(2);
    size_t t;
    size_t g;

    (void)state;
    for (t = 0; t < HETERO_ARRAY_SIZE(tags); t++) {
        char path[1024];
        struct hetero_array a;
        struct hetero_array want;

        snprintf(path, sizeof(path),
                 HETERO_SOURCE_DIR "/tests/fixtures/autocorr/a_%s.npy",
                 tags[t]);
        assert_int_equal(hetero_npy_read(ctx, path, &a), 0);
        snprintf(path, sizeof(path),
                 HETERO_SOURCE_DIR "/tests/fixtures/autocorr/out_%s.npy",
                 tags[t]);
        assert_int_equal(hetero_npy_read(ctx, path, &want), 0);
        for (g = 0; g < 2; g++) {
            struct hetero_array ser = { 0 };
            struct hetero_array pool = { 0 };
            double atol = tol_of(a.dtype) * max_energy(&a);

            assert_int_equal(
                run_ac(ctx, &a, HETERO_PLAN_FORCE_SERIAL, 0, algos[g], &ser),
                0);
            ts_assert_close(&ser, &want, 0.0, atol);
            assert_int_equal(
                run_ac(ctx, &a, HETERO_PLAN_FORCE_POOL, 2, algos[g], &pool), 0);
            ts_assert_close(&pool, &want, 0.0, atol);
            hetero_array_free(&pool);
            hetero_array_free(&ser);
        }
        hetero_array_free(&want);
        hetero_array_free(&a);
    }
    hetero_context_destroy(ctx);
}

static void test_autocorr_hand_values(void **state)
{
    hetero_context *ctx = ts_context(2);
    const double a[4] = { 1, 2, 3, 4 };
    const double want[9] = { 4, 11, 6, 14, 30, 14, 6, 11, 4 };
    const float row[3] = { 1, 2, 3 };
    const float want_row[5] = { 3, 8, 14, 8, 3 };
    const double one = -3.0;
    double out[9];
    float out_row[5];
    int g;
    int i;

    (void)state;
    for (g = 0; g < 2; g++) {
        const char *algo = g ? "fft" : "direct";

        assert_int_equal(hetero_autocorr(ctx, a, out, 1, 2, 2, algo), 0);
        for (i = 0; i < 9; i++)
            assert_true(fabs(out[i] - want[i]) < 1e-13);
        assert_int_equal(hetero_autocorr_f32(ctx, row, out_row, 1, 1, 3, algo),
                         0);
        for (i = 0; i < 5; i++)
            assert_true(fabsf(out_row[i] - want_row[i]) < 1e-5f);
        assert_int_equal(hetero_autocorr(ctx, &one, out, 1, 1, 1, algo), 0);
        assert_true(fabs(out[0] - 9.0) < 1e-13);
    }
    /* No algo: the dispatcher chooses; same answer. */
    assert_int_equal(hetero_autocorr(ctx, a, out, 1, 2, 2, NULL), 0);
    for (i = 0; i < 9; i++)
        assert_true(fabs(out[i] - want[i]) < 1e-13);
    hetero_context_destroy(ctx);
}

/* Integer-valued input: the FFT result rounds to the exact integers. */
static void test_autocorr_fft_integer_exact(void **state)
{
    static const enum hetero_dtype dts[] = { HETERO_F64, HETERO_F32 };
    static const struct shape s64 = { 30, 40, 50 };
    static const struct shape s32 = { 5, 20, 19 };
    hetero_context *ctx = ts_context(2);
    size_t d;

    (void)state;
    for (d = 0; d < 2; d++) {
        struct hetero_array a;
        struct hetero_array direct = { 0 };
        struct hetero_array fft = { 0 };
        size_t numel;
        size_t i;

        make_input(&a, dts[d], d ? &s32 : &s64, 77);
        assert_int_equal(hetero_array_numel(&a, &numel), 0);
        for (i = 0; i < numel; i++)
            put(&a, i, floor(get(&a, i) * 8.5)); /* -9 .. 8 */
        assert_int_equal(
            run_ac(ctx, &a, HETERO_PLAN_FORCE_SERIAL, 0, "direct", &direct), 0);
        assert_int_equal(
            run_ac(ctx, &a, HETERO_PLAN_FORCE_POOL, 0, "fft", &fft), 0);
        assert_int_equal(hetero_array_numel(&fft, &numel), 0);
        for (i = 0; i < numel; i++) {
            double v = get(&direct, i);

            assert_true(v == floor(v)); /* direct is exact here */
            if (nearbyint(get(&fft, i)) != v)
                fail_msg("element %zu: fft %.17g rounds to %.17g, direct "
                         "%.17g",
                         i, get(&fft, i), nearbyint(get(&fft, i)), v);
        }
        hetero_array_free(&fft);
        hetero_array_free(&direct);
        hetero_array_free(&a);
    }
    hetero_context_destroy(ctx);
}

/* direct writes out[2n-2-i][2m-2-j] = out[i][j] exactly. */
static void test_autocorr_centro_symmetric(void **state)
{
    static const struct shape s = { 3, 9, 14 };
    hetero_context *ctx = ts_context(3);
    struct hetero_array a;
    struct hetero_array out = { 0 };
    size_t oh = 2 * s.n - 1;
    size_t ow = 2 * s.m - 1;
    size_t b;
    size_t i;
    size_t j;

    (void)state;
    make_input(&a, HETERO_F64, &s, 31);
    assert_int_equal(run_ac(ctx, &a, HETERO_PLAN_FORCE_POOL, 3, "direct", &out),
                     0);
    for (b = 0; b < s.b; b++) {
        const double *o = (const double *)out.data + b * oh * ow;

        for (i = 0; i < oh; i++) {
            for (j = 0; j < ow; j++)
                assert_true(o[i * ow + j] ==
                            o[(oh - 1 - i) * ow + (ow - 1 - j)]);
        }
    }
    hetero_array_free(&out);
    hetero_array_free(&a);
    hetero_context_destroy(ctx);
}

/* The two algorithms' work estimates differ as the dispatcher needs. */
static void test_autocorr_work_estimates(void **state)
{
    struct hetero_autocorr_args big = {
        .dtype = HETERO_F64, .batch = 30, .n = 100, .m = 100
    };
    struct hetero_autocorr_args small = {
        .dtype = HETERO_F64, .batch = 1, .n = 3, .m = 3
    };
    struct hetero_work wd;
    struct hetero_work wf;

    (void)state;
    hetero__autocorr_direct_work(&big, &wd);
    hetero__autocorr_fft_work(&big, &wf);
    assert_true(wd.flops == 30.0 * 1e8); /* B n^2 m^2 / 2 MACs, 2 flops */
    /* P = Q = 200: 30 * 5 * 40000 * log2(40000) */
    assert_true(fabs(wf.flops - 30.0 * 5 * 40000 * log2(40000.0)) < 1.0);
    assert_true(wf.flops * 10 < wd.flops);
    hetero__autocorr_direct_work(&small, &wd);
    hetero__autocorr_fft_work(&small, &wf);
    assert_true(wd.flops < wf.flops);
}

static void test_autocorr_nan_propagates(void **state)
{
    static const struct shape s = { 2, 6, 5 };
    static const char *const algos[] = { "direct", "fft" };
    static const unsigned flags[] = { HETERO_PLAN_FORCE_SERIAL,
                                      HETERO_PLAN_FORCE_POOL };
    hetero_context *ctx = ts_context(2);
    size_t g;
    size_t f;
    int d;

    (void)state;
    for (d = 0; d < 2; d++) {
        struct hetero_array a;

        make_input(&a, d ? HETERO_F32 : HETERO_F64, &s, 3);
        put(&a, 30 + 7, NAN); /* matrix 1 */
        for (g = 0; g < 2; g++) {
            for (f = 0; f < 2; f++) {
                struct hetero_array out = { 0 };
                size_t centre = 5 * 9 + 4;

                assert_int_equal(run_ac(ctx, &a, flags[f], 0, algos[g], &out),
                                 0);
                assert_false(isnan(get(&out, centre)));
                assert_true(isnan(get(&out, 99 + centre)));
                hetero_array_free(&out);
            }
        }
        hetero_array_free(&a);
    }
    hetero_context_destroy(ctx);
}

struct exec_arg {
    hetero_plan *plan;
    struct hetero_call call;
    int ret;
};

static void *exec_thread(void *p)
{
    struct exec_arg *e = p;
    int r;

    for (r = 0; r < 5 && e->ret == 0; r++)
        e->ret = hetero_plan_execute(e->plan, &e->call);
    return NULL;
}

/* One fft plan executed by two threads at once: each run must get scratch
 * of its own. */
static void test_autocorr_concurrent_execute(void **state)
{
    static const struct shape s = { 6, 20, 24 };
    static const unsigned flags[] = { HETERO_PLAN_FORCE_SERIAL,
                                      HETERO_PLAN_FORCE_POOL };
    const hetero_kernel *k = hetero_kernel_find("autocorr");
    hetero_context *ctx = ts_context(2);
    struct hetero_array a[2];
    struct hetero_array out[2] = { { 0 } };
    struct hetero_array ref[2] = { { 0 } };
    struct hetero_param algo = { "algo", "fft" };
    struct exec_arg e[2];
    pthread_t th;
    size_t f;
    int i;

    (void)state;
    for (i = 0; i < 2; i++) {
        make_input(&a[i], HETERO_F64, &s, 40 + (uint64_t)i);
        autocorr_ref(&a[i], &ref[i]);
    }
    for (f = 0; f < 2; f++) {
        struct hetero_plan_opts o = { .flags = flags[f] };
        hetero_plan *plan = NULL;

        for (i = 0; i < 2; i++) {
            e[i].call = (struct hetero_call){ .inputs = &a[i],
                                              .n_inputs = 1,
                                              .outputs = &out[i],
                                              .n_outputs = 1,
                                              .params = &algo,
                                              .n_params = 1 };
            assert_int_equal(hetero_call_alloc_outputs(ctx, k, &e[i].call), 0);
            e[i].ret = 0;
        }
        assert_int_equal(hetero_plan_create_opts(ctx, k, &e[0].call, &o, &plan),
                         0);
        e[0].plan = plan;
        e[1].plan = plan;
        assert_int_equal(pthread_create(&th, NULL, exec_thread, &e[1]), 0);
        exec_thread(&e[0]);
        pthread_join(th, NULL);
        for (i = 0; i < 2; i++) {
            assert_int_equal(e[i].ret, 0);
            ts_assert_close(&out[i], &ref[i], 0.0, 1e-13 * max_energy(&a[i]));
            hetero_array_free(&out[i]);
        }
        hetero_plan_destroy(plan);
    }
    for (i = 0; i < 2; i++) {
        hetero_array_free(&ref[i]);
        hetero_array_free(&a[i]);
    }
    hetero_context_destroy(ctx);
}

static void test_autocorr_bad_args(void **state)
{
    hetero_context *ctx = ts_context(2);
    const hetero_kernel *k = hetero_kernel_find("autocorr");
    double buf[2 * 12] = { 0 };
    double obuf[2 * 35] = { 0 };
    struct hetero_array a = {
        .dtype = HETERO_F64, .ndim = 3, .shape = { 2, 3, 4 }, .data = buf
    };
    struct hetero_array out = {
        .dtype = HETERO_F64, .ndim = 3, .shape = { 2, 5, 7 }, .data = obuf
    };
    struct hetero_param p = { "algo", "fast" };
    struct hetero_call call = {
        .inputs = &a, .n_inputs = 1, .outputs = &out, .n_outputs = 1
    };

    (void)state;
    assert_int_equal(hetero_run(ctx, k, &call, 0), 0);
    /* zero batch, zero n */
    a.shape[0] = 0;
    assert_int_equal(hetero_run(ctx, k, &call, 0), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "zero dimension"));
    a.shape[0] = 2;
    a.shape[2] = 0;
    assert_int_equal(hetero_run(ctx, k, &call, 0), HETERO_EINVAL);
    a.shape[2] = 4;
    /* wrong ndim: 1 and 4 */
    a.ndim = 1;
    assert_int_equal(hetero_run(ctx, k, &call, 0), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "dimensions"));
    a.ndim = 4;
    a.shape[3] = 1;
    assert_int_equal(hetero_run(ctx, k, &call, 0), HETERO_EINVAL);
    a.ndim = 3;
    /* mismatched output: same shape as a, other dtype */
    out.shape[1] = 3;
    out.shape[2] = 4;
    assert_int_equal(hetero_run(ctx, k, &call, 0), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "wrong dtype or shape"));
    out.shape[1] = 5;
    out.shape[2] = 7;
    out.dtype = HETERO_F32;
    assert_int_equal(hetero_run(ctx, k, &call, 0), HETERO_EINVAL);
    out.dtype = HETERO_F64;
    /* unsupported dtypes */
    a.dtype = HETERO_C128;
    assert_int_equal(hetero_run(ctx, k, &call, 0), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "dtype"));
    a.dtype = HETERO_I32;
    assert_int_equal(hetero_run(ctx, k, &call, 0), HETERO_EINVAL);
    a.dtype = HETERO_F64;
    /* bad algo, unknown parameter */
    call.params = &p;
    call.n_params = 1;
    assert_int_equal(hetero_run(ctx, k, &call, 0), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "direct|fft"));
    p.name = "mode";
    p.value = "same";
    assert_int_equal(hetero_run(ctx, k, &call, 0), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "mode"));
    call.n_params = 0;
    /* overlap */
    out.data = buf;
    assert_int_equal(hetero_run(ctx, k, &call, 0), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "overlap"));
    out.data = obuf;
    /* typed entry points */
    assert_int_equal(hetero_autocorr(ctx, NULL, obuf, 1, 2, 2, NULL),
                     HETERO_EINVAL);
    assert_int_equal(hetero_autocorr(ctx, buf, obuf, 1, 0, 2, NULL),
                     HETERO_EINVAL);
    assert_int_equal(hetero_autocorr(NULL, buf, obuf, 1, 2, 2, NULL),
                     HETERO_EINVAL);
    assert_int_equal(hetero_autocorr(ctx, buf, obuf, 1, 2, 2, "fast"),
                     HETERO_EINVAL);
    assert_int_equal(hetero_autocorr(ctx, buf, obuf, (size_t)1 << 40,
                                     (size_t)1 << 30, 2, NULL),
                     HETERO_EINVAL);
    hetero_context_destroy(ctx);
}

/* Allocation k fails, for k = 0, 1, ...: every variant fails cleanly with
 * HETERO_ENOMEM or still computes the right answer (nothing leaks: ASan),
 * until no allocation is left to fail. */
static void test_autocorr_alloc_faults(void **state)
{
    static const struct shape s = { 3, 9, 10 };
    static const char *const algos[] = { "direct", "fft" };
    static const unsigned flags[] = { HETERO_PLAN_FORCE_SERIAL,
                                      HETERO_PLAN_FORCE_POOL };
    hetero_context *ctx = ts_context(2);
    struct hetero_array a;
    struct hetero_array ref = { 0 };
    size_t g;
    size_t f;

    (void)state;
    make_input(&a, HETERO_F64, &s, 11);
    autocorr_ref(&a, &ref);
    for (g = 0; g < 2; g++) {
        for (f = 0; f < 2; f++) {
            long n;

            for (n = 0; n < 1000; n++) {
                struct hetero_array out = { 0 };
                bool hit;
                int ret;

                hetero__alloc_fault_reset();
                hetero__alloc_fail_after(n);
                ret = run_ac(ctx, &a, flags[f], 2, algos[g], &out);
                hetero__alloc_fail_after(-1);
                hit = hetero__alloc_fault_hit();
                if (ret == 0)
                    ts_assert_close(&out, &ref, 0.0, 1e-13 * max_energy(&a));
                hetero_array_free(&out);
                if (!hit) {
                    assert_int_equal(ret, 0);
                    break;
                }
                /* 0: a failure the library tolerates (cost model). */
                assert_true(ret == HETERO_ENOMEM || ret == 0);
            }
        }
    }
    hetero_array_free(&ref);
    hetero_array_free(&a);
    hetero_context_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_autocorr_direct_f64),
        cmocka_unit_test(test_autocorr_direct_f32),
        cmocka_unit_test(test_autocorr_fft_f64),
        cmocka_unit_test(test_autocorr_fft_f32),
        cmocka_unit_test(test_autocorr_scipy_fixtures),
        cmocka_unit_test(test_autocorr_hand_values),
        cmocka_unit_test(test_autocorr_fft_integer_exact),
        cmocka_unit_test(test_autocorr_centro_symmetric),
        cmocka_unit_test(test_autocorr_work_estimates),
        cmocka_unit_test(test_autocorr_nan_propagates),
        cmocka_unit_test(test_autocorr_concurrent_execute),
        cmocka_unit_test(test_autocorr_bad_args),
        cmocka_unit_test(test_autocorr_alloc_faults),
    };

    return cmocka_run_group_tests(tests, NULL, teardown_kept);
}
