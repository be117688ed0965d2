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

#endif /* HETERO_VECADD_IMPL_H */
