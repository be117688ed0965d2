/*
 * cl_kernel.c - kernel objects, work-group sizes and launches.
 *
 * DESIGN: a plan owns its kernel objects (created in prepare(), released
 * in release()), so plans never share argument state; a per-kernel mutex
 * still covers clSetKernelArg + clEnqueueNDRangeKernel because one plan may
 * be executed by several threads at once (the enqueue captures the
 * arguments, so the lock is held for microseconds, never while the kernel
 * runs). Work-group sizes come from CL_KERNEL_WORK_GROUP_SIZE, the
 * preferred multiple and the device's limits, never from a constant.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "cl/cl_private.h"

/* The build options for dtype + extra; NULL on out of memory. */
static char *build_options(enum hetero_dtype dtype, const char *extra,
                           bool *fp64)
{
    const char *real;
    size_t n;
    char *s;

    switch (dtype) {
    case HETERO_F64:
    case HETERO_C128:
        real = "-DREAL=double -DREAL2=double2 -DREAL4=double4 "
               "-DHETERO_FP64=1";
        *fp64 = true;
        break;
    case HETERO_F32:
    case HETERO_C64:
        real = "-DREAL=float -DREAL2=float2 -DREAL4=float4";
        *fp64 = false;
        break;
    default:
        real = "";
        *fp64 = false;
        break;
    }
    if (!extra)
        extra = "";
    n = strlen("-cl-std=CL1.2") + strlen(real) + strlen(extra) + 3;
    s = hetero__malloc(n);
    if (!s)
        return NULL;
    snprintf(s, n, "-cl-std=CL1.2%s%s%s%s", real[0] ? " " : "", real,
             extra[0] ? " " : "", extra);
    return s;
}

static const char *embedded_source(const char *program)
{
    size_t i;

    for (i = 0; i < hetero__cl_n_sources; i++) {
        if (strcmp(hetero__cl_sources[i].name, program) == 0)
            return hetero__cl_sources[i].text;
    }
    return NULL;
}

int hetero__cl_kernel_create(const struct hetero_exec *ex,
                             const char *program, const char *source,
                             const char *entry, enum hetero_dtype dtype,
                             const char *extra_options,
                             struct hetero__cl_kernel **out)
{
    struct hetero__cl_device *dev = ex->cl;
    hetero_context *ctx = ex->ctx;
    struct hetero__cl_kernel *k;
    char call[128];
    char *options;
    cl_program prog;
    bool fp64 = false;
    size_t pm = 0;
    cl_int err;
    int ret;

    assert(dev && ctx && program && entry && out);
    if (!source)
        source = embedded_source(program);
    if (!source)
        return hetero__errf(ctx, HETERO_ENOENT,
                            "OpenCL: no program '%s' is embedded", program);
    options = build_options(dtype, extra_options, &fp64);
    if (!options)
        return hetero__errf(ctx, HETERO_ENOMEM, "OpenCL: out of memory");
    ret = hetero__cl_program_get(dev, program, source, options, fp64, &prog);
    hetero__free(options);
    if (ret)
        return ret;

    k = hetero__calloc(1, sizeof(*k));
    if (!k)
        return hetero__errf(ctx, HETERO_ENOMEM, "OpenCL: out of memory");
    k->dev = dev;
    ret = -pthread_mutex_init(&k->lock, NULL);
    if (ret) {
        ret = hetero__errf(ctx, ret, "OpenCL: pthread_mutex_init failed");
        goto out_free;
    }
    snprintf(call, sizeof(call), "clCreateKernel(%s/%s)", program, entry);
    k->kernel = clCreateKernel(prog, entry, &err);
    if (err != CL_SUCCESS) {
        ret = hetero__cl_fail(ctx, err, call);
        goto out_destroy_lock;
    }
    err = clGetKernelWorkGroupInfo(k->kernel, dev->info->id,
                                   CL_KERNEL_WORK_GROUP_SIZE,
                                   sizeof(k->wg_max), &k->wg_max, NULL);
    if (err != CL_SUCCESS) {
        ret = hetero__cl_fail(ctx, err, "clGetKernelWorkGroupInfo");
        goto out_release_kernel;
    }
    err = clGetKernelWorkGroupInfo(k->kernel, dev->info->id,
                                   CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE,
                                   sizeof(pm), &pm, NULL);
    if (err != CL_SUCCESS) {
        ret = hetero__cl_fail(ctx, err, "clGetKernelWorkGroupInfo");
        goto out_release_kernel;
    }
    k->wg_multiple = pm ? pm : 1;
    if (k->wg_max == 0)
        k->wg_max = 1;
    *out = k;
    return 0;

out_release_kernel:
    clReleaseKernel(k->kernel);
out_destroy_lock:
    pthread_mutex_destroy(&k->lock);
out_free:
    hetero__free(k);
    return ret;
}

void hetero__cl_kernel_destroy(struct hetero__cl_kernel *k)
{
    if (!k)
        return;
    clReleaseKernel(k->kernel);
    pthread_mutex_destroy(&k->lock);
    hetero__free(k);
}

size_t hetero__cl_local_size(const struct hetero__cl_kernel *k, size_t n)
{
    const struct hetero__cl_devinfo *d = k->dev->info;
    size_t m = k->wg_multiple;
    size_t lim = k->wg_max;
    size_t cu = d->compute_units ? d->compute_units : 1;
    size_t local;
    size_t per_cu;

    if (d->max_wg && d->max_wg < lim)
        lim = d->max_wg;
    if (d->max_item0 && d->max_item0 < lim)
        lim = d->max_item0;
    if (lim < m)
        return lim;
    local = lim / m * m;
    /* A small range: one group per compute unit rather than one big one. */
    per_cu = (n + cu - 1) / cu;
    per_cu = (per_cu + m - 1) / m * m;
    if (per_cu < local)
        local = per_cu > m ? per_cu : m;
    return local;
}

int hetero__cl_job_launch(struct hetero__cl_job *job,
                          struct hetero__cl_kernel *k,
                          const struct hetero__cl_arg *args, size_t n_args,
                          unsigned dim, const size_t *global,
                          const size_t *local)
{
    hetero_context *ctx = job->ex->ctx;
    const char *call = "clEnqueueNDRangeKernel";
    size_t g[3];
    size_t l[3];
    size_t group = 1;
    bool have_local = local || dim == 1;
    cl_event *ev = NULL;
    cl_int err = CL_SUCCESS;
    size_t i;

    assert(k->dev == job->dev);
    if (dim < 1 || dim > 3)
        return hetero__errf(ctx, HETERO_EINVAL, "OpenCL launch: %u dims",
                            dim);
    for (i = 0; i < dim; i++) {
        if (global[i] == 0)
            return hetero__errf(ctx, HETERO_EINVAL,
                                "OpenCL launch: empty global size");
        if (local)
            l[i] = local[i];
        else
            l[i] = dim == 1 ? hetero__cl_local_size(k, global[0]) : 1;
        if (l[i] == 0)
            return hetero__errf(ctx, HETERO_EINVAL,
                                "OpenCL launch: zero local size");
        group *= l[i];
        /* Round up to a multiple of the local size; guard overflow. */
        if (hetero__add_overflow(global[i], l[i] - 1, &g[i]))
            return hetero__errf(ctx, HETERO_EINVAL,
                                "OpenCL launch: global size overflows");
        g[i] = have_local ? g[i] / l[i] * l[i] : global[i];
    }
    if (have_local && group > k->wg_max)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "OpenCL launch: work-group of %zu items exceeds "
                            "the kernel's limit %zu",
                            group, k->wg_max);

    pthread_mutex_lock(&k->lock);
    for (i = 0; i < n_args && err == CL_SUCCESS; i++) {
        err = clSetKernelArg(k->kernel, (cl_uint)i, args[i].size,
                             args[i].value);
        if (err != CL_SUCCESS)
            call = "clSetKernelArg";
    }
    if (err == CL_SUCCESS) {
        ev = hetero__cl_job_event_slot(job);
        if (hetero__cl_fault(job->dev, HETERO__CL_FAULT_ENQUEUE))
            err = CL_OUT_OF_RESOURCES;
        else
            err = clEnqueueNDRangeKernel(job->dev->queue, k->kernel, dim,
                                         NULL, g, have_local ? l : NULL, 0,
                                         NULL, ev);
    }
    pthread_mutex_unlock(&k->lock);
    if (err != CL_SUCCESS)
        return hetero__cl_fail(ctx, err, call);
    if (ev)
        hetero__cl_job_event_commit(job, true);
    job->enqueued = true;
    return 0;
}
