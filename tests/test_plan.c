/*
 * test_plan.c - plans and dispatch on the generic call: forced devices,
 * candidates and reasons, MEASURE, shape mismatch at execute, several
 * threads running plans on one context, allocation failure in create.
 */
#include <pthread.h>
#include <string.h>

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
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
