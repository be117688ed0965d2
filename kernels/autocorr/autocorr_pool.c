/*
 * autocorr_pool.c - the autocorr variants on the pool.
 *
 * direct: the B * n jobs (matrix, lag row; see autocorr_direct.c) are
 * claimed dynamically in chunks; a job costs n - d row pairs, so the
 * automatic chunking (8 chunks per thread) keeps the threads balanced even
 * for one matrix. Each job writes its own two output rows.
 * fft: whole matrices are the work items, each thread with its own scratch
 * (autocorr_fft.c).
 */
#include "autocorr/autocorr_impl.h"

struct direct_job {
    hetero_context *ctx;
    const struct hetero_autocorr_args *aa;
};

static int direct_chunk(void *arg, size_t begin, size_t end, size_t worker)
{
    const struct direct_job *job = arg;

    (void)worker;
    return hetero__autocorr_direct_jobs(job->ctx, job->aa, begin, end);
}

int hetero__autocorr_pool_direct(const struct hetero_exec *ex, const void *args)
{
    const struct hetero_autocorr_args *aa = args;
    struct direct_job job = { .ctx = ex->ctx, .aa = aa };

    return hetero_pool_parallel_for_n(ex->pool, ex->num_threads,
                                      aa->batch * aa->n, 0, direct_chunk, &job);
}

int hetero__autocorr_pool_fft(const struct hetero_exec *ex, const void *args)
{
    return hetero__autocorr_fft_run(ex, args, true);
}
