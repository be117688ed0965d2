/*
 * test_cl.c - the OpenCL runtime (lib/src/cl) and vecadd's OpenCL variant:
 * results against the serial reference, device listing and selection,
 * the binary cache (miss, hit, corrupt entries), buffer mirrors, injected
 * faults, allocation failures, concurrency, launch latency.
 *
 * Every test skips without an OpenCL device; if all skip, the binary exits
 * 77 (CTest: skipped). `test_cl --no-platform` runs the tests meant for a
 * process started with OCL_ICD_VENDORS pointing at an empty directory.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_support.h"

#include "buffer_internal.h"
#include "cl/cl_internal.h"
#include "costmodel.h"
#include "vecadd/vecadd.h"

static bool have_cl;

/* Skips the calling test when there is no OpenCL device. */
static void need_cl(void)
{
    if (!have_cl) {
        ts_skip();
    }
}

/* ---- helpers ---- */

/* Removes the files of dir (one level) and dir itself; missing is fine. */
static void rm_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4096];

    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* A fresh, empty cache directory for test `name` (static buffer). */
static const char *fresh_cache(const char *name)
{
    static char dir[2048];
    char sub[2100];

    mkdir(HETERO_BINARY_DIR "/test-cl", 0755);
    snprintf(dir, sizeof(dir), "%s/test-cl/%s", HETERO_BINARY_DIR, name);
    snprintf(sub, sizeof(sub), "%s/cl", dir);
    rm_dir(sub);
    rm_dir(dir);
    assert_int_equal(mkdir(dir, 0755), 0);
    return dir;
}

static hetero_context *new_context(const char *cache_dir)
{
    struct hetero_context_opts o = { .num_threads = 2,
                                     .cache_dir = cache_dir };
    hetero_context *ctx = NULL;

    assert_int_equal(hetero_context_create(&o, &ctx), 0);
    return ctx;
}

static struct hetero__cl_device *device(hetero_context *ctx)
{
    struct hetero__cl_device *dev = NULL;
    int ret = hetero__cl_device_get(ctx, &dev);

    if (ret)
        fail_msg("hetero__cl_device_get: %s: %s", hetero_err_name(ret),
                 hetero_context_errmsg(ctx));
    return dev;
}

static bool contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; *hay; hay++) {
        size_t i;

        for (i = 0; i < n && hay[i]; i++) {
            if (tolower((unsigned char)hay[i]) !=
                tolower((unsigned char)needle[i]))
                break;
        }
        if (i == n)
            return true;
    }
    return false;
}

static void assert_errmsg_has(hetero_context *ctx, const char *what)
{
    const char *msg = hetero_context_errmsg(ctx);

    if (!strstr(msg, what))
        fail_msg("errmsg \"%s\" lacks \"%s\"", msg, what);
}

/* Runs vecadd on n elements of dtype with `flags`, returns the run's code;
 * on success checks the result bitwise against a + b. Library arrays when
 * `lib`, caller memory otherwise. */
static int vecadd_check(hetero_context *ctx, enum hetero_dtype dtype,
                        size_t n, unsigned flags, bool lib)
{
    const hetero_kernel *k = hetero_kernel_find("vecadd");
    size_t es = hetero_dtype_size(dtype);
    struct hetero_array arr[3];
    struct hetero_array expect;
    struct hetero_call call;
    hetero_plan *plan = NULL;
    void *mem[3] = { NULL, NULL, NULL };
    size_t i;
    int ret;

    for (i = 0; i < 3; i++) {
        if (lib) {
            ts_alloc(&arr[i], dtype, 1, &n);
        } else {
            mem[i] = malloc(n * es);
            assert_non_null(mem[i]);
            arr[i] = (struct hetero_array){ .dtype = dtype, .ndim = 1,
                                            .shape = { n }, .data = mem[i] };
        }
    }
    ts_alloc(&expect, dtype, 1, &n);
    ts_fill_uniform(&arr[0], 7 + n, -1e3, 1e3);
    ts_fill_uniform(&arr[1], 11 + n, -1.0, 1.0);
    for (i = 0; i < n; i++) {
        if (dtype == HETERO_F64)
            ((double *)expect.data)[i] = ((double *)arr[0].data)[i] +
                                         ((double *)arr[1].data)[i];
        else
            ((float *)expect.data)[i] = ((float *)arr[0].data)[i] +
                                        ((float *)arr[1].data)[i];
    }
    call = (struct hetero_call){ .inputs = arr, .n_inputs = 2,
                                 .outputs = &arr[2], .n_outputs = 1 };
    ret = hetero_plan_create(ctx, k, &call, flags, &plan);
    if (ret == 0) {
        ret = hetero_plan_execute(plan, &call);
        hetero_plan_destroy(plan);
    }
    if (ret == 0)
        ts_assert_bitwise(&arr[2], &expect);
    hetero_array_free(&expect);
    for (i = 0; i < 3; i++) {
        if (lib)
            hetero_array_free(&arr[i]);
        free(mem[i]);
    }
    return ret;
}

static const size_t sizes[] = { 1, 7, 1000, 1000003 };

/* ---- vecadd against the reference ---- */

static void check_sizes(enum hetero_dtype dtype, unsigned test_flags)
{
    hetero_context *ctx = new_context(fresh_cache("sizes"));
    size_t s;

    hetero__cl_device_test_flags(device(ctx), test_flags);
    for (s = 0; s < HETERO_ARRAY_SIZE(sizes); s++) {
        assert_int_equal(vecadd_check(ctx, dtype, sizes[s],
                                      HETERO_PLAN_FORCE_OPENCL, true),
                         0);
        assert_int_equal(vecadd_check(ctx, dtype, sizes[s],
                                      HETERO_PLAN_FORCE_OPENCL, false),
                         0);
    }
    hetero_context_destroy(ctx);
}

static void test_cl_vecadd_f64(void **state)
{
    (void)state;
    need_cl();
    check_sizes(HETERO_F64, 0);
}

static void test_cl_vecadd_f32(void **state)
{
    (void)state;
    need_cl();
    check_sizes(HETERO_F32, 0);
}

/* The copy path of discrete-memory GPUs, exercised on this device. */
static void test_cl_vecadd_discrete(void **state)
{
    (void)state;
    need_cl();
    check_sizes(HETERO_F64, HETERO__CL_TEST_DISCRETE);
    check_sizes(HETERO_F32, HETERO__CL_TEST_DISCRETE);
}

/* c aliasing a (in place), and b == a. */
static void test_cl_vecadd_alias(void **state)
{
    hetero_context *ctx;
    const hetero_kernel *k = hetero_kernel_find("vecadd");
    unsigned mode;

    (void)state;
    need_cl();
    ctx = new_context(fresh_cache("alias"));
    for (mode = 0; mode < 2; mode++) {
        size_t n = 1001;
        double *a = malloc(n * sizeof(*a));
        double *b = malloc(n * sizeof(*b));
        struct hetero_array arr[2] = {
            { .dtype = HETERO_F64, .ndim = 1, .shape = { n }, .data = a },
            { .dtype = HETERO_F64, .ndim = 1, .shape = { n }, .data = b },
        };
        struct hetero_call call = { .inputs = arr, .n_inputs = 2,
                                    .outputs = arr, .n_outputs = 1 };
        size_t i;

        hetero__cl_device_test_flags(device(ctx),
                                     mode ? HETERO__CL_TEST_DISCRETE : 0);
        for (i = 0; i < n; i++) {
            a[i] = (double)i;
            b[i] = 0.5;
        }
        /* a = a + b */
        assert_int_equal(hetero_run(ctx, k, &call, HETERO_PLAN_FORCE_OPENCL),
                         0);
        for (i = 0; i < n; i++)
            assert_true(a[i] == (double)i + 0.5);
        /* a = a + a */
        arr[1].data = a;
        assert_int_equal(hetero_run(ctx, k, &call, HETERO_PLAN_FORCE_OPENCL),
                         0);
        for (i = 0; i < n; i++)
            assert_true(a[i] == 2.0 * ((double)i + 0.5));
        free(a);
        free(b);
    }
    hetero_context_destroy(ctx);
}

/* ---- listing and selection ---- */

/* The plan reports where an OpenCL run's time went: kernel and transfer
 * time from profiling events, the rest as overhead; CPU runs report all as
 * compute. */
static void test_cl_time_split(void **state)
{
    const hetero_kernel *k = hetero_kernel_find("vecadd");
    struct hetero_plan_info info;
    hetero_context *ctx;
    hetero_plan *plan = NULL;
    struct hetero_array arr[3];
    struct hetero_call call = { .inputs = arr, .n_inputs = 2,
                                .outputs = &arr[2], .n_outputs = 1 };
    size_t n = 1000003;
    size_t i;

    (void)state;
    need_cl();
    ctx = new_context(fresh_cache("split"));
    for (i = 0; i < 3; i++)
        ts_alloc(&arr[i], HETERO_F32, 1, &n);
    assert_int_equal(hetero_plan_create(ctx, k, &call,
                                        HETERO_PLAN_FORCE_OPENCL, &plan),
                     0);
    assert_int_equal(hetero_plan_execute(plan, &call), 0);
    assert_int_equal(hetero_plan_info(plan, &info), 0);
    assert_true(info.measured_compute_s > 0.0);
    assert_true(info.measured_transfer_s >= 0.0);
    assert_true(info.measured_overhead_s >= 0.0);
    assert_true(info.measured_compute_s + info.measured_transfer_s <=
                info.measured_s * 1.01 + 1e-6);
    hetero_plan_destroy(plan);
    plan = NULL;
    assert_int_equal(hetero_plan_create(ctx, k, &call,
                                        HETERO_PLAN_FORCE_SERIAL, &plan),
                     0);
    assert_int_equal(hetero_plan_execute(plan, &call), 0);
    assert_int_equal(hetero_plan_info(plan, &info), 0);
    assert_true(info.measured_compute_s == info.measured_s);
    assert_true(info.measured_transfer_s == 0.0);
    hetero_plan_destroy(plan);
    for (i = 0; i < 3; i++)
        hetero_array_free(&arr[i]);
    hetero_context_destroy(ctx);
}

static void test_cl_device_list(void **state)
{
    static const char *const order[] = { "gpu", "accelerator", "cpu" };
    hetero_context *ctx;
    struct hetero_device_info info;
    size_t n = 0;
    size_t n_sel = 0;
    size_t expect = (size_t)-1;
    size_t t;
    size_t i;

    (void)state;
    need_cl();
    ctx = new_context(fresh_cache("list"));
    assert_int_equal(hetero_device_count(ctx, &n), 0);
    assert_true(n >= 1);
    for (t = 0; t < 3 && expect == (size_t)-1; t++) {
        for (i = 0; i < n; i++) {
            assert_int_equal(hetero_device_info(ctx, i, &info), 0);
            if (info.available && strcmp(info.type, order[t]) == 0) {
                expect = i;
                break;
            }
        }
    }
    for (i = 0; i < n; i++) {
        assert_int_equal(hetero_device_info(ctx, i, &info), 0);
        assert_true(info.name[0] != '\0');
        assert_true(info.compute_units >= 1);
        assert_true(info.global_mem > 0 && info.max_alloc > 0);
        assert_true(info.max_work_group_size >= 1);
        if (info.selected) {
            n_sel++;
            assert_int_equal(i, expect);
        }
    }
    assert_int_equal(n_sel, 1);
    /* The listing opened nothing. */
    assert_int_equal(hetero_device_info(ctx, n, &info), HETERO_ENODEV);
    assert_errmsg_has(ctx, "out of range");
    assert_int_equal(hetero_device_count(ctx, NULL), HETERO_EINVAL);
    assert_int_equal(hetero_device_count(NULL, &n), HETERO_EINVAL);
    assert_int_equal(hetero_device_info(ctx, 0, NULL), HETERO_EINVAL);
    /* The opened device is the one the listing selects. */
    assert_int_equal(hetero_device_info(ctx, expect, &info), 0);
    assert_string_equal(hetero__cl_device_name(device(ctx)), info.name);
    assert_true(info.fp64 == hetero__cl_device_has_fp64(device(ctx)));
    hetero_context_destroy(ctx);
}

/* HETERO_CL_DEVICE=value on a new context: expect `code`, and `what` in
 * the errmsg, on the first and on a later call (sticky, re-recorded). */
static void check_env(const char *value, int code, const char *what)
{
    struct hetero__cl_device *dev = NULL;
    struct hetero_device_info info;
    hetero_context *ctx;
    size_t n = 0;
    size_t i;

    setenv("HETERO_CL_DEVICE", value, 1);
    ctx = new_context(fresh_cache("env"));
    assert_int_equal(hetero__cl_device_get(ctx, &dev), code);
    if (code == 0) {
        assert_non_null(dev);
        assert_int_equal(vecadd_check(ctx, HETERO_F32, 100,
                                      HETERO_PLAN_FORCE_OPENCL, true),
                         0);
    } else {
        assert_errmsg_has(ctx, what);
        assert_errmsg_has(ctx, value);
        /* Another error in between, then the same detail again. */
        assert_int_equal(hetero_device_info(ctx, 9999, &info),
                         HETERO_ENODEV);
        assert_int_equal(hetero__cl_device_get(ctx, &dev), code);
        assert_errmsg_has(ctx, what);
        /* Forced OpenCL fails with the detail; auto still runs. */
        assert_int_not_equal(vecadd_check(ctx, HETERO_F64, 10,
                                          HETERO_PLAN_FORCE_OPENCL, true),
                             0);
        assert_errmsg_has(ctx, what);
        assert_int_equal(vecadd_check(ctx, HETERO_F64, 10, 0, true), 0);
        /* Listing works and selects nothing. */
        assert_int_equal(hetero_device_count(ctx, &n), 0);
        for (i = 0; i < n; i++) {
            assert_int_equal(hetero_device_info(ctx, i, &info), 0);
            assert_false(info.selected);
        }
    }
    hetero_context_destroy(ctx);
    unsetenv("HETERO_CL_DEVICE");
}

static void test_cl_device_env(void **state)
{
    struct hetero_device_info info;
    hetero_context *ctx;
    char part[8];
    size_t n = 0;
    size_t i;

    (void)state;
    need_cl();
    check_env("0:0", 0, NULL);
    check_env("9:9", HETERO_ENODEV, "out of range");
    check_env("0:99", HETERO_ENODEV, "no OpenCL device");
    check_env("x", HETERO_EINVAL, "too short");
    check_env("0:", HETERO_EINVAL, "malformed");
    check_env("1:", HETERO_EINVAL, "expected P:D");
    check_env(":0", HETERO_EINVAL, "malformed");
    check_env("0:0:0", HETERO_EINVAL, "malformed");
    check_env("nosuchdevice", HETERO_ENODEV, "matches no device");

    /* A case-insensitive piece of the last device's name selects it. */
    ctx = new_context(fresh_cache("env"));
    assert_int_equal(hetero_device_count(ctx, &n), 0);
    assert_int_equal(hetero_device_info(ctx, n - 1, &info), 0);
    hetero_context_destroy(ctx);
    memcpy(part, info.name, sizeof(part) - 1);
    part[sizeof(part) - 1] = '\0';
    for (i = 0; part[i]; i++)
        part[i] = (char)((i % 2) ? toupper((unsigned char)part[i])
                                 : tolower((unsigned char)part[i]));
    if (strlen(part) >= 2) {
        struct hetero__cl_device *dev = NULL;

        setenv("HETERO_CL_DEVICE", part, 1);
        ctx = new_context(fresh_cache("env"));
        assert_int_equal(hetero__cl_device_get(ctx, &dev), 0);
        /* The first device whose name contains it. */
        assert_true(contains_nocase(hetero__cl_device_name(dev), part));
        hetero_context_destroy(ctx);
        unsetenv("HETERO_CL_DEVICE");
    }
}

/* ---- binary cache ---- */

static void stats(hetero_context *ctx, struct hetero__cl_stats *s)
{
    hetero__cl_stats(ctx, s);
}

/* Path of the one cache entry under dir/cl (static buffer). */
static const char *cache_entry(const char *dir)
{
    static char path[4096];
    char sub[2048];
    struct dirent *e;
    DIR *d;
    int found = 0;

    snprintf(sub, sizeof(sub), "%s/cl", dir);
    d = opendir(sub);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);

        if (len > 4 && strcmp(e->d_name + len - 4, ".bin") == 0) {
            size_t used = (size_t)snprintf(path, sizeof(path), "%s/", sub);

            snprintf(path + used, sizeof(path) - used, "%.255s", e->d_name);
            found++;
        }
    }
    closedir(d);
    assert_int_equal(found, 1);
    return path;
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    buf = malloc((size_t)n);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void spit(const char *path, const unsigned char *buf, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    if (len)
        assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* One f64 vecadd on a new context over dir; returns its counters. */
static void run_once(const char *dir, struct hetero__cl_stats *s)
{
    hetero_context *ctx = new_context(dir);

    assert_int_equal(vecadd_check(ctx, HETERO_F64, 1000,
                                  HETERO_PLAN_FORCE_OPENCL, true),
                     0);
    stats(ctx, s);
    hetero_context_destroy(ctx);
}

static void test_cl_cache_hit(void **state)
{
    const char *dir;
    struct hetero__cl_stats s;

    (void)state;
    need_cl();
    dir = fresh_cache("hit");
    run_once(dir, &s);
    assert_int_equal(s.builds_source, 1);
    assert_int_equal(s.builds_binary, 0);
    (void)cache_entry(dir);
    run_once(dir, &s);
    assert_int_equal(s.builds_source, 0);
    assert_int_equal(s.builds_binary, 1);
    assert_int_equal(s.cache_rejects, 0);
}

/* Ways to damage an entry of `len` bytes (40-byte header + binary). */
enum damage { TRUNC_HALF, TRUNC_HEADER, EMPTY, FLIP_PAYLOAD, FLIP_MAGIC,
              FLIP_KEY, FLIP_LENGTH, APPEND, GARBAGE_BINARY, N_DAMAGE };

static void test_cl_cache_corrupt(void **state)
{
    const char *dir;
    struct hetero__cl_stats s;
    int d;

    (void)state;
    need_cl();
    dir = fresh_cache("corrupt");
    run_once(dir, &s);
    assert_int_equal(s.builds_source, 1);
    for (d = 0; d < N_DAMAGE; d++) {
        const char *path = cache_entry(dir);
        size_t len = 0;
        size_t i;
        unsigned char *buf = slurp(path, &len);
        unsigned char *big;

        assert_true(len > 40);
        switch ((enum damage)d) {
        case TRUNC_HALF:
            spit(path, buf, len / 2);
            break;
        case TRUNC_HEADER:
            spit(path, buf, 10);
            break;
        case EMPTY:
            spit(path, buf, 0);
            break;
        case FLIP_PAYLOAD:
            buf[40 + (len - 40) / 2] ^= 0x5a;
            spit(path, buf, len);
            break;
        case FLIP_MAGIC:
            buf[0] ^= 0xff;
            spit(path, buf, len);
            break;
        case FLIP_KEY:
            buf[17] ^= 0x01;
            spit(path, buf, len);
            break;
        case FLIP_LENGTH:
            buf[24] ^= 0x04;
            spit(path, buf, len);
            break;
        case APPEND:
            big = malloc(len + 1);
            assert_non_null(big);
            memcpy(big, buf, len);
            big[len] = 0;
            spit(path, big, len + 1);
            free(big);
            break;
        case GARBAGE_BINARY: {
            /* A well-formed entry whose binary is nonsense: the header
             * checks pass, the driver must refuse it. */
            unsigned long long h = 0xcbf29ce484222325ull;

            for (i = 40; i < len; i++)
                buf[i] = (unsigned char)(i * 37u);
            for (i = 40; i < len; i++) {
                h ^= buf[i];
                h *= 0x100000001b3ull;
            }
            for (i = 0; i < 8; i++)
                buf[32 + i] = (unsigned char)(h >> (8 * i));
            spit(path, buf, len);
            break;
        }
        default:
            break;
        }
        free(buf);
        run_once(dir, &s);
        if (s.builds_source != 1 || s.cache_rejects != 1)
            fail_msg("damage %d: %lu source builds, %lu rejects", d,
                     s.builds_source, s.cache_rejects);
        assert_int_equal(s.builds_binary, 0);
        /* Rewritten: the next context loads it. */
        run_once(dir, &s);
        assert_int_equal(s.builds_source, 0);
        assert_int_equal(s.builds_binary, 1);
    }
}

/* An unwritable cache directory costs builds, not errors. */
static void test_cl_cache_unwritable(void **state)
{
    struct hetero__cl_stats s;
    char dir[2100];

    (void)state;
    need_cl();
    snprintf(dir, sizeof(dir), "%s/not-a-dir", fresh_cache("unwritable"));
    spit(dir, (const unsigned char *)"x", 1); /* a file where a dir goes */
    run_once(dir, &s);
    assert_int_equal(s.builds_source, 1);
    run_once(dir, &s);
    assert_int_equal(s.builds_source, 1);
    unlink(dir);
}

/* ---- build errors and injected faults ---- */

static void test_cl_build_error(void **state)
{
    hetero_context *ctx;
    struct hetero_exec ex = { 0 };
    struct hetero__cl_kernel *k = NULL;

    (void)state;
    need_cl();
    ctx = new_context(fresh_cache("builderr"));
    ex.ctx = ctx;
    ex.cl = device(ctx);
    assert_int_equal(hetero__cl_kernel_create(&ex, "broken",
                                              "kernel void f(global REAL *x)"
                                              " { x[0] = no_such_name; }\n",
                                              "f", HETERO_F32, NULL, &k),
                     HETERO_EBUILD);
    assert_null(k);
    assert_errmsg_has(ctx, "CL_BUILD_PROGRAM_FAILURE");
    assert_errmsg_has(ctx, "no_such_name");
    assert_errmsg_has(ctx, "build log");
    /* Unknown program and entry. */
    assert_int_equal(hetero__cl_kernel_create(&ex, "nosuchprog", NULL, "f",
                                              HETERO_F32, NULL, &k),
                     HETERO_ENOENT);
    assert_int_equal(hetero__cl_kernel_create(&ex, "vecadd", NULL, "nosuch",
                                              HETERO_F32, NULL, &k),
                     HETERO_ECL);
    assert_errmsg_has(ctx, "CL_INVALID_KERNEL_NAME");
    /* The context still works. */
    assert_int_equal(vecadd_check(ctx, HETERO_F32, 100,
                                  HETERO_PLAN_FORCE_OPENCL, true),
                     0);
    hetero_context_destroy(ctx);
}

static void check_fault(const char *fault, int code, const char *cl_name,
                        int fail_on_run)
{
    hetero_context *ctx;
    int r;

    ctx = new_context(fresh_cache("fault"));
    setenv("HETERO_CL_FAULT", fault, 1);
    for (r = 1; r <= fail_on_run; r++) {
        int ret = vecadd_check(ctx, HETERO_F64, 1000,
                               HETERO_PLAN_FORCE_OPENCL, r % 2 == 0);

        if (r < fail_on_run) {
            assert_int_equal(ret, 0);
            continue;
        }
        if (ret != code)
            fail_msg("HETERO_CL_FAULT=%s: run %d gave %s, want %s", fault, r,
                     hetero_err_name(ret), hetero_err_name(code));
        assert_errmsg_has(ctx, cl_name);
    }
    unsetenv("HETERO_CL_FAULT");
    /* Cleared: the same context works, f64 and f32. */
    assert_int_equal(vecadd_check(ctx, HETERO_F64, 1000,
                                  HETERO_PLAN_FORCE_OPENCL, true),
                     0);
    assert_int_equal(vecadd_check(ctx, HETERO_F32, 7,
                                  HETERO_PLAN_FORCE_OPENCL, false),
                     0);
    hetero_context_destroy(ctx);
}

static void test_cl_fault_build(void **state)
{
    (void)state;
    need_cl();
    hetero_context *ctx;

    check_fault("build", HETERO_EBUILD, "CL_BUILD_PROGRAM_FAILURE", 1);
    /* The second build (f32, after f64) fails, once. */
    ctx = new_context(fresh_cache("fault"));
    setenv("HETERO_CL_FAULT", "build:2", 1);
    assert_int_equal(vecadd_check(ctx, HETERO_F64, 10,
                                  HETERO_PLAN_FORCE_OPENCL, true),
                     0);
    assert_int_equal(vecadd_check(ctx, HETERO_F32, 10,
                                  HETERO_PLAN_FORCE_OPENCL, true),
                     HETERO_EBUILD);
    assert_errmsg_has(ctx, "HETERO_CL_FAULT");
    assert_int_equal(vecadd_check(ctx, HETERO_F32, 10,
                                  HETERO_PLAN_FORCE_OPENCL, true),
                     0);
    unsetenv("HETERO_CL_FAULT");
    hetero_context_destroy(ctx);
}

static void test_cl_fault_alloc(void **state)
{
    int k;

    (void)state;
    need_cl();
    /* Each of the three buffers of a call (a, b, c). */
    check_fault("alloc", HETERO_ECL, "CL_MEM_OBJECT_ALLOCATION_FAILURE", 1);
    check_fault("alloc:2", HETERO_ECL, "clCreateBuffer", 1);
    check_fault("alloc:3", HETERO_ECL, "clCreateBuffer", 1);
    /* A later call. */
    check_fault("alloc:5", HETERO_ECL, "CL_MEM_OBJECT_ALLOCATION_FAILURE", 2);
    for (k = 0; k < 2; k++) {
        hetero_context *ctx = new_context(fresh_cache("fault"));

        /* The copy path too. */
        hetero__cl_device_test_flags(device(ctx), HETERO__CL_TEST_DISCRETE);
        setenv("HETERO_CL_FAULT", k ? "alloc:3" : "alloc:2", 1);
        assert_int_equal(vecadd_check(ctx, HETERO_F32, 333,
                                      HETERO_PLAN_FORCE_OPENCL, false),
                         HETERO_ECL);
        unsetenv("HETERO_CL_FAULT");
        assert_int_equal(vecadd_check(ctx, HETERO_F32, 333,
                                      HETERO_PLAN_FORCE_OPENCL, false),
                         0);
        hetero_context_destroy(ctx);
    }
}

static void test_cl_fault_enqueue(void **state)
{
    (void)state;
    need_cl();
    check_fault("enqueue", HETERO_ECL, "CL_OUT_OF_RESOURCES", 1);
    check_fault("enqueue:3", HETERO_ECL, "clEnqueueNDRangeKernel", 3);
}

/* Makes the cost model of ctx believe vecadd's OpenCL variant takes a
 * nanosecond, so that auto picks it whatever the machine. */
static void favour_opencl(hetero_context *ctx)
{
    const struct hetero_kernel *k =
        (const struct hetero_kernel *)hetero_kernel_find("vecadd");
    double w[2] = { 1.0, 1e9 };
    double t[2] = { 1e-9, 2e-9 };
    size_t i;

    for (i = 0; i < k->n_variants; i++) {
        if (k->variants[i].backend == HETERO_BACKEND_OPENCL)
            assert_int_equal(hetero__cost_set(ctx, k, &k->variants[i], 1,
                                              hetero__cl_device_id(
                                                  device(ctx)),
                                              1e-9, 1e-18, 2, w, t),
                             0);
    }
}

/* An unforced plan whose OpenCL run fails falls back to the best CPU
 * variant and says so; a STRICT plan returns the error instead. */
static void test_cl_fault_fallback(void **state)
{
    const hetero_kernel *k = hetero_kernel_find("vecadd");
    struct hetero_plan_info info;
    hetero_context *ctx;
    hetero_plan *plan = NULL;
    struct hetero_array arr[3];
    struct hetero_call call = { .inputs = arr, .n_inputs = 2,
                                .outputs = &arr[2], .n_outputs = 1 };
    size_t n = 100003;
    size_t i;

    (void)state;
    need_cl();
    ctx = new_context(fresh_cache("fallback"));
    favour_opencl(ctx);
    for (i = 0; i < 3; i++)
        ts_alloc(&arr[i], HETERO_F32, 1, &n);
    ts_fill_uniform(&arr[0], 3, -1, 1);
    ts_fill_uniform(&arr[1], 4, -1, 1);

    assert_int_equal(hetero_plan_create(ctx, k, &call, 0, &plan), 0);
    assert_int_equal(hetero_plan_info(plan, &info), 0);
    assert_int_equal(info.backend, HETERO_BACKEND_OPENCL);
    assert_true(info.calibrated);
    setenv("HETERO_CL_FAULT", "enqueue", 1);
    assert_int_equal(hetero_plan_execute(plan, &call), 0);
    unsetenv("HETERO_CL_FAULT");
    assert_int_equal(hetero_plan_info(plan, &info), 0);
    assert_true(info.fell_back);
    assert_int_not_equal(info.backend, HETERO_BACKEND_OPENCL);
    for (i = 0; i < n; i++)
        assert_true(((float *)arr[2].data)[i] ==
                    ((float *)arr[0].data)[i] + ((float *)arr[1].data)[i]);
    hetero_plan_destroy(plan);

    /* STRICT: the same failure is the caller's error ("enqueue:1" is a
     * new setting, so the count starts again). */
    plan = NULL;
    assert_int_equal(hetero_plan_create(ctx, k, &call, HETERO_PLAN_STRICT,
                                        &plan),
                     0);
    assert_int_equal(hetero_plan_info(plan, &info), 0);
    assert_int_equal(info.backend, HETERO_BACKEND_OPENCL);
    setenv("HETERO_CL_FAULT", "enqueue:1", 1);
    assert_int_equal(hetero_plan_execute(plan, &call), HETERO_ECL);
    unsetenv("HETERO_CL_FAULT");
    assert_non_null(strstr(hetero_context_errmsg(ctx), "CL_"));
    assert_int_equal(hetero_plan_info(plan, &info), 0);
    assert_false(info.fell_back);
    /* and the context still works once the fault is gone */
    assert_int_equal(hetero_plan_execute(plan, &call), 0);
    hetero_plan_destroy(plan);
    for (i = 0; i < 3; i++)
        hetero_array_free(&arr[i]);
    hetero_context_destroy(ctx);
}

/* Every library allocation of context + device + build + run failing in
 * turn: each gives an error (or is absorbed), none leaks or crashes. */
static void test_cl_alloc_faults(void **state)
{
    const hetero_kernel *k = hetero_kernel_find("vecadd");
    const char *dir;
    float a[50];
    float c[50];
    struct hetero_array arr[3] = {
        { .dtype = HETERO_F32, .ndim = 1, .shape = { 50 }, .data = a },
        { .dtype = HETERO_F32, .ndim = 1, .shape = { 50 }, .data = a },
        { .dtype = HETERO_F32, .ndim = 1, .shape = { 50 }, .data = c },
    };
    struct hetero_call call = { .inputs = arr, .n_inputs = 2,
                                .outputs = &arr[2], .n_outputs = 1 };
    bool hit = true;
    long k_fail;
    size_t i;

    (void)state;
    need_cl();
    dir = fresh_cache("oom");
    for (i = 0; i < 50; i++)
        a[i] = (float)i;
    for (k_fail = 0; k_fail < 1000 && hit; k_fail++) {
        struct hetero_context_opts o = { .num_threads = 1,
                                         .cache_dir = dir };
        hetero_context *ctx = NULL;
        int ret;

        memset(c, 0, sizeof(c));
        hetero__alloc_fail_after(k_fail);
        ret = hetero_context_create(&o, &ctx);
        if (ret == 0) {
            ret = hetero_run(ctx, k, &call, HETERO_PLAN_FORCE_OPENCL);
            hetero_context_destroy(ctx);
        }
        hit = hetero__alloc_fault_hit();
        hetero__alloc_fault_reset();
        if (ret != 0) {
            assert_true(hit);
            assert_true(ret == HETERO_ENOMEM || ret == HETERO_ENODEV);
            continue;
        }
        for (i = 0; i < 50; i++)
            assert_true(c[i] == 2.0f * (float)i);
    }
    assert_false(hit);
}

/* ---- fp64 ---- */

static void test_cl_no_fp64(void **state)
{
    hetero_context *ctx;

    (void)state;
    need_cl();
    ctx = new_context(fresh_cache("nofp64"));
    hetero__cl_device_test_flags(device(ctx), HETERO__CL_TEST_NO_FP64);
    assert_int_equal(vecadd_check(ctx, HETERO_F64, 100,
                                  HETERO_PLAN_FORCE_OPENCL, true),
                     HETERO_ENOTSUP);
    assert_errmsg_has(ctx, "device lacks fp64");
    assert_int_equal(vecadd_check(ctx, HETERO_F32, 100,
                                  HETERO_PLAN_FORCE_OPENCL, true),
                     0);
    assert_int_equal(vecadd_check(ctx, HETERO_F64, 100, 0, true), 0);
    hetero__cl_device_test_flags(device(ctx), 0);
    assert_int_equal(vecadd_check(ctx, HETERO_F64, 100,
                                  HETERO_PLAN_FORCE_OPENCL, true),
                     0);
    hetero_context_destroy(ctx);
}

/* ---- buffer mirrors ---- */

/* c = a + b through the job helpers, with the arrays' buffers. */
static void job_vecadd(const struct hetero_exec *ex,
                       struct hetero__cl_kernel *k, struct hetero_array *a,
                       struct hetero_array *b, struct hetero_array *c)
{
    size_t nbytes = 0;
    cl_ulong n = a->shape[0];
    struct hetero__cl_job job;
    cl_mem ma;
    cl_mem mb;
    cl_mem mc;

    assert_int_equal(hetero_array_nbytes(a, &nbytes), 0);
    hetero__cl_job_init(&job, ex);
    assert_int_equal(hetero__cl_job_map(&job, a->data, nbytes, a->buffer,
                                        HETERO__CL_READ, &ma),
                     0);
    assert_int_equal(hetero__cl_job_map(&job, b->data, nbytes, b->buffer,
                                        HETERO__CL_READ, &mb),
                     0);
    assert_int_equal(hetero__cl_job_map(&job, c->data, nbytes, c->buffer,
                                        HETERO__CL_WRITE, &mc),
                     0);
    {
        const struct hetero__cl_arg args[] = {
            HETERO__CL_ARG(ma), HETERO__CL_ARG(mb), HETERO__CL_ARG(mc),
            HETERO__CL_ARG(n),
        };
        size_t g = a->shape[0];

        assert_int_equal(hetero__cl_job_launch(&job, k, args, 4, 1, &g,
                                               NULL),
                         0);
    }
    assert_int_equal(hetero__cl_job_finish(&job), 0);
    hetero__cl_job_end(&job);
}

static void check_mirror(unsigned test_flags)
{
    hetero_context *ctx = new_context(fresh_cache("mirror"));
    struct hetero_exec ex = { 0 };
    struct hetero__cl_kernel *k = NULL;
    struct hetero__cl_stats s0;
    struct hetero__cl_stats s1;
    struct hetero_array a;
    struct hetero_array b;
    struct hetero_array c;
    struct hetero_array d;
    size_t n = 4099;
    size_t i;
    float *pa;
    float *pb;
    float *pc;
    float *pd;

    ex.ctx = ctx;
    ex.cl = device(ctx);
    hetero__cl_device_test_flags(ex.cl, test_flags);
    assert_int_equal(hetero__cl_kernel_create(&ex, "vecadd", NULL, "vecadd",
                                              HETERO_F32, NULL, &k),
                     0);
    ts_alloc(&a, HETERO_F32, 1, &n);
    ts_alloc(&b, HETERO_F32, 1, &n);
    ts_alloc(&c, HETERO_F32, 1, &n);
    ts_alloc(&d, HETERO_F32, 1, &n);
    pa = a.data;
    pb = b.data;
    pc = c.data;
    pd = d.data;
    for (i = 0; i < n; i++) {
        pa[i] = (float)i;
        pb[i] = 1.0f;
    }
    stats(ctx, &s0);
    job_vecadd(&ex, k, &a, &b, &c);
    stats(ctx, &s1);
    assert_int_equal(s1.host_to_dev - s0.host_to_dev, 2);
    assert_int_equal(s1.dev_to_host - s0.dev_to_host, 1);
    for (i = 0; i < n; i++)
        assert_true(pc[i] == (float)i + 1.0f);

    /* Unchanged inputs are not sent again; c, read back, is current. */
    s0 = s1;
    job_vecadd(&ex, k, &a, &c, &d);
    stats(ctx, &s1);
    assert_int_equal(s1.host_to_dev - s0.host_to_dev, 0);
    assert_int_equal(s1.mirror_hits - s0.mirror_hits, 2);
    for (i = 0; i < n; i++)
        assert_true(pd[i] == 2.0f * (float)i + 1.0f);

    /* The caller writes a and says so: a alone is sent. */
    for (i = 0; i < n; i++)
        pa[i] = -(float)i;
    hetero_buffer_mark_host_dirty(a.buffer);
    s0 = s1;
    job_vecadd(&ex, k, &a, &b, &d);
    stats(ctx, &s1);
    assert_int_equal(s1.host_to_dev - s0.host_to_dev, 1);
    assert_int_equal(s1.mirror_hits - s0.mirror_hits, 1);
    for (i = 0; i < n; i++)
        assert_true(pd[i] == 1.0f - (float)i);

    /* A second context does not use the first one's mirrors. */
    {
        hetero_context *ctx2 = new_context(fresh_cache("mirror2"));
        struct hetero_exec ex2 = { .ctx = ctx2, .cl = device(ctx2) };
        struct hetero__cl_kernel *k2 = NULL;

        assert_int_equal(hetero__cl_kernel_create(&ex2, "vecadd", NULL,
                                                  "vecadd", HETERO_F32, NULL,
                                                  &k2),
                         0);
        job_vecadd(&ex2, k2, &a, &b, &c);
        for (i = 0; i < n; i++)
            assert_true(pc[i] == 1.0f - (float)i);
        hetero__cl_kernel_destroy(k2);
        hetero_context_destroy(ctx2);
    }
    hetero__cl_kernel_destroy(k);
    /* Mirrors may outlive the context (they hold their cl_context). */
    hetero_context_destroy(ctx);
    hetero_array_free(&a);
    hetero_array_free(&b);
    hetero_array_free(&c);
    hetero_array_free(&d);
}

static void test_cl_mirror(void **state)
{
    (void)state;
    need_cl();
    check_mirror(0);
    check_mirror(HETERO__CL_TEST_DISCRETE);
}

/* ---- work-group sizes ---- */

static void test_cl_local_size(void **state)
{
    static const size_t ns[] = { 1, 2, 7, 100, 1000, 65537, 100000000 };
    hetero_context *ctx;
    struct hetero_exec ex = { 0 };
    struct hetero__cl_kernel *k = NULL;
    struct hetero__cl_job job;
    size_t i;

    (void)state;
    need_cl();
    ctx = new_context(fresh_cache("local"));
    ex.ctx = ctx;
    ex.cl = device(ctx);
    assert_int_equal(hetero__cl_kernel_create(&ex, "vecadd", NULL, "vecadd",
                                              HETERO_F32, NULL, &k),
                     0);
    assert_true(k->wg_max >= 1 && k->wg_multiple >= 1);
    for (i = 0; i < HETERO_ARRAY_SIZE(ns); i++) {
        size_t l = hetero__cl_local_size(k, ns[i]);

        assert_true(l >= 1 && l <= k->wg_max);
        if (k->wg_max >= k->wg_multiple)
            assert_int_equal(l % k->wg_multiple, 0);
    }
    /* A local size above the kernel's limit is refused. */
    {
        size_t g = 10;
        size_t l = k->wg_max + 1;
        cl_mem m = NULL;
        cl_ulong n = 0;
        const struct hetero__cl_arg args[] = {
            HETERO__CL_ARG(m), HETERO__CL_ARG(m), HETERO__CL_ARG(m),
            HETERO__CL_ARG(n),
        };

        hetero__cl_job_init(&job, &ex);
        assert_int_equal(hetero__cl_job_launch(&job, k, args, 4, 1, &g, &l),
                         HETERO_EINVAL);
        hetero__cl_job_end(&job);
    }
    hetero__cl_kernel_destroy(k);
    hetero_context_destroy(ctx);
}

/* ---- errors ---- */

static void test_cl_error_names(void **state)
{
    hetero_context *ctx = ts_context(1);

    (void)state;
    assert_string_equal(hetero__cl_err_name(CL_SUCCESS), "CL_SUCCESS");
    assert_string_equal(hetero__cl_err_name(CL_OUT_OF_RESOURCES),
                        "CL_OUT_OF_RESOURCES");
    assert_string_equal(hetero__cl_err_name(CL_INVALID_VALUE),
                        "CL_INVALID_VALUE");
    assert_string_equal(hetero__cl_err_name(CL_INVALID_DEVICE_PARTITION_COUNT),
                        "CL_INVALID_DEVICE_PARTITION_COUNT");
    assert_string_equal(hetero__cl_err_name(-1001),
                        "CL_PLATFORM_NOT_FOUND_KHR");
    assert_string_equal(hetero__cl_err_name(-12345), "CL_UNKNOWN_ERROR");
    assert_int_equal(hetero__cl_fail(ctx, CL_OUT_OF_HOST_MEMORY, "clFoo"),
                     HETERO_ENOMEM);
    assert_string_equal(hetero_context_errmsg(ctx),
                        "clFoo failed: CL_OUT_OF_HOST_MEMORY (-6)");
    assert_int_equal(hetero__cl_fail(ctx, CL_BUILD_PROGRAM_FAILURE, "clB"),
                     HETERO_EBUILD);
    assert_int_equal(hetero__cl_fail(ctx, CL_INVALID_KERNEL_ARGS, "clE"),
                     HETERO_ECL);
    assert_errmsg_has(ctx, "CL_INVALID_KERNEL_ARGS");
    hetero_context_destroy(ctx);
}

/* ---- concurrency: one plan executed by several threads ---- */

struct worker {
    hetero_plan *plan;
    struct hetero_array *in;
    int ret;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    size_t n = w->in[0].shape[0];
    float *c = malloc(n * sizeof(*c));
    struct hetero_array out = { .dtype = HETERO_F32, .ndim = 1,
                                .shape = { n }, .data = c };
    struct hetero_call call = { .inputs = w->in, .n_inputs = 2,
                                .outputs = &out, .n_outputs = 1 };
    int r;
    size_t i;

    w->ret = c ? 0 : -1;
    for (r = 0; r < 25 && w->ret == 0; r++) {
        memset(c, 0, n * sizeof(*c));
        w->ret = hetero_plan_execute(w->plan, &call);
        for (i = 0; i < n && w->ret == 0; i++) {
            if (c[i] != ((float *)w->in[0].data)[i] +
                            ((float *)w->in[1].data)[i])
                w->ret = -2;
        }
    }
    free(c);
    return NULL;
}

static void test_cl_threads(void **state)
{
    const hetero_kernel *k = hetero_kernel_find("vecadd");
    hetero_context *ctx;
    struct hetero_array in[3];
    struct hetero_call call = { .inputs = in, .n_inputs = 2,
                                .outputs = &in[2], .n_outputs = 1 };
    struct worker w[4];
    pthread_t th[4];
    hetero_plan *plan = NULL;
    size_t n = 10007;
    size_t i;

    (void)state;
    need_cl();
    ctx = new_context(fresh_cache("threads"));
    for (i = 0; i < 3; i++)
        ts_alloc(&in[i], HETERO_F32, 1, &n);
    ts_fill_uniform(&in[0], 1, -5, 5);
    ts_fill_uniform(&in[1], 2, -5, 5);
    assert_int_equal(hetero_plan_create(ctx, k, &call,
                                        HETERO_PLAN_FORCE_OPENCL, &plan),
                     0);
    for (i = 0; i < 4; i++) {
        w[i] = (struct worker){ .plan = plan, .in = in };
        assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]),
                         0);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].ret, 0);
    }
    hetero_plan_destroy(plan);
    for (i = 0; i < 3; i++)
        hetero_array_free(&in[i]);
    hetero_context_destroy(ctx);
}

/* ---- launch latency (printed, not asserted) ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

static void test_cl_launch_latency(void **state)
{
    enum { N = 1000 };
    hetero_context *ctx;
    struct hetero_exec ex = { 0 };
    struct hetero__cl_kernel *k = NULL;
    double *t;
    size_t g = 1;
    int i;

    (void)state;
    need_cl();
    t = malloc(N * sizeof(*t));
    assert_non_null(t);
    ctx = new_context(fresh_cache("latency"));
    ex.ctx = ctx;
    ex.cl = device(ctx);
    assert_int_equal(hetero__cl_kernel_create(&ex, "tiny",
                                              "kernel void tiny(void) {}\n",
                                              "tiny", HETERO_DTYPE_NONE, NULL,
                                              &k),
                     0);
    for (i = -10; i < N; i++) {
        struct hetero__cl_job job;
        double t0 = hetero__now();

        hetero__cl_job_init(&job, &ex);
        assert_int_equal(hetero__cl_job_launch(&job, k, NULL, 0, 1, &g,
                                               NULL),
                         0);
        assert_int_equal(hetero__cl_job_finish(&job), 0);
        hetero__cl_job_end(&job);
        if (i >= 0)
            t[i] = hetero__now() - t0;
    }
    qsort(t, N, sizeof(*t), cmp_double);
    print_message("launch+wait of an empty kernel on %s: median %.1f us, "
                  "p10 %.1f us, p90 %.1f us (%d runs)\n",
                  hetero__cl_device_name(ex.cl), t[N / 2] * 1e6,
                  t[N / 10] * 1e6, t[N * 9 / 10] * 1e6, N);
    free(t);
    hetero__cl_kernel_destroy(k);
    hetero_context_destroy(ctx);
}

/* ---- no platform at all (OCL_ICD_VENDORS=empty dir) ---- */

static void test_cl_no_platform(void **state)
{
    struct hetero__cl_device *dev = NULL;
    struct hetero_device_info info;
    hetero_context *ctx = ts_context(2);
    size_t n = 99;
    int i;

    (void)state;
    assert_int_equal(hetero_device_count(ctx, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(hetero_device_info(ctx, 0, &info), HETERO_ENODEV);
    for (i = 0; i < 2; i++) {
        assert_int_equal(hetero__cl_device_get(ctx, &dev), HETERO_ENODEV);
        assert_errmsg_has(ctx, "no OpenCL device");
        assert_errmsg_has(ctx, "no OpenCL platform");
        assert_int_equal(vecadd_check(ctx, HETERO_F64, 100,
                                      HETERO_PLAN_FORCE_OPENCL, true),
                         HETERO_ENODEV);
        assert_errmsg_has(ctx, "no OpenCL device");
    }
    /* Everything else works. */
    assert_int_equal(vecadd_check(ctx, HETERO_F64, 1000, 0, true), 0);
    assert_int_equal(vecadd_check(ctx, HETERO_F32, 1000,
                                  HETERO_PLAN_FORCE_POOL, false),
                     0);
    assert_int_equal(vecadd_check(ctx, HETERO_F64, 7,
                                  HETERO_PLAN_FORCE_SERIAL, true),
                     0);
    hetero_context_destroy(ctx);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cl_error_names),
        cmocka_unit_test(test_cl_vecadd_f64),
        cmocka_unit_test(test_cl_vecadd_f32),
        cmocka_unit_test(test_cl_vecadd_discrete),
        cmocka_unit_test(test_cl_vecadd_alias),
        cmocka_unit_test(test_cl_device_list),
        cmocka_unit_test(test_cl_device_env),
        cmocka_unit_test(test_cl_cache_hit),
        cmocka_unit_test(test_cl_cache_corrupt),
        cmocka_unit_test(test_cl_cache_unwritable),
        cmocka_unit_test(test_cl_build_error),
        cmocka_unit_test(test_cl_fault_build),
        cmocka_unit_test(test_cl_fault_alloc),
        cmocka_unit_test(test_cl_fault_enqueue),
        cmocka_unit_test(test_cl_fault_fallback),
        cmocka_unit_test(test_cl_time_split),
        cmocka_unit_test(test_cl_alloc_faults),
        cmocka_unit_test(test_cl_no_fp64),
        cmocka_unit_test(test_cl_mirror),
        cmocka_unit_test(test_cl_local_size),
        cmocka_unit_test(test_cl_threads),
        cmocka_unit_test(test_cl_launch_latency),
    };
    const struct CMUnitTest no_platform[] = {
        cmocka_unit_test(test_cl_error_names),
        cmocka_unit_test(test_cl_no_platform),
    };
    hetero_context *ctx;
    struct hetero__cl_device *dev = NULL;
    int failed;

    unsetenv("HETERO_CL_DEVICE");
    unsetenv("HETERO_CL_FAULT");
    if (argc > 1 && strcmp(argv[1], "--no-platform") == 0)
        return cmocka_run_group_tests(no_platform, NULL, NULL);

    ctx = ts_context(1);
    have_cl = hetero__cl_device_get(ctx, &dev) == 0;
    hetero_context_destroy(ctx);
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    /* All but test_cl_error_names need a device. */
    return ts_exit_code(failed, HETERO_ARRAY_SIZE(tests) - 1);
}
