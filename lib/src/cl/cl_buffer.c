/*
 * cl_buffer.c - host arrays on the device: jobs and buffer mirrors.
 *
 * DESIGN: a job gathers the cl_mem objects of one call. On a device that
 * shares host memory (CL_DEVICE_HOST_UNIFIED_MEMORY: POCL, integrated
 * GPUs) an array is used in place (CL_MEM_USE_HOST_PTR) and synchronised
 * with map/unmap; elsewhere it is copied in with clEnqueueWriteBuffer and
 * back with clEnqueueReadBuffer. Every command goes to the context's one
 * in-order queue, so waiting for a marker enqueued last waits for the
 * job's own work (and never for commands other threads queue later).
 *
 * Library buffers (array.buffer) keep their device copy between calls in
 * the buffer's mirror: a cl_mem of the whole buffer with the host
 * generation (hetero_buffer.host_dirty_gen) it was last synchronised at.
 * An input whose mirror is current is not sent again. The mirror belongs
 * to the first OpenCL context that installs it (compare-and-swap on
 * buffer->mirror) and retains that cl_context, so it stays valid if it
 * outlives the hetero context and is released with the buffer; another
 * hetero context using the same buffer gets plain per-call copies.
 */
#include <assert.h>
#include <string.h>

#include "buffer_internal.h"
#include "cl/cl_private.h"

struct hetero__cl_mirror {
    cl_context context; /* retained; identifies the owner */
    cl_mem mem;
    size_t nbytes;
    bool in_place;
    pthread_mutex_t lock; /* guards dev_valid and gen */
    bool dev_valid;       /* the device copy equals the host at gen */
    unsigned gen;
};

static void mirror_release(void *p)
{
    struct hetero__cl_mirror *m = p;

    if (!m)
        return;
    clReleaseMemObject(m->mem);
    clReleaseContext(m->context);
    pthread_mutex_destroy(&m->lock);
    hetero__free(m);
}

/* A cl_mem of nbytes: in place over host, or device-only (host NULL). */
static cl_int create_mem(struct hetero__cl_device *dev, cl_mem_flags flags,
                         size_t nbytes, void *host, cl_mem *out)
{
    cl_int err;

    if (hetero__cl_fault(dev, HETERO__CL_FAULT_ALLOC))
        return CL_MEM_OBJECT_ALLOCATION_FAILURE;
    if (host)
        flags |= CL_MEM_USE_HOST_PTR;
    *out = clCreateBuffer(dev->context, flags, nbytes, host, &err);
    return err;
}

/*
 * The mirror of buf on this device, created if the buffer has none; *out
 * NULL if the buffer is mirrored by another OpenCL context.
 */
static int mirror_get(struct hetero__cl_job *job, hetero_buffer *buf,
                      struct hetero__cl_mirror **out)
{
    struct hetero__cl_device *dev = job->dev;
    hetero_context *ctx = job->ex->ctx;
    struct hetero__cl_mirror *m;
    struct hetero__cl_mirror *expected = NULL;
    cl_int err;
    int ret;

    m = __atomic_load_n(&buf->mirror, __ATOMIC_ACQUIRE);
    if (m) {
        *out = m->context == dev->context ? m : NULL;
        return 0;
    }
    m = hetero__calloc(1, sizeof(*m));
    if (!m)
        return hetero__errf(ctx, HETERO_ENOMEM, "OpenCL: out of memory");
    ret = -pthread_mutex_init(&m->lock, NULL);
    if (ret) {
        hetero__free(m);
        return hetero__errf(ctx, ret, "OpenCL: pthread_mutex_init failed");
    }
    m->nbytes = buf->size;
    m->in_place = hetero__cl_device_unified(dev);
    err = create_mem(dev, CL_MEM_READ_WRITE, buf->size,
                     m->in_place ? buf->data : NULL, &m->mem);
    if (err != CL_SUCCESS) {
        pthread_mutex_destroy(&m->lock);
        hetero__free(m);
        return hetero__cl_fail(ctx, err, "clCreateBuffer");
    }
    err = clRetainContext(dev->context);
    if (err != CL_SUCCESS) {
        clReleaseMemObject(m->mem);
        pthread_mutex_destroy(&m->lock);
        hetero__free(m);
        return hetero__cl_fail(ctx, err, "clRetainContext");
    }
    m->context = dev->context;
    __atomic_store_n(&buf->mirror_release, mirror_release, __ATOMIC_RELEASE);
    if (!__atomic_compare_exchange_n(&buf->mirror, (void **)&expected, m,
                                     false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        /* Another thread installed one first. */
        mirror_release(m);
        m = expected;
        *out = m->context == dev->context ? m : NULL;
        return 0;
    }
    *out = m;
    return 0;
}

cl_event *hetero__cl_job_event_slot(struct hetero__cl_job *job)
{
    return job->n_events < HETERO__CL_JOB_EVENTS
               ? &job->events[job->n_events]
               : NULL;
}

void hetero__cl_job_event_commit(struct hetero__cl_job *job, bool kernel)
{
    assert(job->n_events < HETERO__CL_JOB_EVENTS);
    job->ev_kernel[job->n_events++] = kernel;
}

/* Records a successfully enqueued transfer's event. */
static void commit_if(struct hetero__cl_job *job, cl_event *ev, cl_int err)
{
    if (ev && err == CL_SUCCESS)
        hetero__cl_job_event_commit(job, false);
}

/* Host -> device for a mirror or an explicit copy. */
static cl_int upload(struct hetero__cl_job *job, cl_mem mem, bool in_place,
                     const void *host, size_t nbytes, const char **call)
{
    cl_command_queue q = job->dev->queue;
    cl_event *ev;
    void *p;
    cl_int err;

    job->enqueued = true;
    atomic_fetch_add(&job->dev->st->host_to_dev, 1);
    ev = hetero__cl_job_event_slot(job);
    if (!in_place) {
        *call = "clEnqueueWriteBuffer";
        err = clEnqueueWriteBuffer(q, mem, CL_FALSE, 0, nbytes, host, 0,
                                   NULL, ev);
        commit_if(job, ev, err);
        return err;
    }
    /* In place: the host bytes are the data; a write-invalidate map and
     * unmap tells a caching runtime to take them as they are. */
    *call = "clEnqueueMapBuffer";
    p = clEnqueueMapBuffer(q, mem, CL_TRUE, CL_MAP_WRITE_INVALIDATE_REGION,
                           0, nbytes, 0, NULL, NULL, &err);
    if (err != CL_SUCCESS)
        return err;
    *call = "clEnqueueUnmapMemObject";
    err = clEnqueueUnmapMemObject(q, mem, p, 0, NULL, ev);
    commit_if(job, ev, err);
    return err;
}

/* Device -> host. */
static cl_int download(struct hetero__cl_job *job, cl_mem mem, bool in_place,
                       void *host, size_t nbytes, const char **call)
{
    cl_command_queue q = job->dev->queue;
    cl_event *ev = hetero__cl_job_event_slot(job);
    void *p;
    cl_int err;

    atomic_fetch_add(&job->dev->st->dev_to_host, 1);
    if (!in_place) {
        *call = "clEnqueueReadBuffer";
        err = clEnqueueReadBuffer(q, mem, CL_TRUE, 0, nbytes, host, 0, NULL,
                                  ev);
        commit_if(job, ev, err);
        return err;
    }
    *call = "clEnqueueMapBuffer";
    p = clEnqueueMapBuffer(q, mem, CL_TRUE, CL_MAP_READ, 0, nbytes, 0, NULL,
                           ev, &err);
    commit_if(job, ev, err);
    if (err != CL_SUCCESS)
        return err;
    *call = "clEnqueueUnmapMemObject";
    return clEnqueueUnmapMemObject(q, mem, p, 0, NULL, NULL);
}

/*
 * Adds the device-side durations of the job's finished commands to
 * ex->stats (transfers and kernels apart), then releases the events. A
 * command whose profiling times cannot be read is left out.
 */
static void account_events(struct hetero__cl_job *job)
{
    struct hetero_exec_stats *st = job->ex->stats;
    size_t i;

    for (i = 0; i < job->n_events; i++) {
        cl_ulong t0 = 0;
        cl_ulong t1 = 0;

        if (st &&
            clGetEventProfilingInfo(job->events[i], CL_PROFILING_COMMAND_START,
                                    sizeof(t0), &t0, NULL) == CL_SUCCESS &&
            clGetEventProfilingInfo(job->events[i], CL_PROFILING_COMMAND_END,
                                    sizeof(t1), &t1, NULL) == CL_SUCCESS &&
            t1 >= t0) {
            double d = 1e-9 * (double)(t1 - t0);

            if (job->ev_kernel[i])
                st->compute_s += d;
            else
                st->transfer_s += d;
            st->valid = true;
        }
        clReleaseEvent(job->events[i]);
    }
    job->n_events = 0;
}

/* Waits for everything this job queued. */
static cl_int job_sync(struct hetero__cl_job *job, const char **call)
{
    cl_event ev;
    cl_int err;

    *call = "clEnqueueMarkerWithWaitList";
    err = clEnqueueMarkerWithWaitList(job->dev->queue, 0, NULL, &ev);
    if (err != CL_SUCCESS)
        return err;
    *call = "clWaitForEvents";
    err = clWaitForEvents(1, &ev);
    clReleaseEvent(ev);
    if (err == CL_SUCCESS)
        job->enqueued = false;
    return err;
}

void hetero__cl_job_init(struct hetero__cl_job *job,
                         const struct hetero_exec *ex)
{
    assert(ex && ex->cl);
    memset(job, 0, sizeof(*job));
    job->ex = ex;
    job->dev = ex->cl;
}

static int map_mirror(struct hetero__cl_job *job,
                      struct hetero__cl_jobmem *jm,
                      struct hetero__cl_mirror *m, hetero_buffer *buf)
{
    const char *call = NULL;
    cl_int err = CL_SUCCESS;
    unsigned gen;

    pthread_mutex_lock(&m->lock);
    gen = atomic_load(&buf->host_dirty_gen);
    if (jm->flags & HETERO__CL_READ) {
        if (m->dev_valid && m->gen == gen) {
            atomic_fetch_add(&job->dev->st->mirror_hits, 1);
        } else {
            err = upload(job, m->mem, m->in_place, jm->host, jm->nbytes,
                         &call);
            m->dev_valid = err == CL_SUCCESS;
            m->gen = gen;
        }
    }
    /* Written by the kernel: current again only once read back. */
    if (jm->flags & HETERO__CL_WRITE)
        m->dev_valid = false;
    pthread_mutex_unlock(&m->lock);
    if (err != CL_SUCCESS)
        return hetero__cl_fail(job->ex->ctx, err, call);
    err = clRetainMemObject(m->mem);
    if (err != CL_SUCCESS)
        return hetero__cl_fail(job->ex->ctx, err, "clRetainMemObject");
    jm->mem = m->mem;
    jm->in_place = m->in_place;
    jm->mirror = m;
    jm->buf = buf;
    return 0;
}

int hetero__cl_job_map(struct hetero__cl_job *job, const void *host,
                       size_t nbytes, hetero_buffer *buf, unsigned flags,
                       cl_mem *out)
{
    struct hetero__cl_device *dev = job->dev;
    hetero_context *ctx = job->ex->ctx;
    struct hetero__cl_jobmem *jm;
    struct hetero__cl_mirror *m = NULL;
    cl_mem_flags mf;
    const char *call = "clCreateBuffer";
    cl_int err;
    int ret;

    if (!host || nbytes == 0 ||
        !(flags & (HETERO__CL_READ | HETERO__CL_WRITE)))
        return hetero__errf(ctx, HETERO_EINVAL,
                            "OpenCL map: NULL or empty array, or no "
                            "direction");
    if (job->n_mems == HETERO__CL_JOB_MAX)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "OpenCL map: more than %d arrays in one job",
                            HETERO__CL_JOB_MAX);
    if (nbytes > hetero__cl_device_max_alloc(dev))
        return hetero__errf(ctx, HETERO_ECL,
                            "clCreateBuffer: %zu bytes exceed "
                            "CL_DEVICE_MAX_MEM_ALLOC_SIZE (%llu) of %s",
                            nbytes, (unsigned long long)dev->info->max_alloc,
                            dev->info->name);
    jm = &job->mems[job->n_mems];
    memset(jm, 0, sizeof(*jm));
    jm->host = (void *)host; /* written only for HETERO__CL_WRITE */
    jm->nbytes = nbytes;
    jm->flags = flags;

    if (buf && buf->data == host && buf->size == nbytes &&
        !(flags & HETERO__CL_COPY)) {
        ret = mirror_get(job, buf, &m);
        if (ret)
            return ret;
    }
    if (m) {
        ret = map_mirror(job, jm, m, buf);
        if (ret)
            return ret;
        job->n_mems++;
        *out = jm->mem;
        return 0;
    }

    jm->buf = buf;
    jm->in_place = hetero__cl_device_unified(dev) &&
                   !(flags & HETERO__CL_COPY);
    if ((flags & HETERO__CL_READ) && (flags & HETERO__CL_WRITE))
        mf = CL_MEM_READ_WRITE;
    else if (flags & HETERO__CL_READ)
        mf = CL_MEM_READ_ONLY;
    else
        mf = CL_MEM_WRITE_ONLY;
    err = create_mem(dev, mf, nbytes, jm->in_place ? jm->host : NULL,
                     &jm->mem);
    if (err != CL_SUCCESS)
        return hetero__cl_fail(ctx, err, call);
    job->n_mems++; /* released by job_end from here on */
    if (flags & HETERO__CL_READ) {
        if (jm->in_place) {
            /* Created over the host bytes: nothing to send. */
            atomic_fetch_add(&dev->st->host_to_dev, 1);
        } else {
            err = upload(job, jm->mem, false, host, nbytes, &call);
            if (err != CL_SUCCESS)
                return hetero__cl_fail(ctx, err, call);
        }
    }
    *out = jm->mem;
    return 0;
}

int hetero__cl_job_scratch(struct hetero__cl_job *job, size_t nbytes,
                           cl_mem *out)
{
    hetero_context *ctx = job->ex->ctx;
    struct hetero__cl_jobmem *jm;
    cl_int err;

    if (nbytes == 0 || job->n_mems == HETERO__CL_JOB_MAX)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "OpenCL scratch: empty, or more than %d buffers "
                            "in one job",
                            HETERO__CL_JOB_MAX);
    jm = &job->mems[job->n_mems];
    memset(jm, 0, sizeof(*jm));
    jm->nbytes = nbytes;
    err = create_mem(job->dev, CL_MEM_READ_WRITE, nbytes, NULL, &jm->mem);
    if (err != CL_SUCCESS)
        return hetero__cl_fail(ctx, err, "clCreateBuffer");
    job->n_mems++;
    *out = jm->mem;
    return 0;
}

int hetero__cl_job_read(struct hetero__cl_job *job, cl_mem mem,
                        size_t offset, size_t nbytes, void *host)
{
    cl_int err;

    cl_event *ev = hetero__cl_job_event_slot(job);

    atomic_fetch_add(&job->dev->st->dev_to_host, 1);
    err = clEnqueueReadBuffer(job->dev->queue, mem, CL_TRUE, offset, nbytes,
                              host, 0, NULL, ev);
    commit_if(job, ev, err);
    if (err != CL_SUCCESS)
        return hetero__cl_fail(job->ex->ctx, err, "clEnqueueReadBuffer");
    return 0;
}

int hetero__cl_job_finish(struct hetero__cl_job *job)
{
    const char *call = NULL;
    cl_int err = CL_SUCCESS;
    size_t i;

    for (i = 0; i < job->n_mems && err == CL_SUCCESS; i++) {
        struct hetero__cl_jobmem *jm = &job->mems[i];

        if (!(jm->flags & HETERO__CL_WRITE))
            continue;
        err = download(job, jm->mem, jm->in_place, jm->host, jm->nbytes,
                       &call);
        /* Another OpenCL context's mirror of this buffer is now stale. */
        if (err == CL_SUCCESS && !jm->mirror && jm->buf)
            hetero_buffer_mark_host_dirty(jm->buf);
        if (err == CL_SUCCESS && jm->mirror) {
            struct hetero__cl_mirror *m = jm->mirror;

            pthread_mutex_lock(&m->lock);
            m->dev_valid = true;
            m->gen = atomic_load(&jm->buf->host_dirty_gen);
            pthread_mutex_unlock(&m->lock);
        }
    }
    if (err == CL_SUCCESS)
        err = job_sync(job, &call);
    if (err != CL_SUCCESS)
        return hetero__cl_fail(job->ex->ctx, err, call);
    account_events(job);
    return 0;
}

void hetero__cl_job_end(struct hetero__cl_job *job)
{
    const char *call;
    size_t i;

    if (job->enqueued && job_sync(job, &call) != CL_SUCCESS)
        clFinish(job->dev->queue);
    for (i = 0; i < job->n_events; i++)
        clReleaseEvent(job->events[i]);
    job->n_events = 0;
    for (i = 0; i < job->n_mems; i++)
        clReleaseMemObject(job->mems[i].mem);
    job->n_mems = 0;
}
