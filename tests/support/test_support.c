/*
 * test_support.c - see test_support.h.
 */
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "test_support.h"

hetero_context *ts_context(size_t threads)
{
    struct hetero_context_opts o = { .num_threads = threads };
    hetero_context *ctx = NULL;
    int ret = hetero_context_create(&o, &ctx);

    if (ret)
        fail_msg("hetero_context_create: %s (%s)", hetero_strerror(ret),
                 hetero_context_errmsg(NULL));
    return ctx;
}

uint64_t ts_rand_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double ts_rand_uniform(uint64_t *s, double lo, double hi)
{
    return lo + (hi - lo) * (double)(ts_rand_u64(s) >> 11) * 0x1.0p-53;
}

void ts_fill_uniform(struct hetero_array *a, uint64_t seed, double lo,
                     double hi)
{
    size_t n = 0;
    size_t i;

    assert_int_equal(hetero_array_numel(a, &n), 0);
    if (hetero_dtype_is_complex(a->dtype))
        n *= 2;
    for (i = 0; i < n; i++) {
        double v = ts_rand_uniform(&seed, lo, hi);

        switch (a->dtype) {
        case HETERO_F32:
        case HETERO_C64:
            ((float *)a->data)[i] = (float)v;
            break;
        case HETERO_F64:
        case HETERO_C128:
            ((double *)a->data)[i] = v;
            break;
        case HETERO_I32:
            ((int32_t *)a->data)[i] = (int32_t)floor(v);
            break;
        case HETERO_I64:
            ((int64_t *)a->data)[i] = (int64_t)floor(v);
            break;
        default:
            fail_msg("ts_fill_uniform: bad dtype");
        }
    }
}

void ts_alloc(struct hetero_array *a, enum hetero_dtype dtype, int ndim,
              const size_t *shape)
{
    int ret = hetero_array_alloc(NULL, dtype, ndim, shape, a);

    if (ret)
        fail_msg("hetero_array_alloc: %s", hetero_strerror(ret));
}

static double elem(const struct hetero_array *a, size_t i)
{
    switch (a->dtype) {
    case HETERO_F32:
    case HETERO_C64:
        return ((const float *)a->data)[i];
    case HETERO_F64:
    case HETERO_C128:
        return ((const double *)a->data)[i];
    case HETERO_I32:
        return ((const int32_t *)a->data)[i];
    case HETERO_I64:
        return (double)((const int64_t *)a->data)[i];
    default:
        return NAN;
    }
}

void ts_compare(const struct hetero_array *a, const struct hetero_array *b,
                double floor_, double *max_abs, double *max_rel)
{
    size_t n = 0;
    size_t i;

    assert_int_equal(a->dtype, b->dtype);
    assert_int_equal(a->ndim, b->ndim);
    assert_memory_equal(a->shape, b->shape, sizeof(a->shape[0]) * a->ndim);
    assert_int_equal(hetero_array_numel(a, &n), 0);
    if (hetero_dtype_is_complex(a->dtype))
        n *= 2;
    *max_abs = 0.0;
    *max_rel = 0.0;
    for (i = 0; i < n; i++) {
        double x = elem(a, i);
        double y = elem(b, i);
        double d;

        if (isnan(x) || isnan(y)) {
            if (!(isnan(x) && isnan(y))) {
                *max_abs = INFINITY;
                *max_rel = INFINITY;
            }
            continue;
        }
        d = fabs(x - y);
        if (x == y)
            d = 0.0; /* equal infinities */
        if (d > *max_abs)
            *max_abs = d;
        d /= fmax(fabs(y), floor_);
        if (d > *max_rel)
            *max_rel = d;
    }
}

void ts_assert_close(const struct hetero_array *a,
                     const struct hetero_array *b, double rtol, double atol)
{
    size_t n = 0;
    size_t i;

    assert_int_equal(a->dtype, b->dtype);
    assert_int_equal(a->ndim, b->ndim);
    assert_memory_equal(a->shape, b->shape, sizeof(a->shape[0]) * a->ndim);
    assert_int_equal(hetero_array_numel(a, &n), 0);
    if (hetero_dtype_is_complex(a->dtype))
        n *= 2;
    for (i = 0; i < n; i++) {
        double x = elem(a, i);
        double y = elem(b, i);

        if (isnan(x) && isnan(y))
            continue;
        if (x == y)
            continue;
        if (!(fabs(x - y) <= atol + rtol * fabs(y)))
            fail_msg("element %zu: got %.17g, expected %.17g (|diff| %.3g > "
                     "atol %.3g + rtol %.3g * |expected|)",
                     i, x, y, fabs(x - y), atol, rtol);
    }
}

void ts_assert_bitwise(const struct hetero_array *a,
                       const struct hetero_array *b)
{
    size_t na = 0;

    assert_int_equal(a->dtype, b->dtype);
    assert_int_equal(hetero_array_nbytes(a, &na), 0);
    assert_memory_equal(a->data, b->data, na);
}

int ts_run(hetero_context *ctx, const hetero_kernel *k,
           const struct hetero_call *call, unsigned flags, size_t threads,
           const char *algo, struct hetero_array *outs)
{
    struct hetero_plan_opts o = { .flags = flags, .num_threads = threads,
                                  .algo = algo };
    struct hetero_call c = *call;
    hetero_plan *plan = NULL;
    int ret;

    c.outputs = outs;
    c.n_outputs = 0;
    ret = hetero_call_alloc_outputs(ctx, k, &c);
    if (ret)
        return ret;
    ret = hetero_plan_create_opts(ctx, k, &c, &o, &plan);
    if (ret)
        return ret;
    ret = hetero_plan_execute(plan, &c);
    hetero_plan_destroy(plan);
    return ret;
}

void ts_alloc_fault_loop(hetero_context *ctx, const hetero_kernel *k,
                         struct hetero_call *call, unsigned flags,
                         long max_faults)
{
    long n;
    int ret = -1;

    for (n = 0; ret != 0; n++) {
        if (n >= max_faults)
            fail_msg("%s: no success after %ld injected faults",
                     hetero_kernel_name(k), max_faults);
        hetero__alloc_fail_after(n);
        ret = hetero_run(ctx, k, call, flags);
        if (ret)
            assert_int_equal(ret, HETERO_ENOMEM);
    }
    hetero__alloc_fault_reset();
}

const char *ts_source_path(const char *rel)
{
    static char buf[4096];

    snprintf(buf, sizeof(buf), "%s/%s", HETERO_TEST_SOURCE_DIR, rel);
    return buf;
}

static int n_skipped;

void ts_skip(void)
{
    n_skipped++;
    skip();
}

int ts_exit_code(int failed, size_t n)
{
    if (failed == 0 && n_skipped > 0 && (size_t)n_skipped >= n)
        return 77;
    return failed;
}

int ts_have_opencl(hetero_context *ctx)
{
    const hetero_kernel *k = hetero_kernel_find("vecadd");
    double a = 1.0;
    double b = 2.0;
    double c = 0.0;
    struct hetero_array arr[3] = {
        { .dtype = HETERO_F64, .ndim = 1, .shape = { 1 }, .data = &a },
        { .dtype = HETERO_F64, .ndim = 1, .shape = { 1 }, .data = &b },
        { .dtype = HETERO_F64, .ndim = 1, .shape = { 1 }, .data = &c },
    };
    struct hetero_call call = { .inputs = arr, .n_inputs = 2,
                                .outputs = &arr[2], .n_outputs = 1 };
    hetero_plan *p = NULL;
    int ret = hetero_plan_create(ctx, k, &call, HETERO_PLAN_FORCE_OPENCL, &p);

    hetero_plan_destroy(p);
    return ret == 0;
}
