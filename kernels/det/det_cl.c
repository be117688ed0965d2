/*
 * det_cl.c - det through OpenCL (kernels/det/det.cl).
 *
 * DESIGN: both kernels follow the serial variant (det.c) step for step:
 * the pivot of column k is the first entry of largest magnitude on or
 * below the diagonal, a NaN counting as the largest; a row swap flips the
 * sign; a zero pivot skips the column; multipliers use the reciprocal of
 * the pivot, or a quotient when it is subnormal. The diagonal product is
 * kept as a mantissa and a binary exponent, which gives the plain
 * product's bits wherever that stays normal and never overflows or
 * underflows on the way. The device may fuse the update into an fma and
 * round a float division less tightly, which the header's tolerance
 * covers.
 *
 * Up to DET_CL_ITEM_MAX, det_item gives each work-item a whole matrix in
 * private memory with the order compiled in (-DDET_N=n: one build per
 * order and dtype, cached on disk): every loop has a constant trip count
 * and the pivot row is swapped in with selects, not through a computed
 * index, so after unrolling the matrix can stay in registers (a computed
 * index sends a private array to slow per-thread memory on GPUs).
 *
 * Above it, det_group gives each matrix a work-group of a power-of-two
 * size (group_size()): the items search the pivot column in parallel (a
 * tree reduction keeping the first largest entry), swap the rows a column
 * each and update the trailing block an element each. The matrix is in
 * local memory when it and the search scratch fit the device's
 * (-DDET_AS=local), else in a global scratch copy of the batch
 * (-DDET_AS=global): the input is never written. -DDET_N=1 for both, so
 * the local one shares det_item's build for n = 1.
 */
#include <stdio.h>

#include "cl/cl_internal.h"
#include "det/det_impl.h"

/* Largest order given one work-item per matrix. */
#define DET_CL_ITEM_MAX 16

enum det_cl_mode {
    DET_CL_ITEM,   /* det_item: one work-item per matrix */
    DET_CL_LOCAL,  /* det_group, the matrix in local memory */
    DET_CL_GLOBAL, /* det_group, the matrix in a global scratch */
};

/* The plan's state: its kernel object and how to launch it. */
struct det_cl_state {
    struct hetero__cl_kernel *k;
    enum det_cl_mode mode;
    size_t group; /* work-items per matrix (det_group) */
};

static size_t elem_size(enum hetero_dtype dtype)
{
    return dtype == HETERO_F64 ? sizeof(double) : sizeof(float);
}

bool hetero__det_cl_supports(const struct hetero_exec *ex, const void *args,
                             const char **why)
{
    const struct hetero_det_args *da = args;
    uint64_t max = hetero__cl_device_max_alloc(ex->cl) / elem_size(da->dtype);

    if (da->dtype == HETERO_F64 && !hetero__cl_device_has_fp64(ex->cl)) {
        *why = "device lacks fp64";
        return false;
    }
    /* The kernels index a matrix with 32-bit integers. */
    if ((uint64_t)da->n * da->n > UINT32_MAX) {
        *why = "matrix order above 65535";
        return false;
    }
    /* The input, and the global scratch of the same size for large n. */
    if ((uint64_t)da->n * da->n > max / da->batch) {
        *why = "array exceeds the device's largest allocation";
        return false;
    }
    return true;
}

/* The largest power of two <= x (x >= 1). */
static size_t pow2_floor(size_t x)
{
    size_t p = 1;

    while (p <= x / 2)
        p *= 2;
    return p;
}

/* The group size of a matrix of order n for kernel k: a power of two
 * within the kernel's limit, n rounded up to one, but no less than the
 * kernel's preferred multiple (a whole warp or wavefront) when it can. */
static size_t group_size(const struct hetero__cl_kernel *k, size_t n)
{
    size_t g = pow2_floor(k->wg_max);

    while (g / 2 >= n && g / 2 >= k->wg_multiple)
        g /= 2;
    return g;
}

static int prepare_group(const struct hetero_exec *ex,
                         const struct hetero_det_args *da,
                         struct det_cl_state *st)
{
    size_t es = elem_size(da->dtype);
    uint64_t need;
    int ret;

    ret = hetero__cl_kernel_create(ex, "det", NULL, "det_group", da->dtype,
                                   "-DDET_N=1 -DDET_AS=local", &st->k);
    if (ret)
        return ret;
    st->group = group_size(st->k, da->n);
    need = (uint64_t)da->n * da->n * es +
           (uint64_t)st->group * (es + sizeof(cl_uint));
    if (need <= hetero__cl_device_local_mem(ex->cl)) {
        st->mode = DET_CL_LOCAL;
        return 0;
    }
    hetero__cl_kernel_destroy(st->k);
    st->k = NULL;
    ret = hetero__cl_kernel_create(ex, "det", NULL, "det_group", da->dtype,
                                   "-DDET_N=1 -DDET_AS=global", &st->k);
    if (ret)
        return ret;
    st->group = group_size(st->k, da->n);
    st->mode = DET_CL_GLOBAL;
    return 0;
}

int hetero__det_cl_prepare(const struct hetero_exec *ex, const void *args,
                           void **state)
{
    const struct hetero_det_args *da = args;
    struct det_cl_state *st;
    char opts[48];
    int ret;

    st = hetero__calloc(1, sizeof(*st));
    if (!st)
        return hetero__errf(ex->ctx, HETERO_ENOMEM, "det: out of memory");
    if (da->n <= DET_CL_ITEM_MAX) {
        snprintf(opts, sizeof(opts), "-DDET_N=%zu -DDET_AS=local", da->n);
        st->mode = DET_CL_ITEM;
        ret = hetero__cl_kernel_create(ex, "det", NULL, "det_item", da->dtype,
                                       opts, &st->k);
    } else {
        ret = prepare_group(ex, da, st);
    }
    if (ret)
        goto out_free;
    *state = st;
    return 0;

out_free:
    hetero__free(st);
    return ret;
}

void hetero__det_cl_release(void *state)
{
    struct det_cl_state *st = state;

    if (!st)
        return;
    hetero__cl_kernel_destroy(st->k);
    hetero__free(st);
}

/*
 * The work-group size of det_item over the batch: the runtime's choice,
 * but with no more private matrices in one group than fit the device's
 * local memory size (and at least the preferred multiple). CPU devices
 * keep a group's private arrays side by side in memory (POCL on a thread's
 * stack: a 4096-item group of 16 x 16 doubles overflows it), and GPUs keep
 * them in registers, which a smaller group leaves more of.
 */
static size_t item_local_size(const struct hetero_exec *ex,
                              const struct det_cl_state *st,
                              const struct hetero_det_args *da)
{
    size_t m = st->k->wg_multiple;
    size_t local = hetero__cl_local_size(st->k, da->batch);
    uint64_t per_item = (uint64_t)da->n * da->n * elem_size(da->dtype);
    uint64_t cap = hetero__cl_device_local_mem(ex->cl) / per_item / m * m;

    if (cap < m)
        cap = m;
    if (cap > st->k->wg_max)
        cap = st->k->wg_max;
    return local < cap ? local : (size_t)cap;
}

/* Enqueues the kernel of st over the batch. */
static int launch(struct hetero__cl_job *job, const struct det_cl_state *st,
                  const struct hetero_det_args *da, cl_mem a, cl_mem det)
{
    size_t item_local = item_local_size(job->ex, st, da);
    size_t es = elem_size(da->dtype);
    size_t nn = da->n * da->n;
    size_t global = da->batch * st->group;
    cl_ulong batch = da->batch;
    cl_uint n = (cl_uint)da->n;
    cl_ulong stride = st->mode == DET_CL_GLOBAL ? nn : 0;
    struct hetero__cl_arg m_arg = { nn * es, NULL };
    cl_mem scratch = NULL;
    int ret;

    if (st->mode == DET_CL_ITEM) {
        const struct hetero__cl_arg kargs[] = {
            HETERO__CL_ARG(a),
            HETERO__CL_ARG(det),
            HETERO__CL_ARG(batch),
        };

        return hetero__cl_job_launch(job, st->k, kargs,
                                     HETERO_ARRAY_SIZE(kargs), 1, &da->batch,
                                     &item_local);
    }
    if (st->mode == DET_CL_GLOBAL) {
        ret = hetero__cl_job_scratch(job, da->batch * nn * es, &scratch);
        if (ret)
            return ret;
        m_arg = (struct hetero__cl_arg)HETERO__CL_ARG(scratch);
    }
    {
        const struct hetero__cl_arg kargs[] = {
            HETERO__CL_ARG(a),
            HETERO__CL_ARG(det),
            HETERO__CL_ARG(n),
            m_arg,
            HETERO__CL_ARG(stride),
            { st->group * es, NULL },
            { st->group * sizeof(cl_uint), NULL },
        };

        return hetero__cl_job_launch(job, st->k, kargs,
                                     HETERO_ARRAY_SIZE(kargs), 1, &global,
                                     &st->group);
    }
}

int hetero__det_cl(const struct hetero_exec *ex, const void *args)
{
    const struct hetero_det_args *da = args;
    const struct det_cl_state *st = ex->state;
    size_t es = elem_size(da->dtype);
    const struct hetero_call *call = ex->call;
    hetero_buffer *a_buf = call ? call->inputs[0].buffer : NULL;
    hetero_buffer *d_buf =
        call && call->n_outputs ? call->outputs[0].buffer : NULL;
    struct hetero__cl_job job;
    cl_mem a;
    cl_mem det;
    int ret;

    hetero__cl_job_init(&job, ex);
    ret = hetero__cl_job_map(&job, da->a, da->batch * da->n * da->n * es, a_buf,
                             HETERO__CL_READ, &a);
    if (ret)
        goto out_end;
    ret = hetero__cl_job_map(&job, da->det, da->batch * es, d_buf,
                             HETERO__CL_WRITE, &det);
    if (ret)
        goto out_end;
    ret = launch(&job, st, da, a, det);
    if (ret)
        goto out_end;
    ret = hetero__cl_job_finish(&job);
out_end:
    hetero__cl_job_end(&job);
    return ret;
}
