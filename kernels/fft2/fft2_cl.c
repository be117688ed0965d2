/*
 * fft2_cl.c - fft2 on OpenCL, through VkFFT (lib/src/cl/cl_fft.c).
 *
 * DESIGN: the whole batch is one in-place complex VkFFT transform (a
 * cached plan per shape, precision and direction, made in prepare()), run
 * on a work buffer that first receives x: a real x through
 * fft2_real_to_complex (fft2.cl), a complex x by a device copy. Inverse
 * scaling by 1/(n m) is VkFFT's own (its normalised inverse). On a device
 * that shares host memory the work buffer is y itself, used in place;
 * elsewhere it is a device-only scratch copied into y at the end, so y is
 * never sent to the device just to be overwritten.
 *
 * Converting a real x to complex and running the complex transform costs
 * about twice the arithmetic of a real-to-complex transform plus Hermitian
 * fill (the serial variant's way), but it is one code path for both input
 * kinds, exact to the same rounding, and the conversion is one cheap pass.
 */
#include "cl/cl_fft.h"
#include "cl/cl_internal.h"
#include "fft2/fft2_impl.h"

/* Prepared state of one plan. */
struct fft2_cl {
    struct hetero__cl_kernel *to_complex; /* real x only, else NULL */
    struct hetero__cl_fft_plan *fft;      /* owned by the context's cache */
};

static bool is_real(enum hetero_dtype d)
{
    return d == HETERO_F32 || d == HETERO_F64;
}

static bool is_double(enum hetero_dtype d)
{
    return d == HETERO_F64 || d == HETERO_C128;
}

/* Bytes of y: batch * n * m complex elements (fits: checked by unpack). */
static size_t y_bytes(const struct hetero_fft2_args *fa)
{
    return fa->batch * fa->n * fa->m * (is_double(fa->dtype) ? 16 : 8);
}

bool hetero__fft2_cl_supports(const struct hetero_exec *ex, const void *args,
                              const char **why)
{
    const struct hetero_fft2_args *fa = args;

    if (is_double(fa->dtype) && !hetero__cl_device_has_fp64(ex->cl)) {
        *why = "device lacks fp64";
        return false;
    }
    if ((uint64_t)y_bytes(fa) > hetero__cl_device_max_alloc(ex->cl)) {
        *why = "array exceeds the device's largest allocation";
        return false;
    }
    return true;
}

int hetero__fft2_cl_prepare(const struct hetero_exec *ex, const void *args,
                            void **state)
{
    const struct hetero_fft2_args *fa = args;
    struct hetero__cl_fft_key key = {
        .batch = fa->batch,
        .n = fa->n,
        .m = fa->m,
        .f64 = is_double(fa->dtype),
        .inverse = fa->inverse,
    };
    struct fft2_cl *st;
    int ret;

    st = hetero__calloc(1, sizeof(*st));
    if (!st)
        return hetero__errf(ex->ctx, HETERO_ENOMEM, "fft2: out of memory");
    if (is_real(fa->dtype)) {
        ret = hetero__cl_kernel_create(ex, "fft2", NULL, "fft2_real_to_complex",
                                       fa->dtype, NULL, &st->to_complex);
        if (ret)
            goto out_free;
    }
    ret = hetero__cl_fft_plan_get(ex, &key, &st->fft);
    if (ret)
        goto out_destroy_kernel;
    *state = st;
    return 0;

out_destroy_kernel:
    hetero__cl_kernel_destroy(st->to_complex);
out_free:
    hetero__free(st);
    return ret;
}

void hetero__fft2_cl_release(void *state)
{
    struct fft2_cl *st = state;

    if (!st)
        return;
    hetero__cl_kernel_destroy(st->to_complex);
    hetero__free(st);
}

/* Copies nbytes from src to dst on the device queue (no wait). */
static int copy_buffer(struct hetero__cl_job *job, cl_mem src, cl_mem dst,
                       size_t nbytes)
{
    cl_int err;

    err = clEnqueueCopyBuffer(hetero__cl_device_queue(job->dev), src, dst, 0, 0,
                              nbytes, 0, NULL, NULL);
    if (err != CL_SUCCESS)
        return hetero__cl_fail(job->ex->ctx, err, "clEnqueueCopyBuffer");
    job->enqueued = true;
    return 0;
}

int hetero__fft2_cl(const struct hetero_exec *ex, const void *args)
{
    const struct hetero_fft2_args *fa = args;
    const struct fft2_cl *st = ex->state;
    hetero_buffer *xbuf = ex->call ? ex->call->inputs[0].buffer : NULL;
    size_t ybytes = y_bytes(fa);
    size_t xbytes = is_real(fa->dtype) ? ybytes / 2 : ybytes;
    bool unified = hetero__cl_device_unified(ex->cl);
    struct hetero__cl_job job;
    cl_mem x;
    cl_mem y;
    cl_mem work;
    int ret;

    if (!st)
        return hetero__errf(ex->ctx, HETERO_EINVAL,
                            "fft2: OpenCL variant run without prepare");
    hetero__cl_job_init(&job, ex);
    ret = hetero__cl_job_map(&job, fa->x, xbytes, xbuf, HETERO__CL_READ, &x);
    if (ret)
        goto out_end;
    /* In place, y's host bytes are the device's: nothing is sent. */
    ret = hetero__cl_job_map(
        &job, fa->y, ybytes, NULL,
        unified ? HETERO__CL_READ | HETERO__CL_WRITE : HETERO__CL_WRITE, &y);
    if (ret)
        goto out_end;
    work = y;
    if (!unified) {
        ret = hetero__cl_job_scratch(&job, ybytes, &work);
        if (ret)
            goto out_end;
    }
    if (st->to_complex) {
        cl_ulong n = (cl_ulong)(ybytes / (is_double(fa->dtype) ? 16 : 8));
        size_t gsz = (size_t)n;
        const struct hetero__cl_arg kargs[] = {
            HETERO__CL_ARG(x),
            HETERO__CL_ARG(work),
            HETERO__CL_ARG(n),
        };

        ret = hetero__cl_job_launch(&job, st->to_complex, kargs,
                                    HETERO_ARRAY_SIZE(kargs), 1, &gsz, NULL);
    } else {
        ret = copy_buffer(&job, x, work, ybytes);
    }
    if (ret)
        goto out_end;
    ret = hetero__cl_fft_enqueue(&job, st->fft, work);
    if (ret)
        goto out_end;
    if (work != y) {
        ret = copy_buffer(&job, work, y, ybytes);
        if (ret)
            goto out_end;
    }
    ret = hetero__cl_job_finish(&job);
out_end:
    hetero__cl_job_end(&job);
    return ret;
}
