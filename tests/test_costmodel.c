/*
 * test_costmodel.c - the cost model: least-squares fit on synthetic timings,
 * calibration file round trip, foreign/corrupt files, concurrent writers,
 * calibrated predictions in plans.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "costmodel.h"
#include "test_support.h"

static char cache_dir[512];

static hetero_context *ctx_in_cache(void)
{
    struct hetero_context_opts o = { .num_threads = 2,
                                     .cache_dir = cache_dir };
    hetero_context *ctx = NULL;

    assert_int_equal(hetero_context_create(&o, &ctx), 0);
    return ctx;
}

static int setup(void **state)
{
    (void)state;
    snprintf(cache_dir, sizeof(cache_dir), "%s/test-costmodel-%ld",
             HETERO_BINARY_DIR, (long)getpid());
    return 0;
}

static int teardown(void **state)
{
    char cmd[600];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cache_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_costmodel_fit_recovers_coefficients(void **state)
{
    double w[6] = { 1e3, 1e4, 1e5, 1e6, 1e7, 1e8 };
    double t[6];
    double a;
    double b;
    size_t i;

    (void)state;
    for (i = 0; i < 6; i++)
        t[i] = 5e-6 + 2.5e-10 * w[i];
    assert_int_equal(hetero__cost_fit(w, t, 6, &a, &b), 0);
    assert_true(fabs(a - 5e-6) < 1e-9);
    assert_true(fabs(b - 2.5e-10) < 1e-14);
    /* one outlier-free noisy set: within a few percent */
    for (i = 0; i < 6; i++)
        t[i] = (5e-6 + 2.5e-10 * w[i]) * (i % 2 ? 1.02 : 0.98);
    assert_int_equal(hetero__cost_fit(w, t, 6, &a, &b), 0);
    assert_true(fabs(b / 2.5e-10 - 1.0) < 0.05);
    /* pure rate: a clamps at 0, never negative */
    for (i = 0; i < 6; i++)
        t[i] = 1e-9 * w[i] * (i == 0 ? 0.5 : 1.0);
    assert_int_equal(hetero__cost_fit(w, t, 6, &a, &b), 0);
    assert_true(a >= 0.0 && b > 0.0);
    /* one point measured in a slow phase (2x): the robust fit drops it
     * and recovers the line; the plain fit is pulled off */
    for (i = 0; i < 6; i++)
        t[i] = (5e-6 + 2.5e-10 * w[i]) * (i == 4 ? 2.0 : 1.0);
    {
        bool keep[6];

        assert_int_equal(hetero__cost_fit_robust(w, t, 6, &a, &b, keep), 0);
        assert_true(fabs(b / 2.5e-10 - 1.0) < 1e-6);
        assert_true(fabs(a / 5e-6 - 1.0) < 1e-6);
        for (i = 0; i < 6; i++)
            assert_true(keep[i] == (i != 4));
        assert_int_equal(hetero__cost_fit(w, t, 6, &a, &b), 0);
        assert_true(fabs(b / 2.5e-10 - 1.0) > 0.05);
        /* a point faster than the line is never rejected */
        for (i = 0; i < 6; i++)
            t[i] = (5e-6 + 2.5e-10 * w[i]) * (i == 4 ? 0.4 : 1.0);
        assert_int_equal(hetero__cost_fit_robust(w, t, 6, &a, &b, keep), 0);
        for (i = 0; i < 6; i++)
            assert_true(keep[i]);
        /* noise of a few percent is not an outlier */
        for (i = 0; i < 6; i++)
            t[i] = (5e-6 + 2.5e-10 * w[i]) * (i % 2 ? 1.1 : 0.9);
        assert_int_equal(hetero__cost_fit_robust(w, t, 6, &a, &b, keep), 0);
        for (i = 0; i < 6; i++)
            assert_true(keep[i]);
        /* too few points to tell: nothing rejected */
        t[1] *= 3.0;
        assert_int_equal(hetero__cost_fit_robust(w, t, 3, &a, &b, keep), 0);
        assert_true(keep[0] && keep[1] && keep[2]);
    }
    /* cleaning the points for interpolation */
    {
        double cw[5] = { 1, 2, 4, 8, 16 };
        double ct[5] = { 1, 5, 4, 8, 16 }; /* 2 slower than 4 */
        double sw[5] = { 1, 2, 4, 8, 16 };
        double st[5] = { 1, 2, 8, 8.5, 16 }; /* a spike at 4 */
        double kw[5] = { 1, 2, 4, 8, 16 };
        double kt[5] = { 1, 2, 4, 16, 32 }; /* a real step: kept */

        assert_int_equal(hetero__cost_clean_points(cw, ct, 5), 4);
        assert_true(cw[1] == 4 && ct[1] == 4 && ct[3] == 16);
        assert_int_equal(hetero__cost_clean_points(sw, st, 5), 4);
        assert_true(sw[2] == 8 && st[2] == 8.5);
        assert_int_equal(hetero__cost_clean_points(kw, kt, 5), 5);
        assert_true(kt[3] == 16);
        assert_int_equal(hetero__cost_clean_points(kw, kt, 1), 1);
    }
    /* bad input */
    assert_int_equal(hetero__cost_fit(w, t, 1, &a, &b), HETERO_EINVAL);
    t[2] = -1.0;
    assert_int_equal(hetero__cost_fit(w, t, 6, &a, &b), HETERO_EINVAL);
}

static void test_costmodel_file_round_trip(void **state)
{
    const hetero_kernel *k = hetero_kernel_find("vecadd");
    const struct hetero_kernel *kk = (const struct hetero_kernel *)k;
    double w[3] = { 10, 100, 1000 };
    double t[3] = { 1e-6, 2e-6, 1e-5 };
    struct hetero__prediction p;
    struct hetero_work work = { .flops = 100, .bytes = 0 };
    hetero_context *ctx = ctx_in_cache();
    hetero_context *ctx2;

    (void)state;
    assert_int_equal(hetero_calibration_entries(ctx), 0);
    hetero__cost_predict(ctx, kk, &kk->variants[0], 1, NULL, false, &work,
                         &p);
    assert_false(p.calibrated);
    assert_int_equal(hetero__cost_set(ctx, kk, &kk->variants[0], 1, NULL,
                                      1e-6, 1e-8, 3, w, t),
                     0);
    assert_int_equal(hetero__cost_save(ctx), 0);
    hetero_context_destroy(ctx);

    ctx2 = ctx_in_cache();
    assert_int_equal(hetero_calibration_entries(ctx2), 1);
    hetero__cost_predict(ctx2, kk, &kk->variants[0], 1, NULL, false, &work,
                         &p);
    assert_true(p.calibrated);
    assert_true(fabs(p.total_s - 2e-6) < 1e-12); /* measured point */
    /* another thread count is not calibrated */
    hetero__cost_predict(ctx2, kk, &kk->variants[1], 2, NULL, false, &work,
                         &p);
    assert_false(p.calibrated);
    hetero_context_destroy(ctx2);
}

/* Online refinement (hetero__cost_observe): a run that takes what the
 * model predicts changes nothing, even between the fitted line and the
 * measured points; repeated slower runs pull the prediction towards them
 * at their size and not far from it; one absurd run moves it by a bounded
 * step, and never past 4x. */
static void test_costmodel_online_refinement(void **state)
{
    const hetero_kernel *k = hetero_kernel_find("vecadd");
    const struct hetero_kernel *kk = (const struct hetero_kernel *)k;
    const struct hetero_variant *v = &kk->variants[0];
    double w[3] = { 10, 100, 1000 };
    double t[3] = { 1e-6, 2e-6, 1e-5 };
    struct hetero__prediction p;
    struct hetero_work work = { .flops = 100, .bytes = 0 };
    struct hetero_work far = { 0 };
    struct hetero_work near = { 0 };
    hetero_context *ctx = ctx_in_cache();
    double before;
    int i;

    (void)state;
    /* The line (a = 0, b = 1e-8) says 1 us at w = 100; the point says 2. */
    assert_int_equal(hetero__cost_set(ctx, kk, v, 1, NULL, 0.0, 1e-8, 3, w,
                                      t),
                     0);
    hetero__cost_predict(ctx, kk, v, 1, NULL, false, &work, &p);
    assert_true(fabs(p.total_s - 2e-6) < 1e-12);
    for (i = 0; i < 20; i++)
        hetero__cost_observe(ctx, kk, v, 1, NULL, &work, 2e-6);
    hetero__cost_predict(ctx, kk, v, 1, NULL, false, &work, &p);
    assert_true(fabs(p.total_s / 2e-6 - 1.0) < 1e-9);

    for (i = 0; i < 40; i++)
        hetero__cost_observe(ctx, kk, v, 1, NULL, &work, 3e-6);
    hetero__cost_predict(ctx, kk, v, 1, NULL, false, &work, &p);
    assert_true(fabs(p.total_s / 3e-6 - 1.0) < 0.01);
    /* The correction is local: 10x away nothing changed (the measured
     * point, 1e-5 at w = 1000), 1.2x away about half of it applies. */
    far.flops = 1000;
    hetero__cost_predict(ctx, kk, v, 1, NULL, false, &far, &p);
    assert_true(fabs(p.total_s / 1e-5 - 1.0) < 1e-9);
    near.flops = 120;
    hetero__cost_predict(ctx, kk, v, 1, NULL, false, &near, &p);
    {
        /* uncorrected: log-log interpolation between (100, 2) and
         * (1000, 10) us */
        double raw = 2e-6 * pow(1.2, log(5.0) / log(10.0));
        double f = p.total_s / raw;

        assert_true(f > 1.15 && f < 1.35);
    }

    before = p.total_s;
    hetero__cost_observe(ctx, kk, v, 1, NULL, &work, 1.0);
    hetero__cost_predict(ctx, kk, v, 1, NULL, false, &work, &p);
    assert_true(p.total_s > before && p.total_s < 1.35 * before);
    for (i = 0; i < 100; i++)
        hetero__cost_observe(ctx, kk, v, 1, NULL, &work, 1.0);
    hetero__cost_predict(ctx, kk, v, 1, NULL, false, &work, &p);
    assert_true(p.total_s <= 4.0 * 2e-6 * (1.0 + 1e-9));
    /* Bad observations are ignored. */
    before = p.total_s;
    hetero__cost_observe(ctx, kk, v, 1, NULL, &work, NAN);
    hetero__cost_observe(ctx, kk, v, 1, NULL, &work, -1.0);
    hetero__cost_observe(ctx, kk, v, 1, NULL, &work, 0.0);
    hetero__cost_predict(ctx, kk, v, 1, NULL, false, &work, &p);
    assert_true(p.total_s == before);
    hetero_context_destroy(ctx);
}

static void write_file(const char *text)
{
    char path[600];
    FILE *f;

    snprintf(path, sizeof(path), "%s/calibration-v1.txt", cache_dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_costmodel_foreign_and_corrupt_files(void **state)
{
    hetero_context *ctx = ctx_in_cache();
    char good_header[512];
    char text[1024];
    FILE *f;

    (void)state;
    /* make the directory and a valid file, then damage it */
    assert_int_equal(hetero__cost_save(ctx), 0);
    snprintf(text, sizeof(text), "%s/calibration-v1.txt", cache_dir);
    f = fopen(text, "r");
    assert_non_null(f);
    assert_non_null(fgets(good_header, sizeof(good_header), f));
    fclose(f);

    write_file("libhetero-calibration 1 0.0.0 another-machine\n");
    assert_int_equal(hetero_calibration_load(ctx), HETERO_ECALIB);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "ignored"));
    assert_int_equal(hetero_calibration_entries(ctx), 0);

    snprintf(text, sizeof(text), "%svecadd 1 serial - 1 cpu nan 1 0\n",
             good_header);
    write_file(text);
    assert_int_equal(hetero_calibration_load(ctx), HETERO_ECALIB);
    assert_int_equal(hetero_calibration_entries(ctx), 0);

    snprintf(text, sizeof(text), "%svecadd 1 serial - 1 cpu 1e-6 1e-9 2 "
             "10:1e-6\n", good_header); /* promised 2 points, has 1 */
    write_file(text);
    assert_int_equal(hetero_calibration_load(ctx), HETERO_ECALIB);

    snprintf(text, sizeof(text), "%sgarbage\n", good_header);
    write_file(text);
    assert_int_equal(hetero_calibration_load(ctx), HETERO_ECALIB);

    write_file("");
    assert_int_equal(hetero_calibration_load(ctx), HETERO_ECALIB);

    snprintf(text, sizeof(text),
             "%svecadd 1 serial - 1 cpu 1e-6 1e-9 2 10:1e-6 20:2e-6\n",
             good_header);
    write_file(text);
    assert_int_equal(hetero_calibration_load(ctx), 0);
    assert_int_equal(hetero_calibration_entries(ctx), 1);
    hetero_context_destroy(ctx);
}

static void test_costmodel_concurrent_writers(void **state)
{
    const struct hetero_kernel *kk =
        (const struct hetero_kernel *)hetero_kernel_find("vecadd");
    pid_t pids[4];
    int i;
    hetero_context *ctx;

    (void)state;
    for (i = 0; i < 4; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            hetero_context *c = ctx_in_cache();
            double w[2] = { 1, 2 };
            double t[2] = { 1e-6, 2e-6 };
            int r;
            int rc = 0;

            for (r = 0; r < 30 && rc == 0; r++) {
                rc = hetero__cost_set(c, kk, &kk->variants[1],
                                      (size_t)(i + 1), NULL, 1e-6, 1e-9, 2, w,
                                      t);
                if (rc == 0)
                    rc = hetero__cost_save(c);
            }
            hetero_context_destroy(c);
            _exit(rc == 0 ? 0 : 1);
        }
    }
    for (i = 0; i < 4; i++) {
        int st = 0;

        assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    ctx = ctx_in_cache();
    /* the file is whole and valid (each rename was a complete file) */
    assert_int_equal(hetero_calibration_load(ctx), 0);
    assert_true(hetero_calibration_entries(ctx) >= 1);
    hetero_context_destroy(ctx);
}

static void test_costmodel_calibrate_vecadd(void **state)
{
    struct hetero_calibrate_opts o = { .quick = true };
    hetero_context *ctx = ctx_in_cache();
    const hetero_kernel *k = hetero_kernel_find("vecadd");
    struct hetero_array in[2];
    struct hetero_array out[1];
    struct hetero_call call = { .inputs = in, .n_inputs = 2, .outputs = out };
    hetero_plan *p = NULL;
    struct hetero_plan_info info;
    size_t n = 5000;

    (void)state;
    o.kernel = k;
    assert_int_equal(hetero_calibrate(ctx, &o), 0);
    assert_true(hetero_calibration_entries(ctx) >= 3); /* serial, pool x2 */
    ts_alloc(&in[0], HETERO_F64, 1, &n);
    ts_alloc(&in[1], HETERO_F64, 1, &n);
    assert_int_equal(hetero_call_alloc_outputs(ctx, k, &call), 0);
    assert_int_equal(hetero_plan_create(ctx, k, &call, 0, &p), 0);
    assert_int_equal(hetero_plan_info(p, &info), 0);
    assert_true(info.calibrated);
    assert_non_null(strstr(info.reason, "calibrated model"));
    assert_int_equal(hetero_plan_execute(p, &call), 0);
    hetero_plan_destroy(p);
    hetero_array_free(&in[0]);
    hetero_array_free(&in[1]);
    hetero_array_free(&out[0]);
    hetero_context_destroy(ctx);
    assert_int_equal(hetero_calibrate(NULL, NULL), HETERO_EINVAL);
}

static void test_costmodel_crossover(void **state)
{
    /* No calibration file: the built-in defaults decide. */
    struct hetero_context_opts o = { .num_threads = 2,
                                     .cache_dir = "/nonexistent/hetero" };
    hetero_context *ctx = NULL;
    const hetero_kernel *k = hetero_kernel_find("vecadd");
    struct hetero_array in[2] = {
        { .dtype = HETERO_F64, .ndim = 1, .shape = { 1 } },
        { .dtype = HETERO_F64, .ndim = 1, .shape = { 1 } },
    };
    struct hetero_call tmpl = { .inputs = in, .n_inputs = 2 };
    struct hetero_crossover cx[8];
    size_t n = 0;
    size_t i;
    bool seen_pool2 = false;

    (void)state;
    assert_int_equal(hetero_context_create(&o, &ctx), 0);
    assert_int_equal(hetero_crossover(ctx, k, &tmpl, 10000000, cx, 8, &n), 0);
    assert_true(n >= 3);
    for (i = 0; i < n; i++) {
        if (cx[i].backend == HETERO_BACKEND_POOL && cx[i].num_threads == 2) {
            /* the defaults charge a pool wake-up: not worth it for one
             * element, worth it for ten million */
            seen_pool2 = true;
            assert_true(cx[i].size > 1 && cx[i].size < 10000000);
            assert_true(cx[i].wins_at_max);
            assert_true(cx[i].ratio < 1.0);
        }
        if (cx[i].backend == HETERO_BACKEND_SERIAL)
            assert_int_equal(cx[i].size, 0); /* serial never beats itself */
    }
    assert_true(seen_pool2);
    assert_int_equal(hetero_crossover(ctx, k, &tmpl, 0, cx, 8, &n),
                     HETERO_EINVAL);
    assert_int_equal(hetero_crossover(ctx, NULL, &tmpl, 10, cx, 8, &n),
                     HETERO_EINVAL);
    hetero_context_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_costmodel_fit_recovers_coefficients),
        cmocka_unit_test(test_costmodel_file_round_trip),
        cmocka_unit_test(test_costmodel_online_refinement),
        cmocka_unit_test(test_costmodel_foreign_and_corrupt_files),
        cmocka_unit_test(test_costmodel_concurrent_writers),
        cmocka_unit_test(test_costmodel_calibrate_vecadd),
        cmocka_unit_test(test_costmodel_crossover),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
