/*
 * rbf_impl.h - shared between the rbf variants (not installed).
 */
#ifndef HETERO_RBF_IMPL_H
#define HETERO_RBF_IMPL_H

#include "kernel_api.h"
#include "rbf/rbf.h"

extern const struct hetero_kernel hetero__kernel_rbf;

/* Rows per block: a block computes its rows right of the diagonal, then
 * mirrors them into its columns below the diagonal. */
#define HETERO_RBF_BLOCK 16

/* Scratch of one call: the points transposed to double [d][n] (so that the
 * loop over j runs over contiguous coordinates) and one row of squared
 * distances per worker. */
struct hetero__rbf_job {
    const struct hetero_rbf_args *ra;
    double *t;        /* [d][n] */
    double *acc;      /* n_workers rows of `stride` doubles */
    size_t stride;
    size_t n_workers;
};

/* Allocates and fills the scratch for `n_workers` concurrent workers.
 * Returns 0, HETERO_EINVAL (size overflow) or HETERO_ENOMEM. */
int hetero__rbf_job_init(hetero_context *ctx,
                         const struct hetero_rbf_args *ra, size_t n_workers,
                         struct hetero__rbf_job *job);

void hetero__rbf_job_free(struct hetero__rbf_job *job);

/* Number of row blocks of an n x n output. */
size_t hetero__rbf_n_blocks(size_t n);

/* Computes rows [b * HETERO_RBF_BLOCK, ...) from the diagonal rightwards
 * and their mirror, with worker's row of scratch (worker < n_workers).
 * Different blocks write disjoint elements of the output. */
void hetero__rbf_block(const struct hetero__rbf_job *job, size_t b,
                       size_t worker);

int hetero__rbf_pool(const struct hetero_exec *ex, const void *args);

/* The OpenCL variant (rbf_cl.c, built with HETERO_WITH_OPENCL). */
bool hetero__rbf_cl_supports(const struct hetero_exec *ex, const void *args,
                             const char **why);
int hetero__rbf_cl_prepare(const struct hetero_exec *ex, const void *args,
                           void **state);
void hetero__rbf_cl_release(void *state);
int hetero__rbf_cl(const struct hetero_exec *ex, const void *args);

#endif /* HETERO_RBF_IMPL_H */
