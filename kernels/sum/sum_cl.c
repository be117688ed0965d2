/*
 * sum_cl.c - sum through OpenCL, bitwise equal to the serial reference.
 *
 * DESIGN: the device computes the HETERO_SUM_BLOCK block partials of
 * sum.h (sum.cl: the lanes of a block spread over consecutive work-items,
 * then folded in lane order by the block's first item through local
 * memory), the host reads them back and folds them in block order with
 * hetero__sum_combine(), as the serial and pool variants do. Every step is
 * the same sequence of IEEE double additions as on the CPU, so the result
 * has the same bits on any device that has fp64 (NaN results are NaN,
 * their payload is the device's). The accumulation is in double for f32
 * input too, so a device without fp64 declines both dtypes.
 *
 * A GPU gets one lane per work-item (coalesced loads, many items); a
 * device that prefers vectors of doubles (a CPU) gets a block's sixteen
 * lanes per item, sixteen independent TwoSum chains like the CPU code.
 * The work-group size is the runtime's choice for the launch, rounded
 * down to a multiple of the items per block (so no block straddles two
 * groups) and capped by the device's local memory (two doubles per lane).
 * The partials (16 bytes per 4096 elements) come back in one read.
 */
#include <assert.h>
#include <stdio.h>

#include <hetero/hetero.h>

#include "cl/cl_internal.h"
#include "sum/sum_impl.h"

/* Partials kept on the stack (4096 elements each: sums up to 256 Ki). */
#define SUM_CL_LOCAL_BLOCKS 64

_Static_assert(sizeof(struct hetero__sum_partial) == 2 * sizeof(double),
               "sum_cl: partials are read back as pairs of doubles");

/* A plan's state: its kernel object and the lanes per work-item. */
struct sum_cl {
    struct hetero__cl_kernel *k;
    unsigned lpi;   /* lanes per work-item, dividing HETERO_SUM_LANES */
    size_t ipb;     /* work-items per block */
    size_t max_wg;  /* largest usable work-group: a multiple of ipb */
};

static size_t elem_size(enum hetero_dtype dtype)
{
    return dtype == HETERO_F64 ? sizeof(double) : sizeof(float);
}

/* clGetDeviceInfo on the device of ex; *call names the call that failed. */
static cl_int device_info(const struct hetero_exec *ex, cl_device_info what,
                          size_t size, void *value, const char **call)
{
    cl_command_queue q = hetero__cl_device_queue(ex->cl);
    cl_device_id id;
    cl_int err;

    *call = "clGetCommandQueueInfo";
    err = clGetCommandQueueInfo(q, CL_QUEUE_DEVICE, sizeof(id), &id, NULL);
    if (err != CL_SUCCESS)
        return err;
    *call = "clGetDeviceInfo";
    return clGetDeviceInfo(id, what, size, value, NULL);
}

bool hetero__sum_cl_supports(const struct hetero_exec *ex, const void *args,
                             const char **why)
{
    const struct hetero_sum_args *sa = args;
    cl_device_fp_config fp32 = 0;
    const char *call;

    /* f32 elements are accumulated in double too. */
    if (!hetero__cl_device_has_fp64(ex->cl)) {
        *why = "device lacks fp64";
        return false;
    }
    /* A device that flushes f32 subnormals would add them as zeros. */
    if (sa->dtype == HETERO_F32 &&
        (device_info(ex, CL_DEVICE_SINGLE_FP_CONFIG, sizeof(fp32), &fp32,
                     &call) != CL_SUCCESS ||
         !(fp32 & CL_FP_DENORM))) {
        *why = "device flushes f32 subnormals";
        return false;
    }
    if ((uint64_t)sa->n > hetero__cl_device_max_alloc(ex->cl) /
                              elem_size(sa->dtype)) {
        *why = "array exceeds the device's largest allocation";
        return false;
    }
    return true;
}

/*
 * Lanes per work-item for this device: a device that prefers vectors of
 * doubles (CL_DEVICE_PREFERRED_VECTOR_WIDTH_DOUBLE > 1: CPU devices)
 * runs a work-item per SIMD unit and wants a whole block's independent
 * lanes in one item; a GPU (width 1) wants one lane per work-item and
 * many items, with coalesced loads.
 */
static int lanes_per_item(const struct hetero_exec *ex, unsigned *lpi)
{
    cl_uint width = 1;
    const char *call;
    cl_int err;

    err = device_info(ex, CL_DEVICE_PREFERRED_VECTOR_WIDTH_DOUBLE,
                      sizeof(width), &width, &call);
    if (err != CL_SUCCESS)
        return hetero__cl_fail(ex->ctx, err, call);
    *lpi = width > 1 ? HETERO_SUM_LANES : 1;
    return 0;
}

int hetero__sum_cl_prepare_lanes(const struct hetero_exec *ex,
                                 enum hetero_dtype dtype, unsigned lpi,
                                 void **state)
{
    struct sum_cl *st;
    char opts[128];
    uint64_t by_mem;
    int ret;

    assert(lpi == 1 || lpi == 2 || lpi == 4 || lpi == 8 || lpi == 16);
    assert(HETERO_SUM_LANES % lpi == 0);
    st = hetero__calloc(1, sizeof(*st));
    if (!st)
        return hetero__errf(ex->ctx, HETERO_ENOMEM, "sum: out of memory");
    st->lpi = lpi;
    st->ipb = HETERO_SUM_LANES / st->lpi;
    /* The accumulators are REAL = double; the elements are SUM_X. */
    snprintf(opts, sizeof(opts),
             "-DSUM_X=%s -DSUM_BLOCK=%d -DSUM_LANES=%d -DSUM_LPI=%u",
             dtype == HETERO_F64 ? "double" : "float", HETERO_SUM_BLOCK,
             HETERO_SUM_LANES, st->lpi);
    ret = hetero__cl_kernel_create(ex, "sum", NULL, "sum_blocks", HETERO_F64,
                                   opts, &st->k);
    if (ret)
        goto out_free;
    /* Local memory: the (s, c) of each lane of the group. */
    by_mem = hetero__cl_device_local_mem(ex->cl) /
             (2 * st->lpi * sizeof(double));
    st->max_wg = st->k->wg_max;
    if (by_mem < st->max_wg)
        st->max_wg = (size_t)by_mem;
    st->max_wg = st->max_wg / st->ipb * st->ipb;
    if (st->max_wg == 0) {
        ret = hetero__errf(ex->ctx, HETERO_ENOTSUP,
                           "sum: OpenCL work-groups of this device hold "
                           "fewer than the %zu work-items of a block",
                           st->ipb);
        goto out_destroy_kernel;
    }
    *state = st;
    return 0;

out_destroy_kernel:
    hetero__cl_kernel_destroy(st->k);
out_free:
    hetero__free(st);
    return ret;
}

int hetero__sum_cl_prepare(const struct hetero_exec *ex, const void *args,
                           void **state)
{
    const struct hetero_sum_args *sa = args;
    unsigned lpi = 1;
    int ret;

    ret = lanes_per_item(ex, &lpi);
    if (ret)
        return ret;
    return hetero__sum_cl_prepare_lanes(ex, sa->dtype, lpi, state);
}

void hetero__sum_cl_release(void *state)
{
    struct sum_cl *st = state;

    if (!st)
        return;
    hetero__cl_kernel_destroy(st->k);
    hetero__free(st);
}

/* The work-group size of a launch over `items` work-items: the runtime's
 * choice, a multiple of the items per block, within max_wg. */
static size_t group_size(const struct sum_cl *st, size_t items)
{
    size_t local = hetero__cl_local_size(st->k, items);

    local = local / st->ipb * st->ipb;
    if (local < st->ipb)
        local = st->ipb;
    return local < st->max_wg ? local : st->max_wg;
}

int hetero__sum_cl(const struct hetero_exec *ex, const void *args)
{
    const struct hetero_sum_args *sa = args;
    const struct sum_cl *st = ex->state;
    struct hetero__sum_partial stack_parts[SUM_CL_LOCAL_BLOCKS];
    struct hetero__sum_partial *parts = stack_parts;
    struct hetero__sum_partial acc;
    size_t nb = hetero__sum_nblocks(sa->n);
    size_t items = nb * st->ipb;
    size_t local = group_size(st, items);
    size_t lbytes = local * st->lpi * sizeof(double);
    cl_ulong n = sa->n;
    cl_ulong nblocks = nb;
    struct hetero__cl_job job;
    cl_mem x;
    cl_mem dparts;
    size_t b;
    int ret;

    if (nb > SUM_CL_LOCAL_BLOCKS) {
        parts = hetero__malloc(nb * sizeof(*parts));
        if (!parts)
            return hetero__errf(ex->ctx, HETERO_ENOMEM,
                                "sum: cannot allocate %zu block partials",
                                nb);
    }
    hetero__cl_job_init(&job, ex);
    ret = hetero__cl_job_map(&job, sa->x, sa->n * elem_size(sa->dtype),
                             ex->call ? ex->call->inputs[0].buffer : NULL,
                             HETERO__CL_READ, &x);
    if (ret)
        goto out_end;
    ret = hetero__cl_job_scratch(&job, nb * sizeof(*parts), &dparts);
    if (ret)
        goto out_end;
    {
        const struct hetero__cl_arg kargs[] = {
            HETERO__CL_ARG(x),
            HETERO__CL_ARG(n),
            HETERO__CL_ARG(nblocks),
            HETERO__CL_ARG(dparts),
            { lbytes, NULL },
            { lbytes, NULL },
        };

        ret = hetero__cl_job_launch(&job, st->k, kargs,
                                    HETERO_ARRAY_SIZE(kargs), 1, &items,
                                    &local);
    }
    if (ret)
        goto out_end;
    ret = hetero__cl_job_read(&job, dparts, 0, nb * sizeof(*parts), parts);
    if (ret)
        goto out_end;
    ret = hetero__cl_job_finish(&job);
    if (ret)
        goto out_end;
    acc = parts[0];
    for (b = 1; b < nb; b++)
        hetero__sum_combine(&acc, &parts[b]);
    *sa->out = hetero__sum_finish(&acc);
    /* Written on the host: a device copy of the output is stale. */
    if (ex->call && ex->call->n_outputs)
        hetero_buffer_mark_host_dirty(ex->call->outputs[0].buffer);
out_end:
    hetero__cl_job_end(&job);
    if (parts != stack_parts)
        hetero__free(parts);
    return ret;
}
