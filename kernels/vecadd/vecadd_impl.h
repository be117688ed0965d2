/*
 * vecadd_impl.h - shared between the vecadd variants (not installed).
 */
#ifndef HETERO_VECADD_IMPL_H
#define HETERO_VECADD_IMPL_H

#include "kernel_api.h"
#include "vecadd/vecadd.h"

extern const struct hetero_kernel hetero__kernel_vecadd;

/* c[i] = a[i] + b[i] for i in [begin, end). */
void hetero__vecadd_range(const struct hetero_vecadd_args *va, size_t begin,
                          size_t end);

int hetero__vecadd_pool(const struct hetero_exec *ex, const void *args);

/* The OpenCL variant (vecadd_cl.c, built with HETERO_WITH_OPENCL). */
bool hetero__vecadd_cl_supports(const struct hetero_exec *ex,
                                const void *args, const char **why);
int hetero__vecadd_cl_prepare(const struct hetero_exec *ex, const void *args,
                              void **state);
void hetero__vecadd_cl_release(void *state);
int hetero__vecadd_cl(const struct hetero_exec *ex, const void *args);

#endif /* HETERO_VECADD_IMPL_H */
