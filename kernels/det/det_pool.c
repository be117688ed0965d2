/*
 * det_pool.c - det on the pool: the batch is split into chunks of whole
 * matrices, each chunk runs hetero__det_range() and writes its slice of the
 * shared output in place. Matrices are independent, so the result is
 * bitwise that of the serial variant for any thread count.
 *
 * DESIGN: a chunk holds about 32 K flops of LU (32 matrices of 10 x 10, one
 * matrix from n = 32 on), so a claim costs little against its work and
 * dynamic chunking keeps the threads balanced. Larger matrices allocate
 * their scratch once per chunk.
 */
#include "det/det_impl.h"

struct det_job {
    hetero_context *ctx;
    const struct hetero_det_args *da;
};

static int det_chunk(void *arg, size_t begin, size_t end, size_t worker)
{
    const struct det_job *job = arg;

    (void)worker;
    return hetero__det_range(job->ctx, job->da, begin, end);
}

int hetero__det_pool(const struct hetero_exec *ex, const void *args)
{
    const struct hetero_det_args *da = args;
    struct det_job job = { .ctx = ex->ctx, .da = da };
    size_t grain = 1;

    if (da->n < 32)
        grain = 32768 / (da->n * da->n * da->n);
    return hetero_pool_parallel_for_n(ex->pool, ex->num_threads, da->batch,
                                      grain, det_chunk, &job);
}
