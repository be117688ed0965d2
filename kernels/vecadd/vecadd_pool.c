/*
 * vecadd_pool.c - vecadd on the pool: each chunk of the range is written in
 * place in the shared output, no copies. Chunks are 64 KiB-ish so a chunk
 * is worth a claim but the two threads stay balanced.
 */
#include "vecadd/vecadd_impl.h"

static int vecadd_chunk(void *arg, size_t begin, size_t end, size_t worker)
{
    (void)worker;
    hetero__vecadd_range(arg, begin, end);
    return 0;
}

int hetero__vecadd_pool(const struct hetero_exec *ex, const void *args)
{
    const struct hetero_vecadd_args *va = args;

    return hetero_pool_parallel_for_n(ex->pool, ex->num_threads, va->n,
                                      16384, vecadd_chunk, (void *)va);
}
