/*
 * sum_pool.c - sum on the pool.
 *
 * DESIGN: the iterations of the parallel_for are the HETERO_SUM_BLOCK
 * blocks of sum.h. Whichever thread computes block b stores its partial in
 * parts[b]; once every block is done, the caller folds parts[0..nb-1] in
 * index order, exactly as the serial reference does. The chunking and the
 * thread count thus decide only who computes a partial, never its bits nor
 * the order of the fold. Small sums keep their partials on the stack.
 */
#include "sum/sum_impl.h"

/* Blocks per claimed chunk: 32768 elements, a few tens of microseconds. */
#define SUM_GRAIN 8
/* Partials kept on the stack (4096 elements each: sums up to 256 Ki). */
#define SUM_LOCAL_BLOCKS 64

struct sum_job {
    const struct hetero_sum_args *sa;
    struct hetero__sum_partial *parts;
};

static int sum_chunk(void *arg, size_t begin, size_t end, size_t worker)
{
    const struct sum_job *job = arg;
    size_t b;

    (void)worker;
    for (b = begin; b < end; b++)
        hetero__sum_block(job->sa, b, &job->parts[b]);
    return 0;
}

int hetero__sum_pool(const struct hetero_exec *ex, const void *args)
{
    const struct hetero_sum_args *sa = args;
    struct hetero__sum_partial local[SUM_LOCAL_BLOCKS];
    struct hetero__sum_partial acc;
    struct sum_job job = { .sa = sa, .parts = local };
    size_t nb = hetero__sum_nblocks(sa->n);
    size_t b;
    int ret;

    if (nb > SUM_LOCAL_BLOCKS) {
        job.parts = hetero__malloc(nb * sizeof(*job.parts));
        if (!job.parts)
            return hetero__errf(ex->ctx, HETERO_ENOMEM,
                                "sum: cannot allocate %zu block partials",
                                nb);
    }
    ret = hetero_pool_parallel_for_n(ex->pool, ex->num_threads, nb,
                                     SUM_GRAIN, sum_chunk, &job);
    if (ret)
        goto out_free_parts;
    acc = job.parts[0];
    for (b = 1; b < nb; b++)
        hetero__sum_combine(&acc, &job.parts[b]);
    *sa->out = hetero__sum_finish(&acc);
out_free_parts:
    if (job.parts != local)
        hetero__free(job.parts);
    return ret;
}
