/*
 * registry.c - the one table of kernels, sorted by name. Adding a kernel is
 * one line here and one hetero_add_kernel() in cmake/HeteroKernels.cmake.
 */
#include "kernel_api.h"

extern const struct hetero_kernel hetero__kernel_autocorr;
extern const struct hetero_kernel hetero__kernel_det;
extern const struct hetero_kernel hetero__kernel_fft2;
extern const struct hetero_kernel hetero__kernel_mcpi;
extern const struct hetero_kernel hetero__kernel_rbf;
extern const struct hetero_kernel hetero__kernel_sum;
extern const struct hetero_kernel hetero__kernel_vecadd;

const struct hetero_kernel *const hetero__kernels[] = {
    &hetero__kernel_autocorr,
    &hetero__kernel_det,
    &hetero__kernel_fft2,
    &hetero__kernel_mcpi,
    &hetero__kernel_rbf,
    &hetero__kernel_sum,
    &hetero__kernel_vecadd,
};

const size_t hetero__n_kernels = HETERO_ARRAY_SIZE(hetero__kernels);
