/*
 * autocorr.h - full 2-D autocorrelation of a batch of matrices,
 * scipy.signal.correlate2d(a, a) (mode "full").
 *
 * Math: for each n x m matrix a of the batch, out is (2n-1) x (2m-1) with
 *   out[i,j] = sum_{k<n, l<m} a[k,l] * a[k + i - (n-1), l + j - (m-1)]
 * where terms whose index falls outside a are zero; out[n-1, m-1] is
 * sum a^2, and out is centro-symmetric: out[2n-2-i, 2m-2-j] = out[i,j].
 * Element for element scipy.signal.correlate2d(a, a) (mode "full").
 *
 * Layout: a is [B,n,m] (a batch) or [n,m], C order; out is [B,2n-1,2m-1]
 * or [2n-1,2m-1]. Dtypes: f32 or f64; out has a's dtype.
 *
 * Algorithms (parameter algo; absent: the dispatcher chooses by cost):
 *   direct  the sum as written, about B n^2 m^2 / 2 multiply-adds (half of
 *           out is computed, the other half mirrored): best for small n, m;
 *   fft     per matrix: zero-pad to P x Q (the smallest 2^a 3^b 5^c 7^d >=
 *           2n-1, >= 2m-1), real FFT, |X|^2, inverse FFT, crop; about
 *           B * 5 P Q log2(P Q) flops: best beyond roughly 16 x 16.
 *
 * Tolerance: every element is within tol * out[n-1, m-1] (= sum a^2 of
 * that matrix, the largest |out|) of the exact value, tol = 1e-13 for f64
 * and 1e-5 for f32, both algorithms (f32 is computed in f32; the bound
 * holds up to n m of about 1e6). For integer-valued input with sum a^2 below
 * 2^24 (f32) or 2^50 (f64), both round to the exact integers. A NaN or
 * infinity in a matrix makes out NaN at least where scipy's is; the FFT
 * algorithm spreads it over the whole matrix (not an error).
 *
 * OpenCL variants: direct (tiles of lags per work-group, the input staged
 * in local memory, half of out computed and mirrored) and fft (the same
 * padding, through VkFFT's complex transforms). Both are within
 * tol * sum a^2 with tol = 1e-12 for f64 and 1e-4 for f32 (measured on
 * POCL: direct 7e-15 and 3e-6, fft 7e-16 and 4e-7). The direct one sums
 * integer-valued input exactly, as on the CPU; the fft one only within its
 * bound.
 *
 * Thread safety: reentrant; several threads may call it on one context.
 */
#ifndef HETERO_KERNELS_AUTOCORR_H
#define HETERO_KERNELS_AUTOCORR_H

#include <stddef.h>

#include <hetero/array.h>
#include <hetero/context.h>
#include <hetero/defs.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Typed args of the autocorr variants. */
struct hetero_autocorr_args {
    enum hetero_dtype dtype; /* HETERO_F32 or HETERO_F64 */
    size_t batch;            /* B; 1 for a 2-D input */
    size_t n;                /* rows of each matrix */
    size_t m;                /* columns of each matrix */
    const void *a;           /* batch * n * m elements */
    void *out;               /* batch * (2n-1) * (2m-1) elements */
};

/**
 * Autocorrelation of `batch` n x m matrices of doubles, a (batch*n*m
 * doubles), into out (batch*(2n-1)*(2m-1) doubles). algo: "direct", "fft",
 * or NULL to let the dispatcher choose. a and out are borrowed and must not
 * overlap. Errors: HETERO_EINVAL (NULL pointer, zero size, overflow, unknown
 * algo), HETERO_ENOMEM, HETERO_EFFT (FFTW failed to plan).
 */
HETERO_API HETERO_NODISCARD int hetero_autocorr(hetero_context *ctx,
                                                const double *a, double *out,
                                                size_t batch, size_t n,
                                                size_t m, const char *algo);

/** As hetero_autocorr() for floats. */
HETERO_API HETERO_NODISCARD int hetero_autocorr_f32(hetero_context *ctx,
                                                    const float *a, float *out,
                                                    size_t batch, size_t n,
                                                    size_t m, const char *algo);

#ifdef __cplusplus
}
#endif

#endif /* HETERO_KERNELS_AUTOCORR_H */
