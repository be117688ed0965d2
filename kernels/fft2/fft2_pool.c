/*
 * fft2_pool.c - fft2 on the pool: the batch's blocks (see fft2.c) are the
 * work items, claimed dynamically; each is one single-threaded FFTW call
 * writing its own slice of y, so threads share the plans and nothing else.
 * A batch of one large matrix is one block and runs on one thread.
 */
#include "fft2/fft2_impl.h"

struct fft2_job {
    const struct hetero_fft2_args *fa;
    struct hetero__fft2_plans plans;
};

static int fft2_chunk(void *arg, size_t begin, size_t end, size_t worker)
{
    const struct fft2_job *job = arg;

    (void)worker;
    hetero__fft2_blocks(job->fa, &job->plans, begin, end);
    return 0;
}

int hetero__fft2_pool(const struct hetero_exec *ex, const void *args)
{
    struct fft2_job job = { .fa = args };
    int ret;

    ret = hetero__fft2_plans_for(ex, job.fa, &job.plans);
    if (ret)
        return ret;
    return hetero_pool_parallel_for_n(ex->pool, ex->num_threads,
                                      job.plans.nblocks, 1, fft2_chunk, &job);
}
