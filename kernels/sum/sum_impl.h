/*
 * sum_impl.h - shared between the sum variants (not installed): the block
 * partial sums and their fixed-order combination that make every variant
 * bitwise identical (see sum.h for the algorithm).
 */
#ifndef HETERO_SUM_IMPL_H
#define HETERO_SUM_IMPL_H

#include "kernel_api.h"
#include "sum/sum.h"

extern const struct hetero_kernel hetero__kernel_sum;

/* A compensated partial sum: the value is s + c. */
struct hetero__sum_partial {
    double s; /* plain (rounded) sum */
    double c; /* accumulated rounding errors */
};

/* Number of HETERO_SUM_BLOCK blocks of n elements. */
static inline size_t hetero__sum_nblocks(size_t n)
{
    return n / HETERO_SUM_BLOCK + (n % HETERO_SUM_BLOCK != 0);
}

/* The partial of block b of sa->x. */
void hetero__sum_block(const struct hetero_sum_args *sa, size_t b,
                       struct hetero__sum_partial *out);

/* acc += p: TwoSum of the plain sums, errors into acc->c. */
void hetero__sum_combine(struct hetero__sum_partial *acc,
                         const struct hetero__sum_partial *p);

/* The final value of a combined partial: s + c, or s if s is not finite. */
double hetero__sum_finish(const struct hetero__sum_partial *acc);

int hetero__sum_pool(const struct hetero_exec *ex, const void *args);

/* The OpenCL variant (sum_cl.c, built with HETERO_WITH_OPENCL). */
bool hetero__sum_cl_supports(const struct hetero_exec *ex, const void *args,
                             const char **why);
int hetero__sum_cl_prepare(const struct hetero_exec *ex, const void *args,
                           void **state);
void hetero__sum_cl_release(void *state);
/* prepare() with `lpi` (1, 2, 4, 8 or 16) lanes per work-item instead of
 * the device's choice (1 on GPUs, 16 on CPU devices): for tests. */
int hetero__sum_cl_prepare_lanes(const struct hetero_exec *ex,
                                 enum hetero_dtype dtype, unsigned lpi,
                                 void **state);
int hetero__sum_cl(const struct hetero_exec *ex, const void *args);

#endif /* HETERO_SUM_IMPL_H */
