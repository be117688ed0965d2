/*
 * mcpi_impl.h - shared between the mcpi variants and its test (not
 * installed): the Philox4x32-10 generator and the hit count of a range of
 * sample pairs (see mcpi.h for the mapping).
 */
#ifndef HETERO_MCPI_IMPL_H
#define HETERO_MCPI_IMPL_H

#include <stdint.h>

#include "kernel_api.h"
#include "mcpi/mcpi.h"

extern const struct hetero_kernel hetero__kernel_mcpi;

/* out = Philox4x32-10(ctr, key), as Random123's philox4x32_R(10, ...). */
void hetero__philox4x32_10(const uint32_t ctr[4], const uint32_t key[2],
                           uint32_t out[4]);

/* Pairs of samples: pair j holds samples 2j and 2j + 1. */
static inline uint64_t hetero__mcpi_npairs(uint64_t samples)
{
    return samples / 2 + samples % 2;
}

/* Hits among the samples of pairs [begin, end) that are below `samples`. */
uint64_t hetero__mcpi_hits(uint64_t seed, uint64_t samples, uint64_t begin,
                           uint64_t end);

/* Stores the outputs of a run that counted `hits`. */
static inline void hetero__mcpi_store(const struct hetero_mcpi_args *ma,
                                      uint64_t hits)
{
    *ma->hits = (int64_t)hits;
    *ma->pi = 4.0 * (double)hits / (double)ma->samples;
}

int hetero__mcpi_pool(const struct hetero_exec *ex, const void *args);

/* The OpenCL variant (mcpi_cl.c, built with HETERO_WITH_OPENCL). It needs
 * no supports(): integer-only, it runs on every device. */
int hetero__mcpi_cl_prepare(const struct hetero_exec *ex, const void *args,
                            void **state);
void hetero__mcpi_cl_release(void *state);
int hetero__mcpi_cl(const struct hetero_exec *ex, const void *args);
/* prepare() with `w` (1, 2, 4, 8 or 16) pairs per work-item step instead
 * of the device's choice (1 on GPUs, 16 on CPU devices): for tests. */
int hetero__mcpi_cl_prepare_width(const struct hetero_exec *ex, unsigned w,
                                  void **state);

/*
 * *hits = the hits of both samples of each pair [first, first + count) of
 * the stream `seed`, counted on ex->cl with the state ex->state (from
 * hetero__mcpi_cl_prepare*) in launches of at most `launch_pairs`
 * (1 .. 2^32) pairs. hetero__mcpi_cl uses it for pairs [0, samples / 2);
 * tests use it for other ranges. Errors: HETERO_ECL, HETERO_ENOMEM.
 */
int hetero__mcpi_cl_count(const struct hetero_exec *ex, uint64_t seed,
                          uint64_t first, uint64_t count,
                          uint64_t launch_pairs, uint64_t *hits);

#endif /* HETERO_MCPI_IMPL_H */
