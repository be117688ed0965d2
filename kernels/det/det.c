/*
 * det.c - det descriptor, the per-matrix LU, the serial reference and the
 * typed entry points.
 *
 * DESIGN: every variant works matrix by matrix. A matrix is copied to a
 * scratch array (on the stack up to HETERO_DET_STACK_N, else on the heap
 * once per range) and factorised in place by LU with partial pivoting, as
 * LAPACK getf2 does: pivot = largest |a[i][k]| for i >= k (NaN counts as
 * largest so it propagates), row swap (sign flip), multipliers by the
 * reciprocal of the pivot (a quotient when the pivot is subnormal), rank-one
 * update of the trailing block. Only U is needed, so the multipliers are not
 * stored and swaps skip the columns left of the pivot. A zero pivot means
 * the column is zero on and below the diagonal: nothing to eliminate, and
 * the product of the diagonal is 0. The serial variant runs the whole batch
 * through hetero__det_range() on one thread; the pool splits the batch.
 */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <hetero/hetero.h>

#include "det/det.h"
#include "det/det_impl.h"
#include "kernel_api.h"

static const struct hetero_arg_desc det_inputs[] = {
    { "a", "matrices [B, n, n] or one matrix [n, n], f64 or f32" },
};

static const struct hetero_arg_desc det_outputs[] = {
    { "det", "determinants [B] (0-d for an [n, n] input), dtype of a" },
};

/*
 * sign * U[0][0] * ... * U[n-1][n-1] for U stored with row stride n. The
 * plain product is as accurate as any while every partial product stays
 * far from overflow and underflow; otherwise it is redone with the binary
 * exponent carried apart, so that 1e200 * 1e200 * 1e-300 gives 1e100.
 */
static double diag_product_f64(const double *u, size_t n, double sign)
{
    double p = sign;
    bool in_range = true;
    long e = 0;
    size_t k;

    for (k = 0; k < n; k++) {
        p *= u[k * (n + 1)];
        in_range = in_range && fabs(p) >= 0x1p-900 && fabs(p) <= 0x1p900;
    }
    if (in_range)
        return p;
    p = sign;
    for (k = 0; k < n; k++) {
        int ed = 0;
        int ep = 0;
        double f = frexp(u[k * (n + 1)], &ed);

        p = frexp(p * f, &ep);
        e += (long)ed + ep;
        if (!isfinite(p) || p == 0.0)
            e = 0; /* 0, Inf and NaN carry no exponent */
    }
    if (e > 4096)
        e = 4096;
    if (e < -4096)
        e = -4096;
    return ldexp(p, (int)e);
}

static float diag_product_f32(const float *u, size_t n, float sign)
{
    float p = sign;
    bool in_range = true;
    long e = 0;
    size_t k;

    for (k = 0; k < n; k++) {
        p *= u[k * (n + 1)];
        in_range = in_range && fabsf(p) >= 0x1p-100f && fabsf(p) <= 0x1p100f;
    }
    if (in_range)
        return p;
    p = sign;
    for (k = 0; k < n; k++) {
        int ed = 0;
        int ep = 0;
        float f = frexpf(u[k * (n + 1)], &ed);

        p = frexpf(p * f, &ep);
        e += (long)ed + ep;
        if (!isfinite(p) || p == 0.0f)
            e = 0;
    }
    if (e > 1024)
        e = 1024;
    if (e < -1024)
        e = -1024;
    return ldexpf(p, (int)e);
}

/*
 * |x| as an unsigned integer (x without its sign bit): for numbers it orders
 * as |x| does, and every NaN comes above +Inf, so the pivot search below,
 * a branch-free argmax over these keys (random matrices make a branch on
 * each comparison unpredictable), picks a NaN if the column has one.
 */
static inline uint64_t mag_key_f64(double x)
{
    uint64_t u;

    memcpy(&u, &x, sizeof(u));
    return u & ~((uint64_t)1 << 63);
}

static inline uint32_t mag_key_f32(float x)
{
    uint32_t u;

    memcpy(&u, &x, sizeof(u));
    return u & ~((uint32_t)1 << 31);
}

/* Swaps columns [k, n) of rows x and y, which may be the same row (then
 * nothing changes; swapping unconditionally saves a branch). */
static void swap_tail_f64(double *x, double *y, size_t k, size_t n)
{
    size_t j;

    for (j = k; j < n; j++) {
        double t = x[j];

        x[j] = y[j];
        y[j] = t;
    }
}

static void swap_tail_f32(float *x, float *y, size_t k, size_t n)
{
    size_t j;

    for (j = k; j < n; j++) {
        float t = x[j];

        x[j] = y[j];
        y[j] = t;
    }
}

/* Determinant of the n x n matrix a (row stride n), destroyed: LU with
 * partial pivoting in place, then the signed product of U's diagonal. */
static double lu_det_f64(double *a, size_t n)
{
    size_t swaps = 0;
    size_t k;

    for (k = 0; k < n; k++) {
        double *rk = a + k * n;
        uint64_t best = mag_key_f64(rk[k]);
        size_t p = k;
        size_t i;
        double piv;
        double r;

        /* The first largest |a[i][k]|, i >= k (LAPACK idamax), NaN first. */
        for (i = k + 1; i < n; i++) {
            uint64_t v = mag_key_f64(a[i * n + k]);

            p = v > best ? i : p;
            best = v > best ? v : best;
        }
        swap_tail_f64(rk, a + p * n, k, n);
        swaps += p != k;
        piv = rk[k];
        if (piv == 0.0)
            continue; /* zero column: singular, nothing to eliminate */
        r = 1.0 / piv;
        for (i = k + 1; i < n; i++) {
            double *restrict ri = a + i * n;
            const double *restrict uk = rk;
            double l = fabs(piv) >= DBL_MIN ? ri[k] * r : ri[k] / piv;
            size_t j;

            for (j = k + 1; j < n; j++)
                ri[j] -= l * uk[j];
        }
    }
    return diag_product_f64(a, n, swaps % 2 ? -1.0 : 1.0);
}

static float lu_det_f32(float *a, size_t n)
{
    size_t swaps = 0;
    size_t k;

    for (k = 0; k < n; k++) {
        float *rk = a + k * n;
        uint32_t best = mag_key_f32(rk[k]);
        size_t p = k;
        size_t i;
        float piv;
        float r;

        for (i = k + 1; i < n; i++) {
            uint32_t v = mag_key_f32(a[i * n + k]);

            p = v > best ? i : p;
            best = v > best ? v : best;
        }
        swap_tail_f32(rk, a + p * n, k, n);
        swaps += p != k;
        piv = rk[k];
        if (piv == 0.0f)
            continue;
        r = 1.0f / piv;
        for (i = k + 1; i < n; i++) {
            float *restrict ri = a + i * n;
            const float *restrict uk = rk;
            float l = fabsf(piv) >= FLT_MIN ? ri[k] * r : ri[k] / piv;
            size_t j;

            for (j = k + 1; j < n; j++)
                ri[j] -= l * uk[j];
        }
    }
    return diag_product_f32(a, n, swaps % 2 ? -1.0f : 1.0f);
}

static int range_f64(hetero_context *ctx, const struct hetero_det_args *da,
                     size_t begin, size_t end)
{
    double stack[HETERO_DET_STACK_N * HETERO_DET_STACK_N];
    const double *a = da->a;
    double *det = da->det;
    double *s = stack;
    size_t nn = da->n * da->n;
    size_t b;

    if (da->n > HETERO_DET_STACK_N) {
        s = hetero__malloc(nn * sizeof(*s));
        if (!s)
            return hetero__errf(ctx, HETERO_ENOMEM,
                                "det: cannot allocate a %zu x %zu scratch",
                                da->n, da->n);
    }
    for (b = begin; b < end; b++) {
        memcpy(s, a + b * nn, nn * sizeof(*s));
        det[b] = lu_det_f64(s, da->n);
    }
    if (s != stack)
        hetero__free(s);
    return 0;
}

static int range_f32(hetero_context *ctx, const struct hetero_det_args *da,
                     size_t begin, size_t end)
{
    float stack[HETERO_DET_STACK_N * HETERO_DET_STACK_N];
    const float *a = da->a;
    float *det = da->det;
    float *s = stack;
    size_t nn = da->n * da->n;
    size_t b;

    if (da->n > HETERO_DET_STACK_N) {
        s = hetero__malloc(nn * sizeof(*s));
        if (!s)
            return hetero__errf(ctx, HETERO_ENOMEM,
                                "det: cannot allocate a %zu x %zu scratch",
                                da->n, da->n);
    }
    for (b = begin; b < end; b++) {
        memcpy(s, a + b * nn, nn * sizeof(*s));
        det[b] = lu_det_f32(s, da->n);
    }
    if (s != stack)
        hetero__free(s);
    return 0;
}

int hetero__det_range(hetero_context *ctx, const struct hetero_det_args *da,
                      size_t begin, size_t end)
{
    if (da->dtype == HETERO_F64)
        return range_f64(ctx, da, begin, end);
    return range_f32(ctx, da, begin, end);
}

static int det_unpack(hetero_context *ctx, const struct hetero_call *call,
                      void *args, struct hetero_array *out_specs)
{
    struct hetero_det_args *da = args;
    const struct hetero_array *a = &call->inputs[0];
    size_t n;
    int ret;

    ret = hetero__check_input(ctx, "det", call, 0, HETERO_DT_REAL, 0,
                              HETERO_MAX_NDIM);
    if (ret)
        return ret;
    if (a->ndim != 2 && a->ndim != 3)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "det: a must be [B, n, n] or [n, n], has %d "
                            "dimension(s)",
                            a->ndim);
    n = a->shape[a->ndim - 1];
    if (a->shape[a->ndim - 2] != n)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "det: matrices must be square, got %zu x %zu",
                            a->shape[a->ndim - 2], n);
    hetero__spec(&out_specs[0], a->dtype, a->ndim - 2, a->shape);
    ret = hetero__check_outputs(ctx, "det", call, out_specs, 1);
    if (ret && a->ndim == 3)
        return hetero__errf(ctx, ret,
                            "det: output must be %s of shape [%zu] (one "
                            "value per matrix)",
                            hetero_dtype_name(a->dtype), a->shape[0]);
    if (ret)
        return hetero__errf(ctx, ret,
                            "det: output must be a 0-d %s (a scalar) for "
                            "an [n, n] input",
                            hetero_dtype_name(a->dtype));
    if (da) {
        da->dtype = a->dtype;
        da->batch = a->ndim == 3 ? a->shape[0] : 1;
        da->n = n;
        da->a = a->data;
        da->det = call->n_outputs ? call->outputs[0].data : NULL;
    }
    return 0;
}

static int det_input_specs(hetero_context *ctx, int ndim, const size_t *shape,
                           enum hetero_dtype dtype,
                           struct hetero_array *specs)
{
    if (dtype != HETERO_F32 && dtype != HETERO_F64)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "det: dtype must be f32 or f64");
    if (ndim != 2 && ndim != 3)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "det: shape must be BxNxN or NxN");
    if (shape[ndim - 1] != shape[ndim - 2])
        return hetero__errf(ctx, HETERO_EINVAL,
                            "det: matrices must be square (BxNxN or NxN), "
                            "got %zux%zu",
                            shape[ndim - 2], shape[ndim - 1]);
    hetero__spec(&specs[0], dtype, ndim, shape);
    return 0;
}

static void det_work(const void *args, struct hetero_work *w)
{
    const struct hetero_det_args *da = args;
    double es = da->dtype == HETERO_F32 ? 4.0 : 8.0;
    double n = (double)da->n;
    double b = (double)da->batch;

    w->flops = b * (2.0 / 3.0 * n * n * n + n * n);
    w->bytes = b * es * (n * n + 1.0);
    w->items = b;
}

/* The reference: the whole batch, in order, on the calling thread. */
static int det_serial(const struct hetero_exec *ex, const void *args)
{
    const struct hetero_det_args *da = args;

    return hetero__det_range(ex->ctx, da, 0, da->batch);
}

static const struct hetero_variant det_variants[] = {
    { .backend = HETERO_BACKEND_SERIAL, .run = det_serial },
    { .backend = HETERO_BACKEND_POOL, .run = hetero__det_pool },
#if HETERO_WITH_OPENCL
    { .backend = HETERO_BACKEND_OPENCL, .run = hetero__det_cl,
      .supports = hetero__det_cl_supports,
      .prepare = hetero__det_cl_prepare,
      .release = hetero__det_cl_release, .cl_program = "det" },
#endif /* HETERO_WITH_OPENCL */
};

const struct hetero_kernel hetero__kernel_det = {
    .name = "det",
    .summary = "Determinants of a batch of square matrices (LU with partial "
               "pivoting), numpy.linalg.det.",
    .default_shape = "100000x10x10",
    .shape_help = "BxNxN (batch of NxN matrices) or NxN",
    .version = 1,
    .inputs = det_inputs,
    .n_inputs = HETERO_ARRAY_SIZE(det_inputs),
    .outputs = det_outputs,
    .n_outputs = HETERO_ARRAY_SIZE(det_outputs),
    .args_size = sizeof(struct hetero_det_args),
    .unpack = det_unpack,
    .input_specs = det_input_specs,
    .work = det_work,
    .variants = det_variants,
    .n_variants = HETERO_ARRAY_SIZE(det_variants),
};

static int det_typed(hetero_context *ctx, enum hetero_dtype dtype,
                     const void *a, size_t batch, size_t n, void *det)
{
    struct hetero_array arrays[2] = { { 0 } };
    struct hetero_call call = { 0 };

    if (!ctx || !a || !det || batch == 0 || n == 0)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "det: NULL pointer, batch == 0 or n == 0");
    arrays[0] = (struct hetero_array){ .dtype = dtype, .ndim = 3,
                                       .shape = { batch, n, n },
                                       .data = (void *)a };
    arrays[1] = (struct hetero_array){ .dtype = dtype, .ndim = 1,
                                       .shape = { batch }, .data = det };
    call.inputs = arrays;
    call.n_inputs = 1;
    call.outputs = &arrays[1];
    call.n_outputs = 1;
    return hetero_run(ctx, &hetero__kernel_det, &call, 0);
}

int hetero_det(hetero_context *ctx, const double *a, size_t batch, size_t n,
               double *det)
{
    return det_typed(ctx, HETERO_F64, a, batch, n, det);
}

int hetero_det_f32(hetero_context *ctx, const float *a, size_t batch,
                   size_t n, float *det)
{
    return det_typed(ctx, HETERO_F32, a, batch, n, det);
}
