/*
 * fft2.c - fft2 descriptor, the block transform shared by both variants,
 * the serial variant and the typed entry points.
 *
 * DESIGN: the batch is cut into blocks of `blk` matrices, blk chosen so that
 * a block holds about FFT2_BLOCK_ELEMS elements (one matrix when matrices
 * are large): one FFTW call per block amortises FFTW's per-call cost on
 * small matrices, and blocks are the unit the pool variant hands out. Each
 * block is one cached FFTW plan (howmany = blk, plus one for a shorter last
 * block) run with the new-array execute, straight from x into y:
 *   - complex x: c2c, then (inverse) a scaling pass;
 *   - real x: r2c writing the left half of each row of y in place (rows of
 *     m complex elements), then the right half from Hermitian symmetry.
 *     Measured on 30 x 100 x 100 f64 this beats converting x to complex
 *     and running c2c by about 1.5x (less arithmetic, one pass less). The
 *     inverse of a real matrix is conj(forward) / (n m).
 * Plans are prepared for 64-byte-aligned arrays (the library's own); if a
 * caller's arrays are aligned differently, the run uses unaligned plans.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <hetero/hetero.h>

#include "fft2/fft2.h"
#include "fft2/fft2_impl.h"
#include "kernel_api.h"

/* Elements per FFTW call when matrices are small. */
#define FFT2_BLOCK_ELEMS 4096

static const struct hetero_arg_desc fft2_inputs[] = {
    { "x", "[B,]n,m: real (f32, f64) or complex (c64, c128) matrices" },
};

static const struct hetero_arg_desc fft2_outputs[] = {
    { "y", "2-D FFT of each matrix, same shape, complex (c128 for f64 and "
           "c128 input, c64 for f32 and c64)" },
};

static const struct hetero_param_info fft2_params[] = {
    { "inverse", "1: inverse transform scaled by 1/(n*m) (numpy.fft.ifft2)",
      "0", "0|1" },
};

static bool is_real(enum hetero_dtype d)
{
    return d == HETERO_F32 || d == HETERO_F64;
}

static bool is_double(enum hetero_dtype d)
{
    return d == HETERO_F64 || d == HETERO_C128;
}

static enum hetero_dtype out_dtype(enum hetero_dtype d)
{
    return is_double(d) ? HETERO_C128 : HETERO_C64;
}

static bool ranges_overlap(const void *a, size_t na, const void *b, size_t nb)
{
    uintptr_t pa = (uintptr_t)a;
    uintptr_t pb = (uintptr_t)b;

    return pa < pb + nb && pb < pa + na;
}

static int fft2_unpack(hetero_context *ctx, const struct hetero_call *call,
                       void *args, struct hetero_array *out_specs)
{
    struct hetero_fft2_args *fa = args;
    const struct hetero_array *x = &call->inputs[0];
    unsigned dts =
        HETERO_DT_REAL | HETERO_DT(HETERO_C64) | HETERO_DT(HETERO_C128);
    size_t numel;
    size_t out_bytes;
    size_t in_bytes;
    uint64_t inverse;
    int ret;

    ret = hetero__check_input(ctx, "fft2", call, 0, dts, 2, 3);
    if (ret)
        return ret;
    ret = hetero__param_u64(ctx, call, "inverse", 0, 0, 1, &inverse);
    if (ret)
        return ret;
    if (hetero_array_numel(x, &numel) || hetero_array_nbytes(x, &in_bytes) ||
        hetero__mul_overflow(numel, hetero_dtype_size(out_dtype(x->dtype)),
                             &out_bytes))
        return hetero__errf(ctx, HETERO_EINVAL, "fft2: x is too large");
    hetero__spec(&out_specs[0], out_dtype(x->dtype), x->ndim, x->shape);
    ret = hetero__check_outputs(ctx, "fft2", call, out_specs, 1);
    if (ret)
        return ret;
    if (call->n_outputs && x->data && call->outputs[0].data &&
        ranges_overlap(x->data, in_bytes, call->outputs[0].data, out_bytes))
        return hetero__errf(ctx, HETERO_EINVAL,
                            "fft2: x and y must not overlap");
    if (fa) {
        fa->dtype = x->dtype;
        fa->batch = x->ndim == 3 ? x->shape[0] : 1;
        fa->n = x->shape[x->ndim - 2];
        fa->m = x->shape[x->ndim - 1];
        fa->inverse = inverse != 0;
        fa->x = x->data;
        fa->y = call->n_outputs ? call->outputs[0].data : NULL;
    }
    return 0;
}

static int fft2_input_specs(hetero_context *ctx, int ndim, const size_t *shape,
                            enum hetero_dtype dtype, struct hetero_array *specs)
{
    if (dtype != HETERO_F32 && dtype != HETERO_F64 && dtype != HETERO_C64 &&
        dtype != HETERO_C128)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "fft2: dtype must be f32, f64, c64 or c128");
    if (ndim != 2 && ndim != 3)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "fft2: shape must be BxNxM or NxM");
    hetero__spec(&specs[0], dtype, ndim, shape);
    return 0;
}

static void fft2_work(const void *args, struct hetero_work *w)
{
    const struct hetero_fft2_args *fa = args;
    double nm = (double)fa->n * (double)fa->m;
    double lg = nm > 1.0 ? log2(nm) : 1.0;
    double mats = (double)fa->batch;
    double in_es = (double)hetero_dtype_size(fa->dtype);
    double out_es = is_double(fa->dtype) ? 16.0 : 8.0;

    /* 5 N log2 N flops for a complex FFT, about half for a real one. */
    w->flops = mats * (is_real(fa->dtype) ? 2.5 : 5.0) * nm * lg;
    w->bytes = mats * nm * (in_es + out_es);
    w->items = mats * nm;
}

/* ---- plans ---- */

static int get_plans(hetero_context *ctx, const struct hetero_fft2_args *fa,
                     bool aligned, struct hetero__fft2_plans *pl)
{
    struct hetero__fft_key key = { 0 };
    size_t nm = fa->n * fa->m; /* fits: checked by unpack */
    size_t rem;
    int ret;

    pl->blk = nm >= FFT2_BLOCK_ELEMS ? 1 : FFT2_BLOCK_ELEMS / nm;
    if (pl->blk > fa->batch)
        pl->blk = fa->batch;
    pl->nblocks = fa->batch / pl->blk + (fa->batch % pl->blk != 0);
    rem = fa->batch % pl->blk;

    key.kind = is_real(fa->dtype) ? HETERO__FFT_R2C : HETERO__FFT_C2C;
    key.prec = is_double(fa->dtype) ? HETERO__FFT_F64 : HETERO__FFT_F32;
    key.n = fa->n;
    key.m = fa->m;
    key.sign = fa->inverse && !is_real(fa->dtype) ? 1 : -1;
    key.howmany = pl->blk;
    key.cpx_row = fa->m; /* y's rows are full rows, also for r2c */
    key.aligned = aligned;
    ret = hetero__fft_plan_get(ctx, &key, &pl->full);
    if (ret)
        return ret;
    pl->rem = NULL;
    if (rem) {
        key.howmany = rem;
        ret = hetero__fft_plan_get(ctx, &key, &pl->rem);
    }
    return ret;
}

int hetero__fft2_prepare(const struct hetero_exec *ex, const void *args,
                         void **state)
{
    struct hetero__fft2_plans *pl;
    int ret;

    pl = hetero__calloc(1, sizeof(*pl));
    if (!pl)
        return hetero__errf(ex->ctx, HETERO_ENOMEM, "fft2: out of memory");
    ret = get_plans(ex->ctx, args, true, pl);
    if (ret) {
        hetero__free(pl);
        return ret;
    }
    *state = pl;
    return 0;
}

void hetero__fft2_release(void *state)
{
    hetero__free(state);
}

/* Byte offsets of block b in x and in y. */
static void block_offsets(const struct hetero_fft2_args *fa, size_t blk,
                          size_t b, size_t *in_off, size_t *out_off)
{
    size_t elems = b * blk * fa->n * fa->m;

    *in_off = elems * hetero_dtype_size(fa->dtype);
    *out_off = elems * (is_double(fa->dtype) ? 16 : 8);
}

int hetero__fft2_plans_for(const struct hetero_exec *ex,
                           const struct hetero_fft2_args *fa,
                           struct hetero__fft2_plans *out)
{
    size_t b;

    if (!ex->state)
        return get_plans(ex->ctx, fa, true, out);
    *out = *(const struct hetero__fft2_plans *)ex->state;
    for (b = 0; b < out->nblocks; b++) {
        const struct hetero__fft_plan *p =
            b + 1 == out->nblocks && out->rem ? out->rem : out->full;
        size_t in_off;
        size_t out_off;

        block_offsets(fa, out->blk, b, &in_off, &out_off);
        if (!hetero__fft_fits(p, (const char *)fa->x + in_off,
                              (char *)fa->y + out_off))
            return get_plans(ex->ctx, fa, false, out);
    }
    return 0;
}

/* ---- post-processing of one block of `cnt` matrices ---- */

/* Real input: r2c filled columns [0, m/2] of each row; conjugate and scale
 * them for the inverse, then mirror them into columns (m/2, m). */
static void finish_real_f64(double *y, size_t cnt, size_t n, size_t m,
                            bool inverse)
{
    size_t h = m / 2 + 1;
    double s = 1.0 / ((double)n * (double)m);
    size_t c;
    size_t i;
    size_t j;

    for (c = 0; c < cnt; c++, y += 2 * n * m) {
        for (i = 0; inverse && i < n; i++) {
            double *row = y + 2 * i * m;

            for (j = 0; j < h; j++) {
                row[2 * j] *= s;
                row[2 * j + 1] *= -s;
            }
        }
        for (i = 0; i < n; i++) {
            double *row = y + 2 * i * m;
            const double *src = y + 2 * ((n - i) % n) * m;

            for (j = h; j < m; j++) {
                row[2 * j] = src[2 * (m - j)];
                row[2 * j + 1] = -src[2 * (m - j) + 1];
            }
        }
    }
}

static void finish_real_f32(float *y, size_t cnt, size_t n, size_t m,
                            bool inverse)
{
    size_t h = m / 2 + 1;
    float s = (float)(1.0 / ((double)n * (double)m));
    size_t c;
    size_t i;
    size_t j;

    for (c = 0; c < cnt; c++, y += 2 * n * m) {
        for (i = 0; inverse && i < n; i++) {
            float *row = y + 2 * i * m;

            for (j = 0; j < h; j++) {
                row[2 * j] *= s;
                row[2 * j + 1] *= -s;
            }
        }
        for (i = 0; i < n; i++) {
            float *row = y + 2 * i * m;
            const float *src = y + 2 * ((n - i) % n) * m;

            for (j = h; j < m; j++) {
                row[2 * j] = src[2 * (m - j)];
                row[2 * j + 1] = -src[2 * (m - j) + 1];
            }
        }
    }
}

static void scale_f64(double *restrict y, size_t len, double s)
{
    size_t i;

    for (i = 0; i < len; i++)
        y[i] *= s;
}

static void scale_f32(float *restrict y, size_t len, float s)
{
    size_t i;

    for (i = 0; i < len; i++)
        y[i] *= s;
}

void hetero__fft2_blocks(const struct hetero_fft2_args *fa,
                         const struct hetero__fft2_plans *pl, size_t begin,
                         size_t end)
{
    size_t n = fa->n;
    size_t m = fa->m;
    double s = 1.0 / ((double)n * (double)m);
    size_t b;

    for (b = begin; b < end; b++) {
        size_t first = b * pl->blk;
        size_t cnt = fa->batch - first < pl->blk ? fa->batch - first : pl->blk;
        const struct hetero__fft_plan *p = cnt == pl->blk ? pl->full : pl->rem;
        size_t in_off;
        size_t out_off;
        char *y;

        block_offsets(fa, pl->blk, b, &in_off, &out_off);
        y = (char *)fa->y + out_off;
        /* The plan preserves its input: x is only read. */
        hetero__fft_execute(p, (void *)((const char *)fa->x + in_off), y);
        switch (fa->dtype) {
        case HETERO_F64:
            finish_real_f64((double *)y, cnt, n, m, fa->inverse);
            break;
        case HETERO_F32:
            finish_real_f32((float *)y, cnt, n, m, fa->inverse);
            break;
        case HETERO_C128:
            if (fa->inverse)
                scale_f64((double *)y, 2 * cnt * n * m, s);
            break;
        default:
            if (fa->inverse)
                scale_f32((float *)y, 2 * cnt * n * m, (float)s);
            break;
        }
    }
}

/* The reference: every block in order on the calling thread. */
static int fft2_serial(const struct hetero_exec *ex, const void *args)
{
    const struct hetero_fft2_args *fa = args;
    struct hetero__fft2_plans pl;
    int ret;

    ret = hetero__fft2_plans_for(ex, fa, &pl);
    if (ret)
        return ret;
    hetero__fft2_blocks(fa, &pl, 0, pl.nblocks);
    return 0;
}

static const struct hetero_variant fft2_variants[] = {
    { .backend = HETERO_BACKEND_SERIAL,
      .run = fft2_serial,
      .prepare = hetero__fft2_prepare,
      .release = hetero__fft2_release },
    { .backend = HETERO_BACKEND_POOL,
      .run = hetero__fft2_pool,
      .prepare = hetero__fft2_prepare,
      .release = hetero__fft2_release },
#if HETERO_WITH_OPENCL
    { .backend = HETERO_BACKEND_OPENCL,
      .run = hetero__fft2_cl,
      .supports = hetero__fft2_cl_supports,
      .prepare = hetero__fft2_cl_prepare,
      .release = hetero__fft2_cl_release,
      .cl_program = "fft2" },
#endif /* HETERO_WITH_OPENCL */
};

const struct hetero_kernel hetero__kernel_fft2 = {
    .name = "fft2",
    .summary = "Batched 2-D FFT of real or complex matrices "
               "(numpy.fft.fft2 / ifft2).",
    .default_shape = "10x100x100",
    .shape_help = "BxNxM (batch of NxM matrices) or NxM",
    .version = 1,
    .inputs = fft2_inputs,
    .n_inputs = HETERO_ARRAY_SIZE(fft2_inputs),
    .outputs = fft2_outputs,
    .n_outputs = HETERO_ARRAY_SIZE(fft2_outputs),
    .params = fft2_params,
    .n_params = HETERO_ARRAY_SIZE(fft2_params),
    .args_size = sizeof(struct hetero_fft2_args),
    .unpack = fft2_unpack,
    .input_specs = fft2_input_specs,
    .work = fft2_work,
    .variants = fft2_variants,
    .n_variants = HETERO_ARRAY_SIZE(fft2_variants),
};

static int fft2_typed(hetero_context *ctx, enum hetero_dtype dtype,
                      const void *x, void *y, size_t batch, size_t n, size_t m,
                      bool inverse)
{
    struct hetero_array arrays[2] = { { 0 } };
    struct hetero_param param = { "inverse", inverse ? "1" : "0" };
    struct hetero_call call = { 0 };

    if (!ctx || !x || !y || batch == 0 || n == 0 || m == 0)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "fft2: NULL pointer or zero size");
    arrays[0] = (struct hetero_array){
        .dtype = dtype, .ndim = 3, .shape = { batch, n, m }, .data = (void *)x
    };
    arrays[1] = (struct hetero_array){ .dtype = out_dtype(dtype),
                                       .ndim = 3,
                                       .shape = { batch, n, m },
                                       .data = y };
    call.inputs = arrays;
    call.n_inputs = 1;
    call.outputs = &arrays[1];
    call.n_outputs = 1;
    call.params = &param;
    call.n_params = 1;
    return hetero_run(ctx, &hetero__kernel_fft2, &call, 0);
}

int hetero_fft2(hetero_context *ctx, const double *x, double *y, size_t batch,
                size_t n, size_t m, bool inverse)
{
    return fft2_typed(ctx, HETERO_F64, x, y, batch, n, m, inverse);
}

int hetero_fft2_f32(hetero_context *ctx, const float *x, float *y, size_t batch,
                    size_t n, size_t m, bool inverse)
{
    return fft2_typed(ctx, HETERO_F32, x, y, batch, n, m, inverse);
}

int hetero_fft2_c128(hetero_context *ctx, const double *x, double *y,
                     size_t batch, size_t n, size_t m, bool inverse)
{
    return fft2_typed(ctx, HETERO_C128, x, y, batch, n, m, inverse);
}

int hetero_fft2_c64(hetero_context *ctx, const float *x, float *y, size_t batch,
                    size_t n, size_t m, bool inverse)
{
    return fft2_typed(ctx, HETERO_C64, x, y, batch, n, m, inverse);
}
