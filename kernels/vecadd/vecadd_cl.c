/*
 * vecadd_cl.c - vecadd through OpenCL, the model for every kernel's OpenCL
 * variant: supports() refuses what the device cannot do, prepare() makes
 * the plan's own kernel object, run() maps the arrays, launches and reads
 * back in one job, release() drops the kernel object.
 */
#include "cl/cl_internal.h"
#include "vecadd/vecadd_impl.h"

static size_t elem_size(enum hetero_dtype dtype)
{
    return dtype == HETERO_F64 ? sizeof(double) : sizeof(float);
}

bool hetero__vecadd_cl_supports(const struct hetero_exec *ex,
                                const void *args, const char **why)
{
    const struct hetero_vecadd_args *va = args;

    if (va->dtype == HETERO_F64 && !hetero__cl_device_has_fp64(ex->cl)) {
        *why = "device lacks fp64";
        return false;
    }
    if ((uint64_t)va->n > hetero__cl_device_max_alloc(ex->cl) /
                              elem_size(va->dtype)) {
        *why = "array exceeds the device's largest allocation";
        return false;
    }
    return true;
}

int hetero__vecadd_cl_prepare(const struct hetero_exec *ex, const void *args,
                              void **state)
{
    const struct hetero_vecadd_args *va = args;
    struct hetero__cl_kernel *k;
    int ret;

    ret = hetero__cl_kernel_create(ex, "vecadd", NULL, "vecadd", va->dtype,
                                   NULL, &k);
    if (ret)
        return ret;
    *state = k;
    return 0;
}

void hetero__vecadd_cl_release(void *state)
{
    hetero__cl_kernel_destroy(state);
}

/* True if [p, p + n) and [q, q + n) share a byte. */
static bool overlap(const void *p, const void *q, size_t n)
{
    const char *a = p;
    const char *b = q;

    return a < b + n && b < a + n;
}

int hetero__vecadd_cl(const struct hetero_exec *ex, const void *args)
{
    const struct hetero_vecadd_args *va = args;
    struct hetero__cl_kernel *k = ex->state;
    size_t nbytes = va->n * elem_size(va->dtype);
    cl_ulong n = va->n;
    struct hetero__cl_job job;
    cl_mem a;
    cl_mem b;
    cl_mem c;
    int ret;

    hetero__cl_job_init(&job, ex);
    /* c may be a or b itself: then that one buffer is read and written. */
    ret = hetero__cl_job_map(&job, va->a, nbytes, NULL,
                             HETERO__CL_READ |
                                 (va->c == va->a ? HETERO__CL_WRITE : 0),
                             &a);
    if (ret)
        goto out_end;
    if (va->b == va->a) {
        b = a;
    } else {
        ret = hetero__cl_job_map(&job, va->b, nbytes, NULL,
                                 HETERO__CL_READ |
                                     (va->c == va->b ? HETERO__CL_WRITE : 0) |
                                     (overlap(va->b, va->a, nbytes)
                                          ? HETERO__CL_COPY
                                          : 0),
                                 &b);
        if (ret)
            goto out_end;
    }
    if (va->c == va->a) {
        c = a;
    } else if (va->c == va->b) {
        c = b;
    } else {
        ret = hetero__cl_job_map(&job, va->c, nbytes, NULL,
                                 HETERO__CL_WRITE |
                                     (overlap(va->c, va->a, nbytes) ||
                                              overlap(va->c, va->b, nbytes)
                                          ? HETERO__CL_COPY
                                          : 0),
                                 &c);
        if (ret)
            goto out_end;
    }
    {
        const struct hetero__cl_arg kargs[] = {
            HETERO__CL_ARG(a),
            HETERO__CL_ARG(b),
            HETERO__CL_ARG(c),
            HETERO__CL_ARG(n),
        };

        ret = hetero__cl_job_launch(&job, k, kargs, HETERO_ARRAY_SIZE(kargs),
                                    1, &va->n, NULL);
    }
    if (ret)
        goto out_end;
    ret = hetero__cl_job_finish(&job);
out_end:
    hetero__cl_job_end(&job);
    return ret;
}
