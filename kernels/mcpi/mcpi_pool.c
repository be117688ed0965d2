/*
 * mcpi_pool.c - mcpi on the pool.
 *
 * DESIGN: the iterations of the parallel_for are units of MCPI_UNIT sample
 * pairs. Each chunk counts its hits privately and adds them once to the
 * running worker's slot (a worker index is unique among the threads of one
 * call, so no slot is shared); the caller adds the slots up at the end.
 * Counts are integers, so the split cannot change the result.
 */
#include <stdint.h>
#include <string.h>

#include "mcpi/mcpi_impl.h"

/* Pairs per iteration, and iterations per claimed chunk: 64 Ki samples,
 * about 0.2 ms on one thread. */
#define MCPI_UNIT 64
#define MCPI_GRAIN 512

_Static_assert(SIZE_MAX >= UINT64_MAX / 2 / MCPI_UNIT,
               "mcpi_pool: units must be countable in size_t");

struct mcpi_job {
    const struct hetero_mcpi_args *ma;
    uint64_t npairs;
    uint64_t hits[HETERO_POOL_MAX_THREADS]; /* one slot per worker index */
};

static int mcpi_chunk(void *arg, size_t begin, size_t end, size_t worker)
{
    struct mcpi_job *job = arg;
    uint64_t first = (uint64_t)begin * MCPI_UNIT;
    uint64_t last = (uint64_t)end * MCPI_UNIT;

    if (last > job->npairs)
        last = job->npairs;
    job->hits[worker] += hetero__mcpi_hits(job->ma->seed, job->ma->samples,
                                           first, last);
    return 0;
}

int hetero__mcpi_pool(const struct hetero_exec *ex, const void *args)
{
    const struct hetero_mcpi_args *ma = args;
    struct mcpi_job job;
    uint64_t units;
    uint64_t hits = 0;
    size_t w;
    int ret;

    memset(&job, 0, sizeof(job));
    job.ma = ma;
    job.npairs = hetero__mcpi_npairs(ma->samples);
    units = job.npairs / MCPI_UNIT + (job.npairs % MCPI_UNIT != 0);
    ret = hetero_pool_parallel_for_n(ex->pool, ex->num_threads,
                                     (size_t)units, MCPI_GRAIN, mcpi_chunk,
                                     &job);
    if (ret)
        return ret;
    for (w = 0; w < HETERO_POOL_MAX_THREADS; w++)
        hits += job.hits[w];
    hetero__mcpi_store(ma, hits);
    return 0;
}
