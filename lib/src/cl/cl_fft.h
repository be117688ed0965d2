/*
 * cl_fft.h - batched 2-D complex FFTs on the context's OpenCL device,
 * through VkFFT, with a per-context plan cache: what fft2's and autocorr's
 * OpenCL variants transform with. Only compiled with HETERO_WITH_OPENCL.
 *
 * A plan transforms, in place, `batch` n x m complex matrices stored one
 * after the other in one cl_mem, rows contiguous, (re, im) interleaved
 * (cl_double2 or cl_float2): the forward transform is numpy.fft.fft2
 * (exp(-2 pi i ...), unscaled), the inverse numpy.fft.ifft2 (exp(+2 pi i
 * ...), scaled by 1/(n m)). Any n, m >= 1: VkFFT handles the radices 2..13
 * directly and other primes with Bluestein's algorithm.
 *
 * Creating a plan is the expensive part: VkFFT generates OpenCL kernels and
 * the driver compiles them (about 0.1 s warm, 1-2 s cold on POCL), so plans
 * are cached per (batch, n, m, precision, direction) in the context until it
 * is destroyed; hetero__cl_fft_stats() reports that one-time cost apart from
 * the transforms.
 *
 * Thread safety: any function may be called from several threads on one
 * context. Concurrent requests for one key create it once; running one plan
 * from several threads is serialised around the enqueue only (never while
 * the transform runs).
 */
#ifndef HETERO_CL_FFT_H
#define HETERO_CL_FFT_H

#include <stdbool.h>
#include <stddef.h>

#include "cl/cl_internal.h"

/* What a plan computes. */
struct hetero__cl_fft_key {
    size_t batch; /* matrices, one after the other */
    size_t n;     /* rows */
    size_t m;     /* columns (contiguous) */
    bool f64;     /* double2 elements, else float2 */
    bool inverse; /* numpy ifft2, else fft2 */
};

/* A cached plan: owned by the context's cache, valid until the context is
 * destroyed. */
struct hetero__cl_fft_plan;

/*
 * The plan for `key` on ex->cl in *out, created on first request (VkFFT
 * builds its kernels then). Errors: HETERO_EINVAL (zero size, overflowing
 * byte count, f64 on a device without fp64), HETERO_ENOMEM, HETERO_ECL
 * (a VkFFT or OpenCL failure, named with its code in the errmsg).
 */
int hetero__cl_fft_plan_get(const struct hetero_exec *ex,
                            const struct hetero__cl_fft_key *key,
                            struct hetero__cl_fft_plan **out);

/* Bytes of the buffer a plan transforms: batch * n * m complex elements. */
size_t hetero__cl_fft_bytes(const struct hetero__cl_fft_plan *p);

/*
 * Enqueues plan p in place on `buf` (at least hetero__cl_fft_bytes(p)
 * bytes, on job's device) on the device queue, after the job's earlier
 * commands; does not wait. Errors: HETERO_ECL (VkFFT's code in errmsg).
 */
int hetero__cl_fft_enqueue(struct hetero__cl_job *job,
                           struct hetero__cl_fft_plan *p, cl_mem buf);

/* What the cache did, for tests, benchmarks and reports. */
struct hetero__cl_fft_stats {
    size_t plans;       /* plans in the cache */
    size_t hits;        /* requests answered from the cache */
    size_t misses;      /* requests that created a plan */
    size_t failures;    /* plan creations that failed */
    double init_s;      /* seconds spent creating plans (VkFFT init) */
    double last_init_s; /* seconds of the latest plan creation */
    unsigned long runs; /* transforms enqueued */
};

/* Copies the context's counters (zeros if no plan was ever requested). */
void hetero__cl_fft_stats(hetero_context *ctx,
                          struct hetero__cl_fft_stats *out);

/* "VKFFT_ERROR_INVALID_DEVICE" etc. for a VkFFTResult code;
 * "VKFFT_ERROR_UNKNOWN" for a code this VkFFT does not define. */
const char *hetero__cl_fft_err_name(int code);

#endif /* HETERO_CL_FFT_H */
