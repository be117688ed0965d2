/*
 * rbf_cl.c - rbf through OpenCL (kernels/rbf/rbf.cl).
 *
 * DESIGN: one launch over the whole N x N output, a work-item per element
 * (rbf.cl says why the full matrix rather than one triangle and a mirror).
 * The work-group is a run of columns of one or more rows: as wide as the
 * device likes for a range of N * N items but no wider than N rounded up
 * to the kernel's preferred multiple, and as many rows as the rest of the
 * group allows, so that small N does not leave most of a group idle.
 */
#include "cl/cl_internal.h"
#include "rbf/rbf_impl.h"

static size_t elem_size(enum hetero_dtype dtype)
{
    return dtype == HETERO_F64 ? sizeof(double) : sizeof(float);
}

bool hetero__rbf_cl_supports(const struct hetero_exec *ex, const void *args,
                             const char **why)
{
    const struct hetero_rbf_args *ra = args;
    uint64_t max = hetero__cl_device_max_alloc(ex->cl) / elem_size(ra->dtype);

    if (ra->dtype == HETERO_F64 && !hetero__cl_device_has_fp64(ex->cl)) {
        *why = "device lacks fp64";
        return false;
    }
    if ((uint64_t)ra->n > max / ra->n || (uint64_t)ra->n > max / ra->d) {
        *why = "array exceeds the device's largest allocation";
        return false;
    }
    return true;
}

int hetero__rbf_cl_prepare(const struct hetero_exec *ex, const void *args,
                           void **state)
{
    const struct hetero_rbf_args *ra = args;
    struct hetero__cl_kernel *k;
    int ret;

    ret = hetero__cl_kernel_create(ex, "rbf", NULL, "rbf", ra->dtype, NULL, &k);
    if (ret)
        return ret;
    *state = k;
    return 0;
}

void hetero__rbf_cl_release(void *state)
{
    hetero__cl_kernel_destroy(state);
}

/* The 2-D work-group {columns, rows} for an n x n output. */
static void local_size(const struct hetero__cl_kernel *k, size_t n,
                       size_t local[2])
{
    size_t m = k->wg_multiple;
    size_t total = hetero__cl_local_size(k, n * n);
    size_t cols = (n + m - 1) / m * m;

    local[0] = cols < total ? cols : total;
    local[1] = total / local[0];
    if (local[1] > n)
        local[1] = n;
}

int hetero__rbf_cl(const struct hetero_exec *ex, const void *args)
{
    const struct hetero_rbf_args *ra = args;
    struct hetero__cl_kernel *k = ex->state;
    size_t es = elem_size(ra->dtype);
    const struct hetero_call *call = ex->call;
    hetero_buffer *p_buf = call ? call->inputs[0].buffer : NULL;
    hetero_buffer *o_buf =
        call && call->n_outputs ? call->outputs[0].buffer : NULL;
    size_t global[2] = { ra->n, ra->n };
    size_t local[2];
    cl_ulong n = ra->n;
    cl_ulong d = ra->d;
    struct hetero__cl_job job;
    cl_mem points;
    cl_mem out;
    int ret;

    hetero__cl_job_init(&job, ex);
    ret = hetero__cl_job_map(&job, ra->points, ra->n * ra->d * es, p_buf,
                             HETERO__CL_READ, &points);
    if (ret)
        goto out_end;
    ret = hetero__cl_job_map(&job, ra->out, ra->n * ra->n * es, o_buf,
                             HETERO__CL_WRITE, &out);
    if (ret)
        goto out_end;
    local_size(k, ra->n, local);
    {
        const struct hetero__cl_arg kargs[] = {
            HETERO__CL_ARG(points),
            HETERO__CL_ARG(out),
            HETERO__CL_ARG(n),
            HETERO__CL_ARG(d),
        };

        ret = hetero__cl_job_launch(&job, k, kargs, HETERO_ARRAY_SIZE(kargs), 2,
                                    global, local);
    }
    if (ret)
        goto out_end;
    ret = hetero__cl_job_finish(&job);
out_end:
    hetero__cl_job_end(&job);
    return ret;
}
