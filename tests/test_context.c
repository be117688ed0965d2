/*
 * test_context.c - context creation, options, cache directory, the log
 * callback, version, and allocation failure at every step of create.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "test_support.h"

static void test_context_create_destroy(void **state)
{
    hetero_context *ctx = NULL;
    struct hetero_context_opts o = { .num_threads = 3 };
    int i;

    (void)state;
    assert_int_equal(hetero_context_create(&o, &ctx), 0);
    assert_int_equal(hetero_context_num_threads(ctx), 3);
    assert_non_null(hetero_context_pool(ctx));
    assert_int_equal(hetero_pool_size(hetero_context_pool(ctx)), 3);
    hetero_context_destroy(ctx);
    hetero_context_destroy(NULL);
    for (i = 0; i < 200; i++) {
        assert_int_equal(hetero_context_create(NULL, &ctx), 0);
        hetero_context_destroy(ctx);
    }
}

static void test_context_bad_args(void **state)
{
    hetero_context *ctx = (hetero_context *)(uintptr_t)0x1;
    struct hetero_context_opts o = { .num_threads = 100000 };

    (void)state;
    assert_int_equal(hetero_context_create(NULL, NULL), HETERO_EINVAL);
    assert_int_equal(hetero_context_create(&o, &ctx), HETERO_EINVAL);
    assert_ptr_equal(ctx, (hetero_context *)(uintptr_t)0x1); /* untouched */
    assert_non_null(strstr(hetero_context_errmsg(NULL), "num_threads"));
    o.num_threads = 0;
    o.log_level = (enum hetero_log_level)17;
    assert_int_equal(hetero_context_create(&o, &ctx), HETERO_EINVAL);
    assert_null(hetero_context_pool(NULL));
    assert_int_equal(hetero_context_num_threads(NULL), 0);
}

static void test_context_env_threads(void **state)
{
    hetero_context *ctx = NULL;

    (void)state;
    setenv("HETERO_NUM_THREADS", "3", 1);
    assert_int_equal(hetero_context_create(NULL, &ctx), 0);
    assert_int_equal(hetero_context_num_threads(ctx), 3);
    hetero_context_destroy(ctx);
    setenv("HETERO_NUM_THREADS", "three", 1);
    assert_int_equal(hetero_context_create(NULL, &ctx), HETERO_EINVAL);
    unsetenv("HETERO_NUM_THREADS");
}

static void test_context_cache_dir(void **state)
{
    hetero_context *ctx = NULL;
    struct hetero_context_opts o = { .cache_dir = "/tmp/somewhere" };
    char *saved = getenv("XDG_CACHE_HOME") ? strdup(getenv("XDG_CACHE_HOME"))
                                           : NULL;

    (void)state;
    assert_int_equal(hetero_context_create(&o, &ctx), 0);
    assert_string_equal(hetero_context_cache_dir(ctx), "/tmp/somewhere");
    hetero_context_destroy(ctx);
    setenv("XDG_CACHE_HOME", "/x/y", 1);
    assert_int_equal(hetero_context_create(NULL, &ctx), 0);
    assert_string_equal(hetero_context_cache_dir(ctx), "/x/y/hetero");
    hetero_context_destroy(ctx);
    setenv("XDG_CACHE_HOME", "relative/ignored", 1);
    setenv("HOME", "/home/u", 1);
    assert_int_equal(hetero_context_create(NULL, &ctx), 0);
    assert_string_equal(hetero_context_cache_dir(ctx), "/home/u/.cache/hetero");
    hetero_context_destroy(ctx);
    if (saved) {
        setenv("XDG_CACHE_HOME", saved, 1);
        free(saved);
    } else {
        unsetenv("XDG_CACHE_HOME");
    }
}

struct log_capture {
    int calls;
    char last[256];
};

static void capture(void *user, enum hetero_log_level level, const char *msg)
{
    struct log_capture *c = user;

    (void)level;
    c->calls++;
    strncpy(c->last, msg, sizeof(c->last) - 1);
}

static void test_context_log_callback(void **state)
{
    struct log_capture cap = { 0 };
    struct hetero_context_opts o = { .log = capture, .log_user = &cap,
                                     .log_level = HETERO_LOG_WARN };
    hetero_context *ctx = NULL;
    const hetero_kernel *k = hetero_kernel_find("vecadd");
    struct hetero_call call = { 0 };
    hetero_plan *p = NULL;

    (void)state;
    assert_int_equal(hetero_context_create(&o, &ctx), 0);
    assert_int_equal(hetero_plan_create(ctx, k, &call, 0, &p), HETERO_EINVAL);
    assert_true(cap.calls >= 1);
    assert_non_null(strstr(cap.last, "vecadd"));
    hetero_context_destroy(ctx);
}

static void test_context_version(void **state)
{
    char expect[32];

    (void)state;
    snprintf(expect, sizeof(expect), "%d.%d.%d", HETERO_VERSION_MAJOR,
             HETERO_VERSION_MINOR, HETERO_VERSION_PATCH);
    assert_string_equal(hetero_version(), expect);
    assert_int_equal(hetero_version_number(), HETERO_VERSION_NUMBER);
}

static void test_context_alloc_fault_loop(void **state)
{
    struct hetero_context_opts o = { .num_threads = 2 };
    hetero_context *ctx = NULL;
    long k;
    int ret = -1;

    (void)state;
    for (k = 0; ret != 0; k++) {
        hetero__alloc_fail_after(k);
        ret = hetero_context_create(&o, &ctx);
        if (ret)
            assert_int_equal(ret, HETERO_ENOMEM);
        assert_true(k < 100);
    }
    hetero__alloc_fault_reset();
    hetero_context_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_context_create_destroy),
        cmocka_unit_test(test_context_bad_args),
        cmocka_unit_test(test_context_env_threads),
        cmocka_unit_test(test_context_cache_dir),
        cmocka_unit_test(test_context_log_callback),
        cmocka_unit_test(test_context_version),
        cmocka_unit_test(test_context_alloc_fault_loop),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
