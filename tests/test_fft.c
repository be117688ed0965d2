/*
 * test_fft.c - the FFTW wrapper (lib/src/fft): plan cache hits, known
 * transforms, alignment, wisdom files written and re-read, planner flags,
 * concurrent plan requests, good sizes and bad keys.
 */
#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_support.h"

#include "fft/fft.h"
#include "internal.h"

/* A fresh cache directory under the build tree (removed by rm_dir). */
static void make_dir(char *buf, size_t size)
{
    snprintf(buf, size, "%s/test-cache", HETERO_BINARY_DIR);
    mkdir(buf, 0755);
    snprintf(buf, size, "%s/test-cache/fft-XXXXXX", HETERO_BINARY_DIR);
    assert_non_null(mkdtemp(buf));
}

static void rm_dir(const char *dir)
{
    char path[4096];
    int p;

    for (p = 0; p < 2; p++) {
        if (hetero__fft_wisdom_path(dir, p, path, sizeof(path)) == 0)
            unlink(path);
    }
    rmdir(dir);
}

static hetero_context *context_in(const char *dir)
{
    struct hetero_context_opts o = { .num_threads = 2, .cache_dir = dir };
    hetero_context *ctx = NULL;

    assert_int_equal(hetero_context_create(&o, &ctx), 0);
    return ctx;
}

static struct hetero__fft_key c2c_key(size_t n, size_t m, int sign)
{
    struct hetero__fft_key k = { .kind = HETERO__FFT_C2C,
                                 .prec = HETERO__FFT_F64,
                                 .n = n,
                                 .m = m,
                                 .sign = sign,
                                 .howmany = 1,
                                 .aligned = true };

    return k;
}

static void test_fft_cache_hit(void **state)
{
    hetero_context *ctx;
    struct hetero__fft_key k = c2c_key(8, 6, -1);
    const struct hetero__fft_plan *p1 = NULL;
    const struct hetero__fft_plan *p2 = NULL;
    const struct hetero__fft_plan *p3 = NULL;
    struct hetero__fft_stats st;

    (void)state;
    setenv("HETERO_FFTW_PLANNER", "estimate", 1);
    ctx = ts_context(1);
    hetero__fft_stats(ctx, &st);
    assert_int_equal(st.plans, 0); /* the cache is created lazily */
    assert_int_equal(hetero__fft_plan_get(ctx, &k, &p1), 0);
    assert_int_equal(hetero__fft_plan_get(ctx, &k, &p2), 0);
    assert_ptr_equal(p1, p2);
    k.sign = 1;
    assert_int_equal(hetero__fft_plan_get(ctx, &k, &p3), 0);
    assert_ptr_not_equal(p1, p3);
    /* cpx_row 0 means the default, m: the same key. */
    k.sign = -1;
    k.cpx_row = 6;
    assert_int_equal(hetero__fft_plan_get(ctx, &k, &p2), 0);
    assert_ptr_equal(p1, p2);
    hetero__fft_stats(ctx, &st);
    assert_int_equal(st.plans, 2);
    assert_int_equal(st.misses, 2);
    assert_int_equal(st.hits, 2);
    assert_int_equal(st.flags, FFTW_ESTIMATE);
    hetero_context_destroy(ctx);
    unsetenv("HETERO_FFTW_PLANNER");
}

static void test_fft_known_values(void **state)
{
    hetero_context *ctx = ts_context(1);
    struct hetero__fft_key k = c2c_key(1, 4, -1);
    const struct hetero__fft_plan *p = NULL;
    double *in = hetero__aligned_alloc(64, 16 * sizeof(double));
    double *out = hetero__aligned_alloc(64, 16 * sizeof(double));
    const double x[8] = { 1, 0, 2, 0, 3, 0, 4, 0 };
    const double want[8] = { 10, 0, -2, 2, -2, 0, -2, -2 };
    int i;

    (void)state;
    assert_non_null(in);
    assert_non_null(out);
    /* 1-D: fft([1, 2, 3, 4]) = [10, -2+2i, -2, -2-2i]. */
    memcpy(in, x, sizeof(x));
    assert_int_equal(hetero__fft_plan_get(ctx, &k, &p), 0);
    assert_true(hetero__fft_fits(p, in, out));
    hetero__fft_execute(p, in, out);
    for (i = 0; i < 8; i++)
        assert_true(fabs(out[i] - want[i]) < 1e-14);
    assert_memory_equal(in, x, sizeof(x)); /* input preserved */

    /* 2-D r2c of a 2 x 3 delta: all ones in the 2 x 2 half spectrum. */
    k.kind = HETERO__FFT_R2C;
    k.n = 2;
    k.m = 3;
    memset(in, 0, 6 * sizeof(double));
    in[0] = 1.0;
    assert_int_equal(hetero__fft_plan_get(ctx, &k, &p), 0);
    hetero__fft_execute(p, in, out);
    for (i = 0; i < 4; i++) {
        assert_true(fabs(out[2 * i] - 1.0) < 1e-15);
        assert_true(fabs(out[2 * i + 1]) < 1e-15);
    }
    /* c2r back (unnormalised): 6 * delta. */
    k.kind = HETERO__FFT_C2R;
    assert_int_equal(hetero__fft_plan_get(ctx, &k, &p), 0);
    hetero__fft_execute(p, out, in);
    for (i = 0; i < 6; i++)
        assert_true(fabs(in[i] - (i == 0 ? 6.0 : 0.0)) < 1e-14);
    hetero__aligned_free(in);
    hetero__aligned_free(out);
    hetero_context_destroy(ctx);
}

static void test_fft_batch_and_layout(void **state)
{
    /* Three r2c transforms of 4 x 5, complex rows padded to 5 elements
     * (as fft2 writes them), against three single transforms. */
    hetero_context *ctx = ts_context(1);
    struct hetero__fft_key k = { .kind = HETERO__FFT_R2C,
                                 .prec = HETERO__FFT_F32,
                                 .n = 4,
                                 .m = 5,
                                 .howmany = 3,
                                 .cpx_row = 5,
                                 .aligned = true };
    const struct hetero__fft_plan *batch = NULL;
    const struct hetero__fft_plan *one = NULL;
    float *in = hetero__aligned_alloc(64, 60 * sizeof(float));
    float *out = hetero__aligned_alloc(64, 120 * sizeof(float));
    float *ref = hetero__aligned_alloc(64, 12 * sizeof(float) * 2);
    uint64_t seed = 7;
    int b;
    int i;
    int j;

    (void)state;
    for (i = 0; i < 60; i++)
        in[i] = (float)ts_rand_uniform(&seed, -1, 1);
    assert_int_equal(hetero__fft_plan_get(ctx, &k, &batch), 0);
    hetero__fft_execute(batch, in, out);
    k.howmany = 1;
    k.cpx_row = 0; /* 5/2 + 1 = 3 */
    for (b = 0; b < 3; b++) {
        /* 20 floats: the second block is 16-byte aligned too. */
        assert_int_equal(hetero__fft_plan_get(ctx, &k, &one), 0);
        hetero__fft_execute(one, in + 20 * b, ref);
        for (i = 0; i < 4; i++) {
            for (j = 0; j < 3; j++) {
                const float *o = out + 2 * (b * 20 + i * 5 + j);
                const float *r = ref + 2 * (i * 3 + j);

                assert_true(fabsf(o[0] - r[0]) < 1e-5f);
                assert_true(fabsf(o[1] - r[1]) < 1e-5f);
            }
        }
    }
    hetero__aligned_free(in);
    hetero__aligned_free(out);
    hetero__aligned_free(ref);
    hetero_context_destroy(ctx);
}

static void test_fft_unaligned(void **state)
{
    hetero_context *ctx = ts_context(1);
    struct hetero__fft_key k = c2c_key(3, 5, -1);
    const struct hetero__fft_plan *al = NULL;
    const struct hetero__fft_plan *un = NULL;
    float *buf = hetero__aligned_alloc(64, 64 * sizeof(float));
    float *out = hetero__aligned_alloc(64, 64 * sizeof(float));
    float *ref = hetero__aligned_alloc(64, 64 * sizeof(float));
    uint64_t seed = 3;
    int i;

    (void)state;
    k.prec = HETERO__FFT_F32;
    for (i = 0; i < 64; i++)
        buf[i] = (float)ts_rand_uniform(&seed, -1, 1);
    assert_int_equal(hetero__fft_plan_get(ctx, &k, &al), 0);
    hetero__fft_execute(al, buf, ref);
    /* One float off: not the planned alignment. */
    memmove(buf + 1, buf, 30 * sizeof(float));
    assert_false(hetero__fft_fits(al, buf + 1, out));
    k.aligned = false;
    assert_int_equal(hetero__fft_plan_get(ctx, &k, &un), 0);
    assert_ptr_not_equal(al, un);
    assert_true(hetero__fft_fits(un, buf + 1, out + 2));
    hetero__fft_execute(un, buf + 1, out + 2);
    for (i = 0; i < 30; i++)
        assert_true(fabsf(out[2 + i] - ref[i]) < 1e-5f);
    hetero__aligned_free(buf);
    hetero__aligned_free(out);
    hetero__aligned_free(ref);
    hetero_context_destroy(ctx);
}

static void test_fft_wisdom_written_and_reread(void **state)
{
    char dir[4096];
    char path[4096];
    struct hetero__fft_key k = c2c_key(100, 100, -1);
    const struct hetero__fft_plan *p = NULL;
    struct hetero__fft_stats st1;
    struct hetero__fft_stats st2;
    struct stat sb;
    hetero_context *ctx;

    (void)state;
    setenv("HETERO_FFTW_PLANNER", "measure", 1);
    make_dir(dir, sizeof(dir));
    /* A first "process": no wisdom, so FFTW measures and saves it. */
    hetero__fft_forget_wisdom();
    ctx = context_in(dir);
    assert_int_equal(hetero__fft_plan_get(ctx, &k, &p), 0);
    hetero__fft_stats(ctx, &st1);
    assert_int_equal(st1.wisdom_reads, 0);
    assert_int_equal(st1.measured, 1);
    assert_int_equal(st1.from_wisdom, 0);
    assert_int_equal(st1.wisdom_writes, 1);
    assert_int_equal(st1.flags, FFTW_MEASURE);
    assert_int_equal(
        hetero__fft_wisdom_path(dir, HETERO__FFT_F64, path, sizeof(path)), 0);
    assert_int_equal(stat(path, &sb), 0);
    assert_true(sb.st_size > 0);
    hetero_context_destroy(ctx);

    /* A second "process": FFTW forgot, the new cache re-reads the file. */
    hetero__fft_forget_wisdom();
    ctx = context_in(dir);
    assert_int_equal(hetero__fft_plan_get(ctx, &k, &p), 0);
    hetero__fft_stats(ctx, &st2);
    assert_int_equal(st2.wisdom_reads, 1);
    assert_int_equal(st2.from_wisdom, 1);
    assert_int_equal(st2.measured, 0);
    assert_int_equal(st2.wisdom_writes, 0);
    assert_true(st2.plan_s < st1.plan_s);
    print_message("fft 100x100 c2c plan: %.1f ms measuring, %.2f ms from "
                  "wisdom\n",
                  st1.plan_s * 1e3, st2.plan_s * 1e3);
    hetero_context_destroy(ctx);

    /* A corrupt file is ignored, not fatal. */
    {
        FILE *f = fopen(path, "w");

        assert_non_null(f);
        fputs("(not wisdom", f);
        fclose(f);
    }
    hetero__fft_forget_wisdom();
    ctx = context_in(dir);
    k.m = 90;
    assert_int_equal(hetero__fft_plan_get(ctx, &k, &p), 0);
    hetero__fft_stats(ctx, &st2);
    assert_int_equal(st2.wisdom_reads, 0);
    assert_int_equal(st2.measured, 1);
    hetero_context_destroy(ctx);
    rm_dir(dir);
    unsetenv("HETERO_FFTW_PLANNER");
}

static void test_fft_wisdom_dir_created(void **state)
{
    char dir[4096];
    char sub[4200];
    char path[4300];
    struct hetero__fft_key k = c2c_key(12, 10, -1);
    const struct hetero__fft_plan *p = NULL;
    struct stat sb;
    hetero_context *ctx;

    (void)state;
    setenv("HETERO_FFTW_PLANNER", "measure", 1);
    make_dir(dir, sizeof(dir));
    snprintf(sub, sizeof(sub), "%s/a/b", dir);
    hetero__fft_forget_wisdom();
    ctx = context_in(sub);
    k.prec = HETERO__FFT_F32;
    assert_int_equal(hetero__fft_plan_get(ctx, &k, &p), 0);
    hetero_context_destroy(ctx);
    assert_int_equal(
        hetero__fft_wisdom_path(sub, HETERO__FFT_F32, path, sizeof(path)), 0);
    assert_int_equal(stat(path, &sb), 0);
    unlink(path);
    rmdir(sub);
    snprintf(sub, sizeof(sub), "%s/a", dir);
    rmdir(sub);
    rm_dir(dir);
    unsetenv("HETERO_FFTW_PLANNER");
}

static void test_fft_planner_env(void **state)
{
    struct hetero__fft_key k = c2c_key(4, 4, -1);
    const struct hetero__fft_plan *p = NULL;
    struct hetero__fft_stats st;
    hetero_context *ctx;

    (void)state;
    setenv("HETERO_FFTW_PLANNER", "bogus", 1);
    ctx = ts_context(1);
    assert_int_equal(hetero__fft_plan_get(ctx, &k, &p), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "HETERO_FFTW_PLANNER"));
    /* Not sticky: fixing the environment fixes the context. */
    setenv("HETERO_FFTW_PLANNER", "patient", 1);
    assert_int_equal(hetero__fft_plan_get(ctx, &k, &p), 0);
    hetero__fft_stats(ctx, &st);
    assert_int_equal(st.flags, FFTW_PATIENT);
    hetero_context_destroy(ctx);
    unsetenv("HETERO_FFTW_PLANNER");
}

struct req {
    hetero_context *ctx;
    size_t m;
    const struct hetero__fft_plan *p;
    int ret;
};

static void *request(void *arg)
{
    struct req *r = arg;
    struct hetero__fft_key k = c2c_key(60, r->m, -1);

    r->ret = hetero__fft_plan_get(r->ctx, &k, &r->p);
    return NULL;
}

static void test_fft_concurrent_requests(void **state)
{
    hetero_context *ctx;
    pthread_t th[8];
    struct req r[8];
    struct hetero__fft_stats st;
    int i;

    (void)state;
    setenv("HETERO_FFTW_PLANNER", "measure", 1);
    ctx = ts_context(1);
    /* Four threads want 60 x 70 at once, four others two other sizes. */
    for (i = 0; i < 8; i++) {
        r[i].ctx = ctx;
        r[i].m = i < 4 ? 70 : (i < 6 ? 72 : 75);
        r[i].p = NULL;
        r[i].ret = -1;
        assert_int_equal(pthread_create(&th[i], NULL, request, &r[i]), 0);
    }
    for (i = 0; i < 8; i++)
        pthread_join(th[i], NULL);
    for (i = 0; i < 8; i++) {
        assert_int_equal(r[i].ret, 0);
        assert_non_null(r[i].p);
    }
    for (i = 1; i < 4; i++)
        assert_ptr_equal(r[i].p, r[0].p);
    assert_ptr_equal(r[5].p, r[4].p);
    assert_ptr_equal(r[7].p, r[6].p);
    assert_ptr_not_equal(r[0].p, r[4].p);
    assert_ptr_not_equal(r[4].p, r[6].p);
    hetero__fft_stats(ctx, &st);
    assert_int_equal(st.misses, 3); /* each key planned once */
    assert_int_equal(st.hits, 5);
    assert_int_equal(st.plans, 3);
    hetero_context_destroy(ctx);
    unsetenv("HETERO_FFTW_PLANNER");
}

static void test_fft_good_size(void **state)
{
    (void)state;
    assert_int_equal(hetero__fft_good_size(1), 1);
    assert_int_equal(hetero__fft_good_size(11), 12);
    assert_int_equal(hetero__fft_good_size(13), 14);
    assert_int_equal(hetero__fft_good_size(17), 18);
    assert_int_equal(hetero__fft_good_size(97), 98);
    assert_int_equal(hetero__fft_good_size(121), 125);
    assert_int_equal(hetero__fft_good_size(199), 200);
    assert_int_equal(hetero__fft_good_size(1021), 1024);
    assert_int_equal(hetero__fft_good_size(2401), 2401);
    assert_int_equal(hetero__fft_good_size(2402), 2430);
    /* Huge sizes answer at once; beyond SIZE_MAX / 8 there is none. */
    {
        size_t n = ((size_t)1 << 50) + 1;
        size_t g = hetero__fft_good_size(n);
        size_t r = g;

        assert_true(g >= n && g < n + n / 16);
        while (r % 2 == 0)
            r /= 2;
        while (r % 3 == 0)
            r /= 3;
        while (r % 5 == 0)
            r /= 5;
        while (r % 7 == 0)
            r /= 7;
        assert_int_equal(r, 1);
        assert_int_equal(hetero__fft_good_size(SIZE_MAX / 4), 0);
    }
}

static void test_fft_bad_key(void **state)
{
    hetero_context *ctx = ts_context(1);
    struct hetero__fft_key k = c2c_key(4, 4, -1);
    const struct hetero__fft_plan *p = NULL;

    (void)state;
    k.n = 0;
    assert_int_equal(hetero__fft_plan_get(ctx, &k, &p), HETERO_EINVAL);
    k = c2c_key(4, 4, 0);
    assert_int_equal(hetero__fft_plan_get(ctx, &k, &p), HETERO_EINVAL);
    k = c2c_key(4, 4, -1);
    k.howmany = 0;
    assert_int_equal(hetero__fft_plan_get(ctx, &k, &p), HETERO_EINVAL);
    k = c2c_key(4, 6, -1);
    k.kind = HETERO__FFT_R2C;
    k.cpx_row = 3; /* needs 6/2 + 1 = 4 */
    assert_int_equal(hetero__fft_plan_get(ctx, &k, &p), HETERO_EINVAL);
    k = c2c_key(4, 6, -1);
    k.inplace = true;
    k.cpx_row = 8;
    assert_int_equal(hetero__fft_plan_get(ctx, &k, &p), HETERO_EINVAL);
    k = c2c_key((size_t)1 << 40, (size_t)1 << 40, -1);
    assert_int_equal(hetero__fft_plan_get(ctx, &k, &p), HETERO_EINVAL);
    assert_int_equal(hetero__fft_plan_get(ctx, NULL, &p), HETERO_EINVAL);
    assert_null(p);
    hetero_context_destroy(ctx);
}

/* Allocation k fails, for k = 0, 1, ... until none is left to fail: each
 * request fails cleanly (nothing leaks: ASan) or, when only the wisdom
 * file could not be written, still returns the plan. */
static void test_fft_alloc_faults(void **state)
{
    struct hetero__fft_key k = c2c_key(6, 10, -1);
    long n;

    (void)state;
    setenv("HETERO_FFTW_PLANNER", "measure", 1);
    for (n = 0; n < 1000; n++) {
        hetero_context *ctx = ts_context(1);
        const struct hetero__fft_plan *p = NULL;
        bool hit;
        int ret;

        k.m = 10 + (size_t)n % 7; /* new sizes: wisdom gets written */
        hetero__alloc_fault_reset();
        hetero__alloc_fail_after(n);
        ret = hetero__fft_plan_get(ctx, &k, &p);
        hetero__alloc_fail_after(-1);
        hit = hetero__alloc_fault_hit();
        hetero_context_destroy(ctx);
        if (!hit) {
            assert_int_equal(ret, 0);
            break;
        }
        assert_true(ret == HETERO_ENOMEM || ret == 0);
    }
    assert_true(n > 3);
    unsetenv("HETERO_FFTW_PLANNER");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fft_cache_hit),
        cmocka_unit_test(test_fft_known_values),
        cmocka_unit_test(test_fft_batch_and_layout),
        cmocka_unit_test(test_fft_unaligned),
        cmocka_unit_test(test_fft_wisdom_written_and_reread),
        cmocka_unit_test(test_fft_wisdom_dir_created),
        cmocka_unit_test(test_fft_planner_env),
        cmocka_unit_test(test_fft_concurrent_requests),
        cmocka_unit_test(test_fft_good_size),
        cmocka_unit_test(test_fft_bad_key),
        cmocka_unit_test(test_fft_alloc_faults),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
