/*
 * det_impl.h - shared between the det variants (not installed).
 */
#ifndef HETERO_DET_IMPL_H
#define HETERO_DET_IMPL_H

#include "det/det.h"
#include "kernel_api.h"

extern const struct hetero_kernel hetero__kernel_det;

/* Matrices up to this order are factorised in a stack array; larger ones
 * in a heap scratch allocated once per call of hetero__det_range(). */
#define HETERO_DET_STACK_N 32

/*
 * det[b] for b in [begin, end): each matrix is copied to a scratch array and
 * LU-factorised in place. Returns 0, or HETERO_ENOMEM (n above
 * HETERO_DET_STACK_N and the scratch cannot be allocated).
 */
int hetero__det_range(hetero_context *ctx, const struct hetero_det_args *da,
                      size_t begin, size_t end);

int hetero__det_pool(const struct hetero_exec *ex, const void *args);

/* The OpenCL variant (det_cl.c, built with HETERO_WITH_OPENCL). */
bool hetero__det_cl_supports(const struct hetero_exec *ex, const void *args,
                             const char **why);
int hetero__det_cl_prepare(const struct hetero_exec *ex, const void *args,
                           void **state);
void hetero__det_cl_release(void *state);
int hetero__det_cl(const struct hetero_exec *ex, const void *args);

#endif /* HETERO_DET_IMPL_H */
