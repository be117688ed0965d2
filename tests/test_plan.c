/*
 * test_plan.c - plans and dispatch on the generic call: forced devices,
 * candidates and reasons, MEASURE, shape mismatch at execute, several
 * threads running plans on one context, allocation failure in create,
 * racing a close runner-up.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "costmodel.h"
#include "internal.h"
#include "test_support.h"

struct fixture {
    hetero_context *ctx;
    const hetero_kernel *k;
    struct hetero_array in[2];
    struct hetero_array out[1];
    struct hetero_call call;
};

static void fixture_init(struct fixture *f, size_t n)
{
    memset(f, 0, sizeof(*f));
    f->ctx = ts_context(2);
    f->k = hetero_kernel_find("vecadd");
    assert_non_null(f->k);
    ts_alloc(&f->in[0], HETERO_F64, 1, &n);
    ts_alloc(&f->in[1], HETERO_F64, 1, &n);
    ts_fill_uniform(&f->in[0], 1, -1, 1);
    ts_fill_uniform(&f->in[1], 2, -1, 1);
    f->call.inputs = f->in;
    f->call.n_inputs = 2;
    f->call.outputs = f->out;
    assert_int_equal(hetero_call_alloc_outputs(f->ctx, f->k, &f->call), 0);
}

static void fixture_fini(struct fixture *f)
{
    hetero_array_free(&f->in[0]);
    hetero_array_free(&f->in[1]);
    hetero_array_free(&f->out[0]);
    hetero_context_destroy(f->ctx);
}

static void test_plan_forced_devices(void **state)
{
    static const struct {
        unsigned flags;
        enum hetero_backend backend;
    } cases[] = {
        { HETERO_PLAN_FORCE_SERIAL, HETERO_BACKEND_SERIAL },
        { HETERO_PLAN_FORCE_POOL, HETERO_BACKEND_POOL },
    };
    struct fixture f;
    size_t i;

    (void)state;
    fixture_init(&f, 1000);
    for (i = 0; i < HETERO_ARRAY_SIZE(cases); i++) {
        hetero_plan *p = NULL;
        struct hetero_plan_info info;

        assert_int_equal(hetero_plan_create(f.ctx, f.k, &f.call,
                                            cases[i].flags, &p),
                         0);
        assert_int_equal(hetero_plan_execute(p, &f.call), 0);
        assert_int_equal(hetero_plan_info(p, &info), 0);
        assert_int_equal(info.backend, cases[i].backend);
        assert_true(info.measured_s > 0.0);
        assert_non_null(strstr(info.reason, "forced"));
        hetero_plan_destroy(p);
    }
    fixture_fini(&f);
}

static void test_plan_candidates_and_explain(void **state)
{
    struct fixture f;
    hetero_plan *p = NULL;
    struct hetero_plan_info info;
    struct hetero_candidate c;
    size_t i;
    double best = 1e300;

    (void)state;
    fixture_init(&f, 10);
    assert_int_equal(hetero_plan_create(f.ctx, f.k, &f.call, 0, &p), 0);
    assert_int_equal(hetero_plan_info(p, &info), 0);
    /* serial + pool on 1 and 2 threads, at least */
    assert_true(info.n_candidates >= 3);
    for (i = 0; i < info.n_candidates; i++) {
        assert_int_equal(hetero_plan_candidate(p, i, &c), 0);
        if (c.eligible && c.predicted_s < best)
            best = c.predicted_s;
        assert_true(c.predicted_s > 0.0);
    }
    assert_true(info.predicted_s == best);
    assert_int_equal(hetero_plan_candidate(p, info.n_candidates, &c),
                     HETERO_EINVAL);
    /* a 10-element add must not be sent to two threads */
    assert_false(info.backend == HETERO_BACKEND_POOL && info.num_threads > 1);
    hetero_plan_destroy(p);
    fixture_fini(&f);
}

static void test_plan_measure(void **state)
{
    struct fixture f;
    hetero_plan *p = NULL;
    struct hetero_plan_info info;

    (void)state;
    fixture_init(&f, 100000);
    assert_int_equal(hetero_plan_create(f.ctx, f.k, &f.call,
                                        HETERO_PLAN_MEASURE, &p),
                     0);
    assert_int_equal(hetero_plan_info(p, &info), 0);
    assert_true(info.calibrated);
    assert_non_null(strstr(info.reason, "measured"));
    assert_int_equal(hetero_plan_execute(p, &f.call), 0);
    hetero_plan_destroy(p);
    fixture_fini(&f);
}

static void test_plan_execute_mismatch(void **state)
{
    struct fixture f;
    hetero_plan *p = NULL;
    struct hetero_array other[2];
    struct hetero_call c;
    size_t n = 999;

    (void)state;
    fixture_init(&f, 1000);
    assert_int_equal(hetero_plan_create(f.ctx, f.k, &f.call, 0, &p), 0);
    ts_alloc(&other[0], HETERO_F64, 1, &n);
    ts_alloc(&other[1], HETERO_F64, 1, &n);
    c = f.call;
    c.inputs = other;
    assert_int_equal(hetero_plan_execute(p, &c), HETERO_EINVAL);
    assert_non_null(strstr(hetero_context_errmsg(f.ctx), "differs"));
    c = f.call;
    c.n_outputs = 0;
    assert_int_equal(hetero_plan_execute(p, &c), HETERO_EINVAL);
    f.out[0].data = NULL;
    assert_int_equal(hetero_plan_execute(p, &f.call), HETERO_EINVAL);
    f.out[0].data = hetero_buffer_data(f.out[0].buffer);
    assert_int_equal(hetero_plan_execute(NULL, &f.call), HETERO_EINVAL);
    assert_int_equal(hetero_plan_execute(p, NULL), HETERO_EINVAL);
    hetero_plan_destroy(p);
    hetero_plan_destroy(NULL);
    hetero_array_free(&other[0]);
    hetero_array_free(&other[1]);
    fixture_fini(&f);
}

static void test_plan_bad_create(void **state)
{
    struct fixture f;
    hetero_plan *p = (hetero_plan *)(uintptr_t)0x1;
    struct hetero_plan_opts o = { .num_threads = 99 };

    (void)state;
    fixture_init(&f, 10);
    assert_int_equal(hetero_plan_create(NULL, f.k, &f.call, 0, &p),
                     HETERO_EINVAL);
    assert_int_equal(hetero_plan_create(f.ctx, NULL, &f.call, 0, &p),
                     HETERO_EINVAL);
    assert_int_equal(hetero_plan_create(f.ctx, f.k, NULL, 0, &p),
                     HETERO_EINVAL);
    assert_int_equal(hetero_plan_create_opts(f.ctx, f.k, &f.call, &o, &p),
                     HETERO_EINVAL);
    o.num_threads = 0;
    o.algo = "fft"; /* vecadd has no such algorithm */
    assert_int_equal(hetero_plan_create_opts(f.ctx, f.k, &f.call, &o, &p),
                     HETERO_ENOTSUP);
    assert_ptr_equal(p, (hetero_plan *)(uintptr_t)0x1); /* untouched */
    fixture_fini(&f);
}

static void test_plan_alloc_fault_loop(void **state)
{
    struct fixture f;
    hetero_plan *p = NULL;
    long k;
    int ret = -1;

    (void)state;
    fixture_init(&f, 100);
    for (k = 0; ret != 0; k++) {
        hetero__alloc_fail_after(k);
        ret = hetero_plan_create(f.ctx, f.k, &f.call, HETERO_PLAN_MEASURE,
                                 &p);
        if (ret)
            assert_int_equal(ret, HETERO_ENOMEM);
        assert_true(k < 100);
    }
    hetero__alloc_fault_reset();
    assert_int_equal(hetero_plan_execute(p, &f.call), 0);
    hetero_plan_destroy(p);
    fixture_fini(&f);
}

struct shared_run {
    struct fixture *f;
    hetero_plan *plan;
    int errors;
};

static void *runner(void *arg)
{
    struct shared_run *s = arg;
    struct hetero_array out;
    struct hetero_call c = s->f->call;
    size_t n = 1000;
    int i;

    ts_alloc(&out, HETERO_F64, 1, &n);
    c.outputs = &out;
    for (i = 0; i < 50; i++) {
        /* one-shot runs and a shared plan, from several threads at once */
        if (hetero_run(s->f->ctx, s->f->k, &c, 0) != 0)
            __atomic_add_fetch(&s->errors, 1, __ATOMIC_RELAXED);
        if (hetero_plan_execute(s->plan, &c) != 0)
            __atomic_add_fetch(&s->errors, 1, __ATOMIC_RELAXED);
    }
    hetero_array_free(&out);
    return NULL;
}

static void test_plan_concurrent_threads(void **state)
{
    struct fixture f;
    struct shared_run s = { 0 };
    pthread_t t[4];
    int i;

    (void)state;
    fixture_init(&f, 1000);
    s.f = &f;
    assert_int_equal(hetero_plan_create(f.ctx, f.k, &f.call,
                                        HETERO_PLAN_FORCE_POOL, &s.plan),
                     0);
    for (i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, runner, &s), 0);
    for (i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(s.errors, 0);
    hetero_plan_destroy(s.plan);
    fixture_fini(&f);
}

/* ---- racing a close runner-up ---- */

/* A context with its own (empty) calibration file and hand-set entries:
 * serial predicted 1 ms, the runner-up (the pool on 2 threads, or with
 * cl_rival the OpenCL device) 1.1 ms, everything else far behind. */
static hetero_context *race_context(const char *kname, char *dir,
                                    bool cl_rival)
{
    struct hetero_context_opts o = { .num_threads = 2, .cache_dir = dir };
    const struct hetero_kernel *k =
        (const struct hetero_kernel *)hetero_kernel_find(kname);
    hetero_context *ctx = NULL;
    double w[2] = { 1.0, 1e12 };
    size_t i;

    snprintf(dir, 256, "%s/test-plan-race-%ld-%s", HETERO_BINARY_DIR,
             (long)getpid(), kname);
    assert_int_equal(hetero_context_create(&o, &ctx), 0);
    for (i = 0; i < k->n_variants; i++) {
        const struct hetero_variant *v = &k->variants[i];
        double t1;
        size_t th;

        for (th = 1; th <= (v->backend == HETERO_BACKEND_POOL ? 2u : 1u);
             th++) {
            double t[2];

            if (v->backend == HETERO_BACKEND_SERIAL)
                t1 = 1e-3;
            else if (v->backend == HETERO_BACKEND_POOL && th == 2 &&
                     !cl_rival)
                t1 = 1.1e-3;
            else if (v->backend == HETERO_BACKEND_OPENCL && cl_rival)
                t1 = 1.1e-3;
            else
                t1 = 1.0; /* far behind */
            /* flat in the work: the same prediction at any size */
            t[0] = t1;
            t[1] = t1;
            assert_int_equal(hetero__cost_set(ctx, k, v, th, NULL, t1, 0.0, 2,
                                              w, t),
                             0);
        }
    }
    return ctx;
}

/* Inputs and outputs of a sum over n seeded values, and its serial result,
 * computed in another context: runs feed the model's online corrections,
 * and the race context's predictions must stay as set. */
static double sum_call(hetero_context *ctx, size_t n, uint64_t seed,
                       struct hetero_array *in, struct hetero_array *out,
                       struct hetero_call *call)
{
    const hetero_kernel *k = hetero_kernel_find("sum");
    hetero_context *ref = ts_context(1);
    double expect;

    memset(call, 0, sizeof(*call));
    ts_alloc(in, HETERO_F64, 1, &n);
    ts_fill_uniform(in, seed, -1, 1);
    call->inputs = in;
    call->n_inputs = 1;
    call->outputs = out;
    assert_int_equal(hetero_call_alloc_outputs(ctx, k, call), 0);
    assert_int_equal(hetero_run(ref, k, call, HETERO_PLAN_FORCE_SERIAL), 0);
    hetero_context_destroy(ref);
    memcpy(&expect, out->data, sizeof(expect));
    return expect;
}

static void race_cleanup(const char *dir)
{
    char cmd[400];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

struct race_run {
    hetero_plan *plan;
    const struct hetero_array *in;
    double expect;
    int errors;
    pthread_mutex_t mu;
};

static void *race_runner(void *arg)
{
    struct race_run *r = arg;
    struct hetero_array out = { 0 };
    struct hetero_call call = { 0 };
    int i;

    call.inputs = r->in;
    call.n_inputs = 1;
    call.outputs = &out;
    if (hetero_call_alloc_outputs(NULL, hetero_kernel_find("sum"), &call)) {
        pthread_mutex_lock(&r->mu);
        r->errors++;
        pthread_mutex_unlock(&r->mu);
        return NULL;
    }
    for (i = 0; i < 8; i++) {
        int bad = hetero_plan_execute(r->plan, &call) != 0 ||
                  memcmp(out.data, &r->expect, sizeof(double)) != 0;

        pthread_mutex_lock(&r->mu);
        r->errors += bad;
        pthread_mutex_unlock(&r->mu);
    }
    hetero_array_free(&out);
    return NULL;
}

/* sum (identical results): the close runner-up is raced; every execution
 * gives bitwise the serial result; after the race the plan keeps one
 * variant, and the reason says whether the runner-up won. Also run by 4
 * threads at once during the race. */
static void test_plan_race_identical_kernel(void **state)
{
    char dir[256];
    size_t n = 200000;
    hetero_context *ctx = race_context("sum", dir, false);
    const hetero_kernel *k = hetero_kernel_find("sum");
    struct hetero_array in = { 0 };
    struct hetero_array out = { 0 };
    struct hetero_call call = { 0 };
    struct hetero_plan_info info;
    struct race_run rr;
    hetero_plan *plan = NULL;
    enum hetero_backend first;
    size_t first_threads;
    double expect;
    pthread_t th[4];
    int i;

    (void)state;
    expect = sum_call(ctx, n, 7, &in, &out, &call);

    assert_int_equal(hetero_plan_create(ctx, k, &call, 0, &plan), 0);
    assert_int_equal(hetero_plan_info(plan, &info), 0);
    assert_int_equal(info.backend, HETERO_BACKEND_SERIAL);
    for (i = 0; i < 6; i++) {
        memset(out.data, 0, sizeof(double));
        assert_int_equal(hetero_plan_execute(plan, &call), 0);
        assert_memory_equal(out.data, &expect, sizeof(expect));
    }
    assert_int_equal(hetero_plan_info(plan, &info), 0);
    first = info.backend;
    first_threads = info.num_threads;
    if (strstr(info.reason, "won a race")) {
        assert_int_equal(info.backend, HETERO_BACKEND_POOL);
        assert_int_equal(info.num_threads, 2);
        assert_string_equal(info.device, "cpu");
    } else {
        assert_int_equal(info.backend, HETERO_BACKEND_SERIAL);
    }
    /* Settled: later executions keep to it. */
    for (i = 0; i < 4; i++) {
        assert_int_equal(hetero_plan_execute(plan, &call), 0);
        assert_memory_equal(out.data, &expect, sizeof(expect));
        assert_int_equal(hetero_plan_info(plan, &info), 0);
        assert_int_equal(info.backend, first);
        assert_int_equal(info.num_threads, first_threads);
    }
    hetero_plan_destroy(plan);

    /* Four threads executing one plan while it races (a fresh context:
     * the executions above corrected this one's predictions). */
    hetero_context_destroy(ctx);
    race_cleanup(dir);
    ctx = race_context("sum", dir, false);
    memset(&rr, 0, sizeof(rr));
    assert_int_equal(pthread_mutex_init(&rr.mu, NULL), 0);
    rr.in = &in;
    rr.expect = expect;
    assert_int_equal(hetero_plan_create(ctx, k, &call, 0, &rr.plan), 0);
    for (i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, race_runner, &rr), 0);
    for (i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(rr.errors, 0);
    hetero_plan_destroy(rr.plan);
    pthread_mutex_destroy(&rr.mu);

    /* Forced plans and one-shot runs never race: still the serial result. */
    assert_int_equal(hetero_run(ctx, k, &call, 0), 0);
    assert_memory_equal(out.data, &expect, sizeof(expect));
    hetero_array_free(&in);
    hetero_array_free(&out);
    hetero_context_destroy(ctx);
    race_cleanup(dir);
}

/* The runner-up is the OpenCL device, not opened at plan_create (the CPU
 * is predicted faster): the second execution opens it and races it. The
 * results stay bitwise the serial ones; without any OpenCL device the
 * race is called off and serial goes on. */
static void test_plan_race_lazy_opencl(void **state)
{
    char dir[256];
    size_t n = 300000;
    hetero_context *ctx = race_context("sum", dir, true);
    const hetero_kernel *k = hetero_kernel_find("sum");
    struct hetero_array in = { 0 };
    struct hetero_array out = { 0 };
    struct hetero_call call = { 0 };
    struct hetero_plan_info info;
    hetero_plan *plan = NULL;
    double expect;
    int i;

    (void)state;
    expect = sum_call(ctx, n, 9, &in, &out, &call);
    assert_int_equal(hetero_plan_create(ctx, k, &call, 0, &plan), 0);
    assert_int_equal(hetero_plan_info(plan, &info), 0);
    assert_int_equal(info.backend, HETERO_BACKEND_SERIAL);
    for (i = 0; i < 8; i++) {
        memset(out.data, 0, sizeof(double));
        assert_int_equal(hetero_plan_execute(plan, &call), 0);
        assert_memory_equal(out.data, &expect, sizeof(expect));
    }
    assert_int_equal(hetero_plan_info(plan, &info), 0);
    if (strstr(info.reason, "won a race")) {
        assert_int_equal(info.backend, HETERO_BACKEND_OPENCL);
        assert_string_not_equal(info.device, "cpu");
    } else {
        assert_int_equal(info.backend, HETERO_BACKEND_SERIAL);
        assert_string_equal(info.device, "cpu");
    }
    hetero_plan_destroy(plan);
    hetero_array_free(&in);
    hetero_array_free(&out);
    hetero_context_destroy(ctx);
    race_cleanup(dir);
}

/* vecadd is not marked identical_results: the same close prediction
 * never makes its plan switch. */
static void test_plan_no_race_otherwise(void **state)
{
    char dir[256];
    size_t n = 100000;
    hetero_context *ctx = race_context("vecadd", dir, false);
    const hetero_kernel *k = hetero_kernel_find("vecadd");
    struct hetero_array in[2] = { { 0 } };
    struct hetero_array out = { 0 };
    struct hetero_call call = { 0 };
    struct hetero_plan_info info;
    hetero_plan *plan = NULL;
    char reason[256];
    int i;

    (void)state;
    ts_alloc(&in[0], HETERO_F64, 1, &n);
    ts_alloc(&in[1], HETERO_F64, 1, &n);
    ts_fill_uniform(&in[0], 1, -1, 1);
    ts_fill_uniform(&in[1], 2, -1, 1);
    call.inputs = in;
    call.n_inputs = 2;
    call.outputs = &out;
    assert_int_equal(hetero_call_alloc_outputs(ctx, k, &call), 0);
    assert_int_equal(hetero_plan_create(ctx, k, &call, 0, &plan), 0);
    assert_int_equal(hetero_plan_info(plan, &info), 0);
    assert_int_equal(info.backend, HETERO_BACKEND_SERIAL);
    snprintf(reason, sizeof(reason), "%s", info.reason);
    for (i = 0; i < 10; i++) {
        assert_int_equal(hetero_plan_execute(plan, &call), 0);
        assert_int_equal(hetero_plan_info(plan, &info), 0);
        assert_int_equal(info.backend, HETERO_BACKEND_SERIAL);
        assert_string_equal(info.reason, reason);
    }
    hetero_plan_destroy(plan);
    hetero_array_free(&in[0]);
    hetero_array_free(&in[1]);
    hetero_array_free(&out);
    hetero_context_destroy(ctx);
    race_cleanup(dir);
}

static void test_plan_kernel_metadata(void **state)
{
    struct hetero_param_info pi;
    struct hetero_variant_info vi;
    size_t i;

    (void)state;
    assert_true(hetero_kernel_count() >= 1);
    for (i = 0; i < hetero_kernel_count(); i++) {
        const hetero_kernel *k = hetero_kernel_at(i);

        assert_non_null(hetero_kernel_name(k));
        assert_ptr_equal(hetero_kernel_find(hetero_kernel_name(k)), k);
        assert_non_null(hetero_kernel_summary(k));
        assert_true(hetero_kernel_n_variants(k) >= 2);
        assert_int_equal(hetero_kernel_variant(k, 0, &vi), 0);
        assert_int_equal(vi.backend, HETERO_BACKEND_SERIAL); /* oracle 1st */
        if (i > 0)
            assert_true(strcmp(hetero_kernel_name(hetero_kernel_at(i - 1)),
                               hetero_kernel_name(k)) < 0);
    }
    assert_null(hetero_kernel_find("nosuch"));
    assert_null(hetero_kernel_find(NULL));
    assert_null(hetero_kernel_at(hetero_kernel_count()));
    assert_int_equal(hetero_kernel_param(hetero_kernel_at(0), 999, &pi),
                     HETERO_EINVAL);
    assert_string_equal(hetero_backend_name(HETERO_BACKEND_OPENCL), "opencl");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_forced_devices),
        cmocka_unit_test(test_plan_candidates_and_explain),
        cmocka_unit_test(test_plan_measure),
        cmocka_unit_test(test_plan_execute_mismatch),
        cmocka_unit_test(test_plan_bad_create),
        cmocka_unit_test(test_plan_alloc_fault_loop),
        cmocka_unit_test(test_plan_concurrent_threads),
        cmocka_unit_test(test_plan_kernel_metadata),
        cmocka_unit_test(test_plan_race_identical_kernel),
        cmocka_unit_test(test_plan_race_lazy_opencl),
        cmocka_unit_test(test_plan_no_race_otherwise),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
