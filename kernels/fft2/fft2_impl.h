/*
 * fft2_impl.h - shared between the fft2 variants (not installed).
 */
#ifndef HETERO_FFT2_IMPL_H
#define HETERO_FFT2_IMPL_H

#include "fft/fft.h"
#include "fft2/fft2.h"
#include "kernel_api.h"

extern const struct hetero_kernel hetero__kernel_fft2;

/*
 * The batch is transformed in blocks of `blk` matrices, one FFTW call each
 * (several small matrices per call, one large one); the last block holds
 * the remaining `rem` matrices (rem = 0: all blocks are full).
 */
struct hetero__fft2_plans {
    size_t blk;
    size_t nblocks;
    const struct hetero__fft_plan *full; /* howmany = blk */
    const struct hetero__fft_plan *rem;  /* howmany = rem, or NULL */
};

/* prepare(): the aligned plans for these args; state is a
 * struct hetero__fft2_plans. */
int hetero__fft2_prepare(const struct hetero_exec *ex, const void *args,
                         void **state);
void hetero__fft2_release(void *state);

/* The plans to run `fa` with: ex->state's, or unaligned ones if fa's arrays
 * are not aligned like those (looked up in the cache). */
int hetero__fft2_plans_for(const struct hetero_exec *ex,
                           const struct hetero_fft2_args *fa,
                           struct hetero__fft2_plans *out);

/* Transforms blocks [begin, end) of the batch. */
void hetero__fft2_blocks(const struct hetero_fft2_args *fa,
                         const struct hetero__fft2_plans *pl, size_t begin,
                         size_t end);

int hetero__fft2_pool(const struct hetero_exec *ex, const void *args);

/* The OpenCL variant (fft2_cl.c, built with HETERO_WITH_OPENCL): VkFFT. */
bool hetero__fft2_cl_supports(const struct hetero_exec *ex, const void *args,
                              const char **why);
int hetero__fft2_cl_prepare(const struct hetero_exec *ex, const void *args,
                            void **state);
void hetero__fft2_cl_release(void *state);
int hetero__fft2_cl(const struct hetero_exec *ex, const void *args);

#endif /* HETERO_FFT2_IMPL_H */
