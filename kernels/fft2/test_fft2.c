/*
 * test_fft2.c - fft2: the serial variant against a plain separable DFT and
 * numpy fixtures, every pool thread count against serial, hand-computed
 * values, unaligned arrays, NaN, and bad arguments.
 *
 * Tolerance (fft2.h): |X - X_exact| <= tol * ||x|| * s per matrix, with
 * tol 1e-13 (f64/c128) or 1e-5 (f32/c64) and s = 1 or 1/(n m).
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_support.h"

#include "fft2/fft2.h"

#define PI 3.14159265358979323846

struct shape {
    size_t b; /* 0: a 2-D input */
    size_t n;
    size_t m;
};

static const struct shape shapes[] = {
    { 1, 1, 1 },   { 1, 1, 17 },  { 1, 19, 1 },     { 0, 7, 13 },
    { 4, 12, 20 }, { 3, 65, 65 }, { 30, 100, 100 }, { 2, 210, 256 },
};

static bool dt_real(enum hetero_dtype d)
{
    return d == HETERO_F32 || d == HETERO_F64;
}

static bool dt_double(enum hetero_dtype d)
{
    return d == HETERO_F64 || d == HETERO_C128;
}

static enum hetero_dtype out_of(enum hetero_dtype d)
{
    return dt_double(d) ? HETERO_C128 : HETERO_C64;
}

static double tol_of(enum hetero_dtype d)
{
    return dt_double(d) ? 1e-13 : 1e-5;
}

/* Component c (0 re, 1 im) of element i of x. */
static double get(const struct hetero_array *x, size_t i, int c)
{
    switch (x->dtype) {
    case HETERO_F64:
        return c ? 0.0 : ((const double *)x->data)[i];
    case HETERO_F32:
        return c ? 0.0 : ((const float *)x->data)[i];
    case HETERO_C128:
        return ((const double *)x->data)[2 * i + c];
    default:
        return ((const float *)x->data)[2 * i + c];
    }
}

static void set(struct hetero_array *y, size_t i, double re, double im)
{
    if (y->dtype == HETERO_C128) {
        ((double *)y->data)[2 * i] = re;
        ((double *)y->data)[2 * i + 1] = im;
    } else {
        ((float *)y->data)[2 * i] = (float)re;
        ((float *)y->data)[2 * i + 1] = (float)im;
    }
}

static void dims(const struct hetero_array *x, size_t *b, size_t *n, size_t *m)
{
    *b = x->ndim == 3 ? x->shape[0] : 1;
    *n = x->shape[x->ndim - 2];
    *m = x->shape[x->ndim - 1];
}

/* Largest ||x|| over the matrices of x. */
static double max_norm(const struct hetero_array *x)
{
    size_t b;
    size_t n;
    size_t m;
    size_t i;
    size_t k;
    double best = 0.0;

    dims(x, &b, &n, &m);
    for (k = 0; k < b; k++) {
        double s = 0.0;

        for (i = k * n * m; i < (k + 1) * n * m; i++)
            s += get(x, i, 0) * get(x, i, 0) + get(x, i, 1) * get(x, i, 1);
        if (sqrt(s) > best)
            best = sqrt(s);
    }
    return best;
}

/* The DFT along rows, then along columns, in double: an independent
 * reference in O(n m (n + m)) per matrix. */
static void dft2_ref(const struct hetero_array *x, bool inverse,
                     struct hetero_array *y)
{
    size_t b;
    size_t n;
    size_t m;
    size_t k;
    size_t i;
    size_t j;
    size_t l;
    double sign = inverse ? 1.0 : -1.0;
    double scale;
    double *t;
    double *wn;
    double *wm;

    dims(x, &b, &n, &m);
    scale = inverse ? 1.0 / ((double)n * (double)m) : 1.0;
    t = malloc(2 * n * m * sizeof(*t));
    wn = malloc(2 * n * sizeof(*wn));
    wm = malloc(2 * m * sizeof(*wm));
    assert_non_null(t);
    assert_non_null(wn);
    assert_non_null(wm);
    for (i = 0; i < n; i++) {
        wn[2 * i] = cos(2 * PI * (double)i / (double)n);
        wn[2 * i + 1] = sign * sin(2 * PI * (double)i / (double)n);
    }
    for (j = 0; j < m; j++) {
        wm[2 * j] = cos(2 * PI * (double)j / (double)m);
        wm[2 * j + 1] = sign * sin(2 * PI * (double)j / (double)m);
    }
    for (k = 0; k < b; k++) {
        size_t base = k * n * m;

        for (i = 0; i < n; i++) {
            for (l = 0; l < m; l++) {
                double re = 0.0;
                double im = 0.0;

                for (j = 0; j < m; j++) {
                    const double *w = wm + 2 * ((l * j) % m);
                    double xr = get(x, base + i * m + j, 0);
                    double xi = get(x, base + i * m + j, 1);

                    re += xr * w[0] - xi * w[1];
                    im += xr * w[1] + xi * w[0];
                }
                t[2 * (i * m + l)] = re;
                t[2 * (i * m + l) + 1] = im;
            }
        }
        for (l = 0; l < m; l++) {
            for (i = 0; i < n; i++) {
                double re = 0.0;
                double im = 0.0;

                for (j = 0; j < n; j++) {
                    const double *w = wn + 2 * ((i * j) % n);
                    double tr = t[2 * (j * m + l)];
                    double ti = t[2 * (j * m + l) + 1];

                    re += tr * w[0] - ti * w[1];
                    im += tr * w[1] + ti * w[0];
                }
                set(y, base + i * m + l, re * scale, im * scale);
            }
        }
    }
    free(t);
    free(wn);
    free(wm);
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

static int run_fft2(hetero_context *ctx, const struct hetero_array *x,
                    bool inverse, unsigned flags, size_t threads,
                    struct hetero_array *y)
{
    const hetero_kernel *k = hetero_kernel_find("fft2");
    struct hetero_param p = { "inverse", inverse ? "1" : "0" };
    struct hetero_call call = {
        .inputs = x, .n_inputs = 1, .params = &p, .n_params = 1
    };

    assert_non_null(k);
    return ts_run(ctx, k, &call, flags, threads, NULL, y);
}

/* Serial against the DFT, then each pool thread count against serial. */
static void check_dtype(enum hetero_dtype dtype, bool inverse)
{
    static const size_t threads[] = { 1, 2, 3, 0 };
    hetero_context *ctx = ts_context(3);
    size_t s;
    size_t t;

    for (s = 0; s < HETERO_ARRAY_SIZE(shapes); s++) {
        struct hetero_array x;
        struct hetero_array ref;
        struct hetero_array ser = { 0 };
        double nm = (double)shapes[s].n * (double)shapes[s].m;
        double atol;

        make_input(&x, dtype, &shapes[s], 100 + s);
        atol = tol_of(dtype) * max_norm(&x) * (inverse ? 1.0 / nm : 1.0);
        ts_alloc(&ref, out_of(dtype), x.ndim, x.shape);
        dft2_ref(&x, inverse, &ref);
        assert_int_equal(
            run_fft2(ctx, &x, inverse, HETERO_PLAN_FORCE_SERIAL, 0, &ser), 0);
        ts_assert_close(&ser, &ref, 0.0, atol);
        for (t = 0; t < HETERO_ARRAY_SIZE(threads); t++) {
            struct hetero_array pool = { 0 };

            assert_int_equal(run_fft2(ctx, &x, inverse, HETERO_PLAN_FORCE_POOL,
                                      threads[t], &pool),
                             0);
            ts_assert_close(&pool, &ser, 0.0, atol);
            hetero_array_free(&pool);
        }
        hetero_array_free(&ser);
        hetero_array_free(&ref);
        hetero_array_free(&x);
    }
    hetero_context_destroy(ctx);
}

static void test_fft2_f64(void **state)
{
    (void)state;
    check_dtype(HETERO_F64, false);
}

static void test_fft2_f32(void **state)
{
    (void)state;
    check_dtype(HETERO_F32, false);
}

static void test_fft2_c128(void **state)
{
    (void)state;
    check_dtype(HETERO_C128, false);
}

static void test_fft2_c64(void **state)
{
    (void)state;
    check_dtype(HETERO_C64, false);
}

static void test_fft2_inverse_f64(void **state)
{
    (void)state;
    check_dtype(HETERO_F64, true);
}

static void test_fft2_inverse_f32(void **state)
{
    (void)state;
    check_dtype(HETERO_F32, true);
}

static void test_fft2_inverse_c128(void **state)
{
    (void)state;
    check_dtype(HETERO_C128, true);
}

static void test_fft2_inverse_c64(void **state)
{
    (void)state;
    check_dtype(HETERO_C64, true);
}

/* numpy.fft.fft2 / ifft2 results written by gen_fft2_fixtures.py. */
static void test_fft2_numpy_fixtures(void **state)
{
    static const char *const tags[] = { "f64_3x5x6", "c128_2x7x4", "f32_4x9",
                                        "c64_2x6x5", "f64_1x16" };
    hetero_context *ctx = ts_context(2);
    size_t t;
    int inv;

    (void)state;
    for (t = 0; t < HETERO_ARRAY_SIZE(tags); t++) {
        char path[1024];
        struct hetero_array x;
        double nm;

        snprintf(path, sizeof(path),
                 HETERO_SOURCE_DIR "/tests/fixtures/fft2/x_%s.npy", tags[t]);
        assert_int_equal(hetero_npy_read(ctx, path, &x), 0);
        nm = (double)x.shape[x.ndim - 1] * (double)x.shape[x.ndim - 2];
        for (inv = 0; inv < 2; inv++) {
            struct hetero_array want;
            struct hetero_array ser = { 0 };
            struct hetero_array pool = { 0 };
            /* numpy's pocketfft and FFTW round differently: twice the
             * bound, one for each against the exact transform. */
            double atol =
                2 * tol_of(x.dtype) * max_norm(&x) * (inv ? 1.0 / nm : 1.0);

            snprintf(path, sizeof(path),
                     HETERO_SOURCE_DIR "/tests/fixtures/fft2/%s_%s.npy",
                     inv ? "inv" : "fwd", tags[t]);
            assert_int_equal(hetero_npy_read(ctx, path, &want), 0);
            assert_int_equal(want.dtype, out_of(x.dtype));
            assert_int_equal(
                run_fft2(ctx, &x, inv, HETERO_PLAN_FORCE_SERIAL, 0, &ser), 0);
            ts_assert_close(&ser, &want, 0.0, atol);
            assert_int_equal(
                run_fft2(ctx, &x, inv, HETERO_PLAN_FORCE_POOL, 2, &pool), 0);
            ts_assert_close(&pool, &want, 0.0, atol);
            hetero_array_free(&pool);
            hetero_array_free(&ser);
            hetero_array_free(&want);
        }
        hetero_array_free(&x);
    }
    hetero_context_destroy(ctx);
}

/* Small cases worked out by hand. */
static void test_fft2_hand_values(void **state)
{
    hetero_context *ctx = ts_context(2);
    const double x[4] = { 1, 2, 3, 4 };
    /* fft2([[1, 2], [3, 4]]) = [[10, -2], [-4, 0]] */
    const double fwd[8] = { 10, 0, -2, 0, -4, 0, 0, 0 };
    /* ifft2: the same / 4 (real symmetric input, conj changes nothing) */
    const double inv[8] = { 2.5, 0, -0.5, 0, -1, 0, 0, 0 };
    /* fft2 of [[1+1i, 0, 0]]: 1+1i everywhere; of a shifted delta
     * [[0, 1, 0]]: exp(-2 pi i l / 3) */
    const double cx[6] = { 1, 1, 0, 0, 0, 0 };
    const float dx[3] = { 0, 1, 0 };
    double y[8];
    float yf[6];
    int i;

    (void)state;
    assert_int_equal(hetero_fft2(ctx, x, y, 1, 2, 2, false), 0);
    for (i = 0; i < 8; i++)
        assert_true(fabs(y[i] - fwd[i]) < 1e-15);
    assert_int_equal(hetero_fft2(ctx, x, y, 1, 2, 2, true), 0);
    for (i = 0; i < 8; i++)
        assert_true(fabs(y[i] - inv[i]) < 1e-15);
    assert_int_equal(hetero_fft2_c128(ctx, cx, y, 1, 1, 3, false), 0);
    for (i = 0; i < 6; i++)
        assert_true(fabs(y[i] - 1.0) < 1e-15);
    assert_int_equal(hetero_fft2_f32(ctx, dx, yf, 1, 1, 3, false), 0);
    for (i = 0; i < 3; i++) {
        assert_true(fabs(yf[2 * i] - cos(2 * PI * i / 3)) < 1e-6);
        assert_true(fabs(yf[2 * i + 1] + sin(2 * PI * i / 3)) < 1e-6);
    }
    /* c64 round trip: ifft2(fft2(z)) = z */
    {
        const float z[6] = { 1, -2, 0.5f, 3, -1, 0.25f };
        float w[6];
        float back[6];

        assert_int_equal(hetero_fft2_c64(ctx, z, w, 1, 3, 1, false), 0);
        assert_int_equal(hetero_fft2_c64(ctx, w, back, 1, 3, 1, true), 0);
        for (i = 0; i < 6; i++)
            assert_true(fabsf(back[i] - z[i]) < 1e-6f);
    }
    hetero_context_destroy(ctx);
}

/* Caller arrays that are not 16-byte aligned take FFTW_UNALIGNED plans. */
static void test_fft2_unaligned(void **state)
{
    hetero_context *ctx = ts_context(2);
    const hetero_kernel *k = hetero_kernel_find("fft2");
    const size_t n = 9;
    const size_t m = 11;
    float *xbuf = malloc((2 * n * m + 1) * sizeof(*xbuf));
    float *ybuf = malloc((4 * n * m + 2) * sizeof(*ybuf));
    struct hetero_array x = { .dtype = HETERO_F32,
                              .ndim = 3,
                              .shape = { 2, n, m } };
    struct hetero_array y = { .dtype = HETERO_C64,
                              .ndim = 3,
                              .shape = { 2, n, m } };
    struct hetero_array ref;
    struct hetero_call call = {
        .inputs = &x, .n_inputs = 1, .outputs = &y, .n_outputs = 1
    };
    uint64_t seed = 5;
    size_t i;

    (void)state;
    assert_non_null(xbuf);
    assert_non_null(ybuf);
    x.data = xbuf + 1; /* 4 bytes past malloc's alignment */
    y.data = ybuf + 1;
    for (i = 0; i < 2 * n * m; i++)
        xbuf[1 + i] = (float)ts_rand_uniform(&seed, -1, 1);
    ts_alloc(&ref, HETERO_C64, 3, x.shape);
    dft2_ref(&x, false, &ref);
    assert_int_equal(hetero_run(ctx, k, &call, HETERO_PLAN_FORCE_SERIAL), 0);
    ts_assert_close(&y, &ref, 0.0, 1e-5 * max_norm(&x));
    memset(ybuf, 0, (4 * n * m + 2) * sizeof(*ybuf));
    assert_int_equal(hetero_run(ctx, k, &call, HETERO_PLAN_FORCE_POOL), 0);
    ts_assert_close(&y, &ref, 0.0, 1e-5 * max_norm(&x));
    hetero_array_free(&ref);
    free(xbuf);
    free(ybuf);
    hetero_context_destroy(ctx);
}

static void test_fft2_nan_propagates(void **state)
{
    hetero_context *ctx = ts_context(2);
    static const enum hetero_dtype dts[] = { HETERO_F64, HETERO_F32,
                                             HETERO_C128, HETERO_C64 };
    const struct shape s = { 3, 8, 6 };
    size_t d;

    (void)state;
    for (d = 0; d < HETERO_ARRAY_SIZE(dts); d++) {
        struct hetero_array x;
        struct hetero_array y = { 0 };
        size_t i;

        make_input(&x, dts[d], &s, 9);
        /* A NaN in matrix 1 only. */
        if (dt_double(dts[d]))
            ((double *)x.data)[(dt_real(dts[d]) ? 1 : 2) * (48 + 7)] = NAN;
        else
            ((float *)x.data)[(dt_real(dts[d]) ? 1 : 2) * (48 + 7)] = NAN;
        assert_int_equal(
            run_fft2(ctx, &x, false, HETERO_PLAN_FORCE_POOL, 0, &y), 0);
        for (i = 0; i < 3; i++) {
            double re = dt_double(dts[d]) ? ((double *)y.data)[2 * 48 * i]
                                          : ((float *)y.data)[2 * 48 * i];

            /* The DC term of matrix 1 is NaN, the others finite. */
            assert_true(i == 1 ? isnan(re) : isfinite(re));
        }
        hetero_array_free(&y);
        hetero_array_free(&x);
    }
    hetero_context_destroy(ctx);
}

static void test_fft2_bad_args(void **state)
{
    hetero_context *ctx = ts_context(2);
    const hetero_kernel *k = hetero_kernel_find("fft2");
    double buf[2 * 24] = { 0 };
    double obuf[2 * 24] = { 0 };
    struct hetero_array x = {
        .dtype = HETERO_F64, .ndim = 3, .shape = { 2, 3, 4 }, .data = buf
    };
    struct hetero_array y = {
        .dtype = HETERO_C128, .ndim = 3, .shape = { 2, 3, 4 }, .data = obuf
    };
    struct hetero_param p = { "inverse", "2" };
    struct hetero_call call = {
        .inputs = &x, .n_inputs = 1, .outputs = &y, .n_outputs = 1
    };

    (void)state;
    assert_int_equal(hetero_run(ctx, k, &call, 0), 0);
    /* zero batch, zero n */
    x.shape[0] = 0;
    assert_int_equal(hetero_run(ctx, k, &call, 0), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "zero dimension"));
    x.shape[0] = 2;
    x.shape[1] = 0;
    assert_int_equal(hetero_run(ctx, k, &call, 0), HETERO_EINVAL);
    x.shape[1] = 3;
    /* wrong ndim: 1 and 4 */
    x.ndim = 1;
    assert_int_equal(hetero_run(ctx, k, &call, 0), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "dimensions"));
    x.ndim = 4;
    x.shape[3] = 1;
    assert_int_equal(hetero_run(ctx, k, &call, 0), HETERO_EINVAL);
    x.ndim = 3;
    /* mismatched output shape and dtype */
    y.shape[2] = 5;
    assert_int_equal(hetero_run(ctx, k, &call, 0), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "wrong dtype or shape"));
    y.shape[2] = 4;
    y.dtype = HETERO_C64;
    assert_int_equal(hetero_run(ctx, k, &call, 0), HETERO_EINVAL);
    y.dtype = HETERO_C128;
    /* unsupported dtype */
    x.dtype = HETERO_I64;
    assert_int_equal(hetero_run(ctx, k, &call, 0), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "dtype"));
    x.dtype = HETERO_F64;
    /* bad parameter values, unknown parameter */
    call.params = &p;
    call.n_params = 1;
    assert_int_equal(hetero_run(ctx, k, &call, 0), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "inverse"));
    p.value = "yes";
    assert_int_equal(hetero_run(ctx, k, &call, 0), HETERO_EINVAL);
    p.name = "norm";
    p.value = "ortho";
    assert_int_equal(hetero_run(ctx, k, &call, 0), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "norm"));
    call.n_params = 0;
    /* overlapping input and output */
    y.data = buf;
    assert_int_equal(hetero_run(ctx, k, &call, 0), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "overlap"));
    y.data = obuf;
    /* typed entry points */
    assert_int_equal(hetero_fft2(ctx, NULL, obuf, 1, 2, 2, false),
                     HETERO_EINVAL);
    assert_int_equal(hetero_fft2(ctx, buf, obuf, 0, 2, 2, false),
                     HETERO_EINVAL);
    assert_int_equal(hetero_fft2(NULL, buf, obuf, 1, 2, 2, false),
                     HETERO_EINVAL);
    assert_int_equal(
        hetero_fft2(ctx, buf, obuf, (size_t)1 << 40, (size_t)1 << 40, 2, false),
        HETERO_EINVAL);
    hetero_context_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fft2_f64),
        cmocka_unit_test(test_fft2_f32),
        cmocka_unit_test(test_fft2_c128),
        cmocka_unit_test(test_fft2_c64),
        cmocka_unit_test(test_fft2_inverse_f64),
        cmocka_unit_test(test_fft2_inverse_f32),
        cmocka_unit_test(test_fft2_inverse_c128),
        cmocka_unit_test(test_fft2_inverse_c64),
        cmocka_unit_test(test_fft2_numpy_fixtures),
        cmocka_unit_test(test_fft2_hand_values),
        cmocka_unit_test(test_fft2_unaligned),
        cmocka_unit_test(test_fft2_nan_propagates),
        cmocka_unit_test(test_fft2_bad_args),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
