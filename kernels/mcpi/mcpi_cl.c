/*
 * mcpi_cl.c - mcpi through OpenCL, the same hit count as the CPU.
 *
 * DESIGN: mcpi.cl runs the generator and the exact hit test of mcpi.h in
 * 32-bit integer operations, so every device (fp64 or not) counts the same
 * hits as mcpi.c for the same seed. Each work-item counts a contiguous run
 * of `per` sample pairs; each work-group writes its total to its own slot
 * of a partials buffer (no atomics) and the host adds the slots. Counts are
 * integers: neither the split nor the order of the additions can change
 * them. A GPU work-item generates one pair per step; on a device that
 * prefers vectors (a CPU) it generates 16 consecutive pairs per step as
 * the lanes of uint16 values, which its SIMD units run side by side (as
 * mcpi.c's batches do).
 *
 * The device counts the samples/2 pairs whose two samples both count; a
 * lone last sample (odd samples) is one Philox call, made on the host by
 * the reference hetero__mcpi_hits(). The pairs go in launches of at most
 * MCPI_CL_LAUNCH_PAIRS, each at most MCPI_CL_MAX_ITEMS work-items of at
 * least MCPI_CL_ITEM_PAIRS pairs: enough items to fill a large GPU, few
 * enough partials to read back cheaply, and launches short enough (well
 * under a second on a GPU) for display watchdogs. Work-group sizes come
 * from the runtime (hetero__cl_local_size), within local memory.
 */
#include <assert.h>
#include <stdio.h>

#include <hetero/hetero.h>

#include "cl/cl_internal.h"
#include "mcpi/mcpi_impl.h"

/* Pairs per launch: 2^33 samples. */
#define MCPI_CL_LAUNCH_PAIRS ((uint64_t)1 << 32)
/* Work-items per launch at most, and pairs per work-item at least. */
#define MCPI_CL_MAX_ITEMS ((uint64_t)1 << 20)
#define MCPI_CL_ITEM_PAIRS 64

/* An item's count (2 * per, per rounded up to 16) must fit the kernel's
 * 32-bit counters. */
_Static_assert(MCPI_CL_LAUNCH_PAIRS / MCPI_CL_MAX_ITEMS + 16 <
                   (uint64_t)UINT32_MAX / 2,
               "mcpi_cl: pairs per work-item exceed 32 bits");

/* A plan's state: its kernel object and the pairs per step of an item. */
struct mcpi_cl {
    struct hetero__cl_kernel *k;
    unsigned w; /* MCPI_W of mcpi.cl: 1, 2, 4, 8 or 16 */
};

/* The shape of one launch over `pairs` pairs. */
struct geometry {
    cl_ulong per;  /* pairs per work-item, a multiple of w */
    size_t items;  /* work-items that count something */
    size_t local;  /* work-group size */
    size_t groups; /* work-groups: partials to read back */
};

static void geometry(const struct mcpi_cl *st, uint64_t pairs,
                     struct geometry *g)
{
    uint64_t per = (pairs + MCPI_CL_MAX_ITEMS - 1) / MCPI_CL_MAX_ITEMS;
    uint64_t by_mem =
        hetero__cl_device_local_mem(st->k->dev) / sizeof(cl_ulong);

    if (per < MCPI_CL_ITEM_PAIRS)
        per = MCPI_CL_ITEM_PAIRS;
    per = (per + st->w - 1) / st->w * st->w;
    g->per = per;
    g->items = (size_t)((pairs + per - 1) / per);
    g->local = hetero__cl_local_size(st->k, g->items);
    if (g->local > by_mem)
        g->local = (size_t)by_mem;
    g->groups = (g->items + g->local - 1) / g->local;
}

/*
 * Pairs per step of a work-item for this device: a device that prefers
 * vectors of ints (CL_DEVICE_PREFERRED_VECTOR_WIDTH_INT > 1: CPU devices)
 * runs a work-item per SIMD unit and gets 16 pairs side by side as vector
 * lanes; a GPU (width 1) gets one pair per step and many work-items.
 */
static int pairs_per_step(const struct hetero_exec *ex, unsigned *w)
{
    cl_command_queue q = hetero__cl_device_queue(ex->cl);
    cl_device_id id;
    cl_uint width = 1;
    cl_int err;

    err = clGetCommandQueueInfo(q, CL_QUEUE_DEVICE, sizeof(id), &id, NULL);
    if (err != CL_SUCCESS)
        return hetero__cl_fail(ex->ctx, err, "clGetCommandQueueInfo");
    err = clGetDeviceInfo(id, CL_DEVICE_PREFERRED_VECTOR_WIDTH_INT,
                          sizeof(width), &width, NULL);
    if (err != CL_SUCCESS)
        return hetero__cl_fail(ex->ctx, err, "clGetDeviceInfo");
    *w = width > 1 ? 16 : 1;
    return 0;
}

int hetero__mcpi_cl_prepare_width(const struct hetero_exec *ex, unsigned w,
                                  void **state)
{
    struct mcpi_cl *st;
    char opts[32];
    int ret;

    assert(w == 1 || w == 2 || w == 4 || w == 8 || w == 16);
    st = hetero__calloc(1, sizeof(*st));
    if (!st)
        return hetero__errf(ex->ctx, HETERO_ENOMEM, "mcpi: out of memory");
    st->w = w;
    snprintf(opts, sizeof(opts), "-DMCPI_W=%u", w);
    ret = hetero__cl_kernel_create(ex, "mcpi", NULL, "mcpi_hits",
                                   HETERO_DTYPE_NONE, opts, &st->k);
    if (ret)
        goto out_free;
    if (hetero__cl_device_local_mem(ex->cl) < sizeof(cl_ulong)) {
        ret = hetero__errf(ex->ctx, HETERO_ENOTSUP,
                           "mcpi: the OpenCL device has no local memory");
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

int hetero__mcpi_cl_prepare(const struct hetero_exec *ex, const void *args,
                            void **state)
{
    unsigned w = 1;
    int ret;

    (void)args;
    ret = pairs_per_step(ex, &w);
    if (ret)
        return ret;
    return hetero__mcpi_cl_prepare_width(ex, w, state);
}

void hetero__mcpi_cl_release(void *state)
{
    struct mcpi_cl *st = state;

    if (!st)
        return;
    hetero__cl_kernel_destroy(st->k);
    hetero__free(st);
}

int hetero__mcpi_cl_count(const struct hetero_exec *ex, uint64_t seed,
                          uint64_t first, uint64_t count,
                          uint64_t launch_pairs, uint64_t *hits)
{
    const struct mcpi_cl *st = ex->state;
    cl_uint k0 = (cl_uint)seed;
    cl_uint k1 = (cl_uint)(seed >> 32);
    struct geometry g;
    size_t cap;
    cl_ulong *parts;
    struct hetero__cl_job job;
    cl_mem dparts;
    uint64_t total = 0;
    uint64_t done;
    size_t i;
    int ret;

    assert(launch_pairs > 0 && launch_pairs <= MCPI_CL_LAUNCH_PAIRS);
    if (count == 0) {
        *hits = 0;
        return 0;
    }
    /* Launches are full-size but the last: size the partials for both. */
    geometry(st, count < launch_pairs ? count : launch_pairs, &g);
    cap = g.groups;
    if (count > launch_pairs && count % launch_pairs) {
        geometry(st, count % launch_pairs, &g);
        if (g.groups > cap)
            cap = g.groups;
    }
    parts = hetero__malloc(cap * sizeof(*parts));
    if (!parts)
        return hetero__errf(ex->ctx, HETERO_ENOMEM,
                            "mcpi: cannot allocate %zu partial counts", cap);
    hetero__cl_job_init(&job, ex);
    ret = hetero__cl_job_scratch(&job, cap * sizeof(*parts), &dparts);
    if (ret)
        goto out_end;
    for (done = 0; done < count; done += launch_pairs) {
        cl_ulong first_pair = first + done;
        cl_ulong pairs = count - done < launch_pairs ? count - done
                                                     : launch_pairs;

        geometry(st, pairs, &g);
        {
            const struct hetero__cl_arg kargs[] = {
                HETERO__CL_ARG(k0),
                HETERO__CL_ARG(k1),
                HETERO__CL_ARG(first_pair),
                HETERO__CL_ARG(pairs),
                HETERO__CL_ARG(g.per),
                HETERO__CL_ARG(dparts),
                { g.local * sizeof(cl_ulong), NULL },
            };

            ret = hetero__cl_job_launch(&job, st->k, kargs,
                                        HETERO_ARRAY_SIZE(kargs), 1, &g.items,
                                        &g.local);
        }
        if (ret)
            goto out_end;
        ret = hetero__cl_job_read(&job, dparts, 0,
                                  g.groups * sizeof(*parts), parts);
        if (ret)
            goto out_end;
        for (i = 0; i < g.groups; i++)
            total += parts[i];
    }
    ret = hetero__cl_job_finish(&job);
    if (ret == 0)
        *hits = total;
out_end:
    hetero__cl_job_end(&job);
    hetero__free(parts);
    return ret;
}

int hetero__mcpi_cl(const struct hetero_exec *ex, const void *args)
{
    const struct hetero_mcpi_args *ma = args;
    uint64_t full = ma->samples / 2;
    uint64_t hits = 0;
    int ret;

    ret = hetero__mcpi_cl_count(ex, ma->seed, 0, full, MCPI_CL_LAUNCH_PAIRS,
                                &hits);
    if (ret)
        return ret;
    /* The lone last sample of an odd count: sample 2 * full. */
    if (ma->samples % 2)
        hits += hetero__mcpi_hits(ma->seed, ma->samples, full, full + 1);
    hetero__mcpi_store(ma, hits);
    /* Written on the host: device copies of the outputs are stale. */
    if (ex->call) {
        size_t i;

        for (i = 0; i < ex->call->n_outputs; i++)
            hetero_buffer_mark_host_dirty(ex->call->outputs[i].buffer);
    }
    return 0;
}
