/*
 * autocorr_cl.c - autocorr on OpenCL: the direct algorithm (tiled, in
 * local memory) and the FFT algorithm (through VkFFT).
 *
 * DESIGN, direct: autocorr_direct (autocorr.cl) runs one work-group per
 * tile of lags over half of the output (di >= 0), each item summing LAGS
 * consecutive lags in vector accumulators and writing them with their
 * mirror images. prepare() sizes it from the device, not from constants:
 *   - items per group: twice the kernel's preferred work-group multiple
 *     (the SIMD or warp width: 16 on POCL, 64 on a warp-32 GPU), within
 *     the kernel's and device's limits; the tile is about square in items
 *     (th rows of lags, tw items of LAGS lags across), narrower along a
 *     short dimension so 1 x N and N x 1 matrices waste no items;
 *   - the staged chunk, kc x lc elements of a plus the shifted block the
 *     tile's lags need, in half of the device's local memory but at most
 *     LOCAL_CAP (so that several groups fit on a GPU compute unit), at most
 *     CHUNK_MAX square and no larger than a; the tile shrinks if only a
 *     chunk below CHUNK_MIN elements would fit.
 * Measured on POCL (2 cores, 30 x 100 x 100 f64): 16 items of 16 lags run
 * 2.5x faster than 256 items of 8 lags, which a GPU prefers.
 *
 * DESIGN, fft: the whole batch at once in one device scratch of B
 * complex P x Q matrices (P, Q the smallest 2^a 3^b 5^c 7^d >= 2n-1,
 * 2m-1, as on the CPU): pad a into it, forward VkFFT transform, |X|^2,
 * inverse transform (normalised, so the 1/(P Q) is VkFFT's), crop the real
 * part into out. The two plans come from the context's VkFFT cache. Complex
 * transforms of real data do twice the arithmetic a real-to-complex pair
 * would, in exchange for one code path shared with fft2.
 */
#include "autocorr/autocorr_impl.h"
#include "cl/cl_fft.h"
#include "cl/cl_internal.h"

/* Lags per work-item (LAGS in autocorr.cl); staged chunk bounds. */
#define LAGS 16
#define CHUNK_MAX 64
#define CHUNK_MIN 64
#define LOCAL_CAP (32 * 1024)

struct autocorr_cl_direct {
    struct hetero__cl_kernel *k;
    size_t local[3]; /* tile: tw x th x 1 items, tw LAGS x th lags */
    cl_uint kc;      /* staged rows */
    cl_uint lc;      /* staged columns */
    size_t lt_bytes; /* local memory of the two staged chunks */
    size_t st_bytes;
};

struct autocorr_cl_fft {
    struct hetero__cl_kernel *pad;
    struct hetero__cl_kernel *power;
    struct hetero__cl_kernel *crop;
    struct hetero__cl_fft_plan *fwd; /* owned by the context's cache */
    struct hetero__cl_fft_plan *inv;
    size_t p;
    size_t q;
};

static size_t elem_size(enum hetero_dtype dtype)
{
    return dtype == HETERO_F64 ? sizeof(double) : sizeof(float);
}

/* Bytes of out; fits (checked by unpack). */
static size_t out_bytes(const struct hetero_autocorr_args *aa)
{
    return aa->batch * (2 * aa->n - 1) * (2 * aa->m - 1) * elem_size(aa->dtype);
}

/* Common checks of both algorithms. */
static bool cl_supports(const struct hetero_exec *ex,
                        const struct hetero_autocorr_args *aa, const char **why)
{
    if (aa->dtype == HETERO_F64 && !hetero__cl_device_has_fp64(ex->cl)) {
        *why = "device lacks fp64";
        return false;
    }
    if ((uint64_t)out_bytes(aa) > hetero__cl_device_max_alloc(ex->cl)) {
        *why = "array exceeds the device's largest allocation";
        return false;
    }
    return true;
}

/* ---- direct ---- */

bool hetero__autocorr_cl_direct_supports(const struct hetero_exec *ex,
                                         const void *args, const char **why)
{
    const struct hetero_autocorr_args *aa = args;

    if (!cl_supports(ex, aa, why))
        return false;
    /* The kernel indexes rows and columns with 32-bit ints. */
    if (aa->n > INT32_MAX / 4 || aa->m > INT32_MAX / 4) {
        *why = "matrices too large for the OpenCL direct kernel";
        return false;
    }
    return true;
}

static size_t pow2_at_least(size_t x)
{
    size_t p = 1;

    while (p < x)
        p *= 2;
    return p;
}

/* The device's CL_DEVICE_MAX_WORK_ITEM_SIZES[0..1] into lim. */
static int item_limits(const struct hetero_exec *ex, size_t lim[2])
{
    cl_command_queue q = hetero__cl_device_queue(ex->cl);
    size_t sizes[3] = { 0, 0, 0 };
    cl_device_id dev;
    cl_uint dims = 0;
    cl_int err;

    err = clGetCommandQueueInfo(q, CL_QUEUE_DEVICE, sizeof(dev), &dev, NULL);
    if (err == CL_SUCCESS)
        err = clGetDeviceInfo(dev, CL_DEVICE_MAX_WORK_ITEM_DIMENSIONS,
                              sizeof(dims), &dims, NULL);
    if (err == CL_SUCCESS && dims >= 2)
        err = clGetDeviceInfo(dev, CL_DEVICE_MAX_WORK_ITEM_SIZES,
                              (dims < 3 ? dims : 3) * sizeof(size_t), sizes,
                              NULL);
    if (err != CL_SUCCESS)
        return hetero__cl_fail(ex->ctx, err, "clGetDeviceInfo");
    lim[0] = sizes[0] ? sizes[0] : 1;
    lim[1] = sizes[1] ? sizes[1] : 1;
    return 0;
}

/* Local bytes of the staged chunks for tile tw x th, chunk kc x lc. */
static size_t staged_bytes(size_t es, size_t tw, size_t th, size_t kc,
                           size_t lc)
{
    return es * (kc * lc + (kc + th - 1) * (lc + tw * LAGS - 1));
}

/* The largest power of two <= x (x >= 1). */
static size_t pow2_at_most(size_t x)
{
    size_t p = 1;

    while (p <= x / 2)
        p *= 2;
    return p;
}

/* The largest chunk kc x lc (each <= its start value) whose staging for
 * tile tw x th fits in budget; false if none of CHUNK_MIN elements does
 * (or, for matrices smaller than that, none of the whole matrix). */
static bool fit_chunk(size_t es, size_t tw, size_t th, size_t budget,
                      size_t *kc, size_t *lc)
{
    size_t want = *kc * *lc < CHUNK_MIN ? *kc * *lc : CHUNK_MIN;

    while (staged_bytes(es, tw, th, *kc, *lc) > budget && *kc * *lc > want) {
        if (*lc >= *kc)
            *lc = (*lc + 1) / 2;
        else
            *kc = (*kc + 1) / 2;
    }
    return staged_bytes(es, tw, th, *kc, *lc) <= budget;
}

/* Chooses the tile and chunk sizes of st for aa (see DESIGN). */
static int direct_geometry(const struct hetero_exec *ex,
                           const struct hetero_autocorr_args *aa,
                           struct autocorr_cl_direct *st)
{
    size_t es = elem_size(aa->dtype);
    uint64_t local = hetero__cl_device_local_mem(ex->cl);
    size_t budget = local / 2 < LOCAL_CAP ? (size_t)(local / 2) : LOCAL_CAP;
    size_t items = 2 * st->k->wg_multiple;
    size_t across = (2 * aa->m - 1 + LAGS - 1) / LAGS;
    size_t lim[2] = { 1, 1 };
    size_t th;
    size_t tw;
    size_t kc;
    size_t lc;
    int ret;

    ret = item_limits(ex, lim);
    if (ret)
        return ret;
    if (items > st->k->wg_max)
        items = st->k->wg_max;
    items = pow2_at_most(items ? items : 1);
    th = pow2_at_most(items);
    while (th * th > items)
        th /= 2;
    if (th > pow2_at_least(aa->n))
        th = pow2_at_least(aa->n);
    tw = items / th;
    if (tw > pow2_at_least(across))
        tw = pow2_at_least(across);
    if (th > lim[1])
        th = pow2_at_most(lim[1]);
    if (tw > lim[0])
        tw = pow2_at_most(lim[0]);
    for (;;) {
        kc = aa->n < CHUNK_MAX ? aa->n : CHUNK_MAX;
        lc = aa->m < CHUNK_MAX ? aa->m : CHUNK_MAX;
        if (fit_chunk(es, tw, th, budget, &kc, &lc))
            break;
        if (tw == 1 && th == 1)
            return hetero__errf(ex->ctx, HETERO_ENOTSUP,
                                "autocorr: %llu bytes of local memory are "
                                "too few",
                                (unsigned long long)local);
        if (tw >= th)
            tw /= 2;
        else
            th /= 2;
    }
    st->local[0] = tw;
    st->local[1] = th;
    st->local[2] = 1;
    st->kc = (cl_uint)kc;
    st->lc = (cl_uint)lc;
    st->lt_bytes = es * kc * lc;
    st->st_bytes = es * (kc + th - 1) * (lc + tw * LAGS - 1);
    return 0;
}

int hetero__autocorr_cl_direct_prepare(const struct hetero_exec *ex,
                                       const void *args, void **state)
{
    const struct hetero_autocorr_args *aa = args;
    struct autocorr_cl_direct *st;
    int ret;

    st = hetero__calloc(1, sizeof(*st));
    if (!st)
        return hetero__errf(ex->ctx, HETERO_ENOMEM, "autocorr: out of memory");
    ret = hetero__cl_kernel_create(ex, "autocorr", NULL, "autocorr_direct",
                                   aa->dtype, NULL, &st->k);
    if (ret)
        goto out_free;
    ret = direct_geometry(ex, aa, st);
    if (ret)
        goto out_destroy_kernel;
    *state = st;
    return 0;

out_destroy_kernel:
    hetero__cl_kernel_destroy(st->k);
out_free:
    hetero__free(st);
    return ret;
}

void hetero__autocorr_cl_direct_release(void *state)
{
    struct autocorr_cl_direct *st = state;

    if (!st)
        return;
    hetero__cl_kernel_destroy(st->k);
    hetero__free(st);
}

int hetero__autocorr_cl_direct(const struct hetero_exec *ex, const void *args)
{
    const struct hetero_autocorr_args *aa = args;
    const struct autocorr_cl_direct *st = ex->state;
    hetero_buffer *abuf = ex->call ? ex->call->inputs[0].buffer : NULL;
    size_t in_bytes = aa->batch * aa->n * aa->m * elem_size(aa->dtype);
    struct hetero__cl_job job;
    cl_uint n = (cl_uint)aa->n;
    cl_uint m = (cl_uint)aa->m;
    size_t global[3];
    cl_mem a;
    cl_mem out;
    int ret;

    if (!st)
        return hetero__errf(ex->ctx, HETERO_EINVAL,
                            "autocorr: OpenCL variant run without prepare");
    /* Lags dj in [-(m-1), m-1] across (LAGS per item), di in [0, n) down,
     * one matrix per plane; rounded up to whole tiles by the launch. */
    global[0] = (2 * aa->m - 1 + LAGS - 1) / LAGS;
    global[1] = aa->n;
    global[2] = aa->batch;
    hetero__cl_job_init(&job, ex);
    ret = hetero__cl_job_map(&job, aa->a, in_bytes, abuf, HETERO__CL_READ, &a);
    if (ret)
        goto out_end;
    ret = hetero__cl_job_map(&job, aa->out, out_bytes(aa), NULL,
                             HETERO__CL_WRITE, &out);
    if (ret)
        goto out_end;
    {
        const struct hetero__cl_arg kargs[] = {
            HETERO__CL_ARG(a),      HETERO__CL_ARG(out),
            HETERO__CL_ARG(n),      HETERO__CL_ARG(m),
            HETERO__CL_ARG(st->kc), HETERO__CL_ARG(st->lc),
            { st->lt_bytes, NULL }, { st->st_bytes, NULL },
        };

        ret = hetero__cl_job_launch(
            &job, st->k, kargs, HETERO_ARRAY_SIZE(kargs), 3, global, st->local);
    }
    if (ret)
        goto out_end;
    ret = hetero__cl_job_finish(&job);
out_end:
    hetero__cl_job_end(&job);
    return ret;
}

/* ---- fft ---- */

/* P, Q and the scratch bytes B * P * Q complex; false if they overflow. */
static bool fft_sizes(const struct hetero_autocorr_args *aa, size_t *p,
                      size_t *q, size_t *bytes)
{
    size_t elems;

    *p = hetero__fft_good_size(2 * aa->n - 1);
    *q = hetero__fft_good_size(2 * aa->m - 1);
    return *p && *q && !hetero__mul_overflow(*p, *q, &elems) &&
           !hetero__mul_overflow(elems, aa->batch, &elems) &&
           !hetero__mul_overflow(elems, 2 * elem_size(aa->dtype), bytes);
}

bool hetero__autocorr_cl_fft_supports(const struct hetero_exec *ex,
                                      const void *args, const char **why)
{
    const struct hetero_autocorr_args *aa = args;
    size_t p;
    size_t q;
    size_t bytes;

    if (!cl_supports(ex, aa, why))
        return false;
    if (!fft_sizes(aa, &p, &q, &bytes) || p > INT32_MAX || q > INT32_MAX ||
        (uint64_t)bytes > hetero__cl_device_max_alloc(ex->cl)) {
        *why = "padded batch exceeds the device's largest allocation";
        return false;
    }
    return true;
}

static void fft_state_free(struct autocorr_cl_fft *st)
{
    hetero__cl_kernel_destroy(st->pad);
    hetero__cl_kernel_destroy(st->power);
    hetero__cl_kernel_destroy(st->crop);
    hetero__free(st);
}

int hetero__autocorr_cl_fft_prepare(const struct hetero_exec *ex,
                                    const void *args, void **state)
{
    const struct hetero_autocorr_args *aa = args;
    struct hetero__cl_fft_key key = { 0 };
    struct autocorr_cl_fft *st;
    size_t bytes;
    int ret;

    st = hetero__calloc(1, sizeof(*st));
    if (!st)
        return hetero__errf(ex->ctx, HETERO_ENOMEM, "autocorr: out of memory");
    if (!fft_sizes(aa, &st->p, &st->q, &bytes)) {
        ret = hetero__errf(ex->ctx, HETERO_EINVAL,
                           "autocorr: %zu x %zu is too large for the FFT "
                           "algorithm",
                           aa->n, aa->m);
        goto out_free;
    }
    ret = hetero__cl_kernel_create(ex, "autocorr", NULL, "autocorr_pad",
                                   aa->dtype, NULL, &st->pad);
    if (ret)
        goto out_free;
    ret = hetero__cl_kernel_create(ex, "autocorr", NULL, "autocorr_power",
                                   aa->dtype, NULL, &st->power);
    if (ret)
        goto out_free;
    ret = hetero__cl_kernel_create(ex, "autocorr", NULL, "autocorr_crop",
                                   aa->dtype, NULL, &st->crop);
    if (ret)
        goto out_free;
    key.batch = aa->batch;
    key.n = st->p;
    key.m = st->q;
    key.f64 = aa->dtype == HETERO_F64;
    key.inverse = false;
    ret = hetero__cl_fft_plan_get(ex, &key, &st->fwd);
    if (ret)
        goto out_free;
    key.inverse = true;
    ret = hetero__cl_fft_plan_get(ex, &key, &st->inv);
    if (ret)
        goto out_free;
    *state = st;
    return 0;

out_free:
    fft_state_free(st);
    return ret;
}

void hetero__autocorr_cl_fft_release(void *state)
{
    if (state)
        fft_state_free(state);
}

int hetero__autocorr_cl_fft(const struct hetero_exec *ex, const void *args)
{
    const struct hetero_autocorr_args *aa = args;
    const struct autocorr_cl_fft *st = ex->state;
    hetero_buffer *abuf = ex->call ? ex->call->inputs[0].buffer : NULL;
    size_t in_bytes = aa->batch * aa->n * aa->m * elem_size(aa->dtype);
    struct hetero__cl_job job;
    cl_uint n = (cl_uint)aa->n;
    cl_uint m = (cl_uint)aa->m;
    cl_uint p;
    cl_uint q;
    cl_ulong padded;
    size_t pad_range[3];
    size_t crop_range[3];
    cl_mem a;
    cl_mem out;
    cl_mem c;
    int ret;

    if (!st)
        return hetero__errf(ex->ctx, HETERO_EINVAL,
                            "autocorr: OpenCL variant run without prepare");
    p = (cl_uint)st->p;
    q = (cl_uint)st->q;
    padded = aa->batch * st->p * st->q;
    /* (column, row, matrix) ranges: no index division in the kernels. */
    pad_range[0] = st->q;
    pad_range[1] = st->p;
    pad_range[2] = aa->batch;
    crop_range[0] = 2 * aa->m - 1;
    crop_range[1] = 2 * aa->n - 1;
    crop_range[2] = aa->batch;
    hetero__cl_job_init(&job, ex);
    ret = hetero__cl_job_map(&job, aa->a, in_bytes, abuf, HETERO__CL_READ, &a);
    if (ret)
        goto out_end;
    ret = hetero__cl_job_map(&job, aa->out, out_bytes(aa), NULL,
                             HETERO__CL_WRITE, &out);
    if (ret)
        goto out_end;
    ret = hetero__cl_job_scratch(&job, hetero__cl_fft_bytes(st->fwd), &c);
    if (ret)
        goto out_end;
    {
        const struct hetero__cl_arg kargs[] = {
            HETERO__CL_ARG(a), HETERO__CL_ARG(c), HETERO__CL_ARG(n),
            HETERO__CL_ARG(m), HETERO__CL_ARG(p), HETERO__CL_ARG(q),
        };

        ret = hetero__cl_job_launch(
            &job, st->pad, kargs, HETERO_ARRAY_SIZE(kargs), 3, pad_range, NULL);
    }
    if (ret)
        goto out_end;
    ret = hetero__cl_fft_enqueue(&job, st->fwd, c);
    if (ret)
        goto out_end;
    {
        const struct hetero__cl_arg kargs[] = {
            HETERO__CL_ARG(c),
            HETERO__CL_ARG(padded),
        };
        size_t total = (size_t)padded;

        ret = hetero__cl_job_launch(&job, st->power, kargs,
                                    HETERO_ARRAY_SIZE(kargs), 1, &total, NULL);
    }
    if (ret)
        goto out_end;
    ret = hetero__cl_fft_enqueue(&job, st->inv, c);
    if (ret)
        goto out_end;
    {
        const struct hetero__cl_arg kargs[] = {
            HETERO__CL_ARG(c), HETERO__CL_ARG(out), HETERO__CL_ARG(n),
            HETERO__CL_ARG(m), HETERO__CL_ARG(p),   HETERO__CL_ARG(q),
        };

        ret = hetero__cl_job_launch(&job, st->crop, kargs,
                                    HETERO_ARRAY_SIZE(kargs), 3, crop_range,
                                    NULL);
    }
    if (ret)
        goto out_end;
    ret = hetero__cl_job_finish(&job);
out_end:
    hetero__cl_job_end(&job);
    return ret;
}
