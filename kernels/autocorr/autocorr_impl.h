/*
 * autocorr_impl.h - shared between the autocorr variants (not installed).
 */
#ifndef HETERO_AUTOCORR_IMPL_H
#define HETERO_AUTOCORR_IMPL_H

#include <stdatomic.h>
#include <stdbool.h>

#include "autocorr/autocorr.h"
#include "fft/fft.h"
#include "kernel_api.h"

extern const struct hetero_kernel hetero__kernel_autocorr;

/* ---- direct (autocorr_direct.c) ---- */

/*
 * Direct algorithm, jobs [begin, end) of the B * n jobs: job b * n + d
 * computes output row n-1+d of matrix b (lag d >= 0) and mirrors it into
 * row n-1-d. Allocates its own scratch. Returns 0 or HETERO_ENOMEM.
 */
int hetero__autocorr_direct_jobs(hetero_context *ctx,
                                 const struct hetero_autocorr_args *aa,
                                 size_t begin, size_t end);

void hetero__autocorr_direct_work(const void *args, struct hetero_work *w);

/* ---- fft (autocorr_fft.c) ---- */

/* Per-worker buffers of the FFT algorithm. */
struct hetero__autocorr_scratch {
    void *rin;  /* P x Q real, a in the top-left corner, zeros elsewhere */
    void *cpx;  /* P x (Q/2+1) complex */
    void *rout; /* P x Q real */
};

struct hetero__autocorr_fft {
    size_t p; /* padded rows */
    size_t q; /* padded columns */
    const struct hetero__fft_plan *r2c;
    const struct hetero__fft_plan *c2r;
    size_t nscratch; /* one per thread */
    struct hetero__autocorr_scratch *scratch;
    atomic_bool busy; /* scratch in use by a run */
};

bool hetero__autocorr_fft_supports(const struct hetero_exec *ex,
                                   const void *args, const char **why);
int hetero__autocorr_fft_prepare(const struct hetero_exec *ex, const void *args,
                                 void **state);
void hetero__autocorr_fft_release(void *state);
void hetero__autocorr_fft_work(const void *args, struct hetero_work *w);

/*
 * The FFT algorithm over the whole batch, on ex->num_threads pool threads
 * (use_pool) or on the calling thread. Uses the prepared scratch (ex->state)
 * if no other run holds it, else allocates its own for this run: one plan
 * may be executed by several threads at once.
 */
int hetero__autocorr_fft_run(const struct hetero_exec *ex,
                             const struct hetero_autocorr_args *aa,
                             bool use_pool);

/* ---- variants ---- */

int hetero__autocorr_pool_direct(const struct hetero_exec *ex,
                                 const void *args);
int hetero__autocorr_pool_fft(const struct hetero_exec *ex, const void *args);

/* The OpenCL variants (autocorr_cl.c, built with HETERO_WITH_OPENCL):
 * direct, tiled in local memory; fft, through VkFFT. */
bool hetero__autocorr_cl_direct_supports(const struct hetero_exec *ex,
                                         const void *args, const char **why);
int hetero__autocorr_cl_direct_prepare(const struct hetero_exec *ex,
                                       const void *args, void **state);
void hetero__autocorr_cl_direct_release(void *state);
int hetero__autocorr_cl_direct(const struct hetero_exec *ex, const void *args);
bool hetero__autocorr_cl_fft_supports(const struct hetero_exec *ex,
                                      const void *args, const char **why);
int hetero__autocorr_cl_fft_prepare(const struct hetero_exec *ex,
                                    const void *args, void **state);
void hetero__autocorr_cl_fft_release(void *state);
int hetero__autocorr_cl_fft(const struct hetero_exec *ex, const void *args);

#endif /* HETERO_AUTOCORR_IMPL_H */
