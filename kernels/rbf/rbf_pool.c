/*
 * rbf_pool.c - rbf on the pool: blocks of HETERO_RBF_BLOCK rows are claimed
 * one at a time (dynamic chunking, grain 1). Block b costs about
 * (N - 16 b) row elements, so the heavy blocks are claimed first and the
 * light ones fill the gaps at the end: the triangle stays balanced. Every
 * block writes its own elements of the shared output in place; each worker
 * has its own scratch row, indexed by the pool's worker number.
 */
#include <assert.h>

#include "rbf/rbf_impl.h"

static int rbf_chunk(void *arg, size_t begin, size_t end, size_t worker)
{
    const struct hetero__rbf_job *job = arg;
    size_t b;

    assert(worker < job->n_workers);
    for (b = begin; b < end; b++)
        hetero__rbf_block(job, b, worker);
    return 0;
}

int hetero__rbf_pool(const struct hetero_exec *ex, const void *args)
{
    const struct hetero_rbf_args *ra = args;
    struct hetero__rbf_job job;
    size_t threads = hetero_pool_size(ex->pool);
    int ret;

    if (ex->num_threads > 0 && ex->num_threads < threads)
        threads = ex->num_threads;
    ret = hetero__rbf_job_init(ex->ctx, ra, threads, &job);
    if (ret)
        return ret;
    ret = hetero_pool_parallel_for_n(ex->pool, ex->num_threads,
                                     hetero__rbf_n_blocks(ra->n), 1,
                                     rbf_chunk, &job);
    hetero__rbf_job_free(&job);
    return ret;
}
