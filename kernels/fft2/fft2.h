/*
 * fft2.h - batched 2-D discrete Fourier transform, numpy.fft.fft2 / ifft2.
 *
 * Math: for each n x m matrix x of the batch,
 *   forward (inverse = 0):
 *     X[k,l] = sum_{i<n, j<m} x[i,j] exp(-2 pi i (k i / n + l j / m))
 *   inverse (inverse = 1):
 *     X[k,l] = 1/(n m) sum_{i<n, j<m} x[i,j] exp(+2 pi i (k i / n + l j / m))
 * exactly numpy.fft.fft2(x) / numpy.fft.ifft2(x) over the last two axes
 * (forward unnormalised, inverse scaled by 1/(n m)).
 *
 * Layout: x is [B,n,m] (a batch) or [n,m], C order; X has the same shape.
 * Complex numbers are interleaved (re, im) pairs.
 * Dtypes: x f64 or c128 -> X c128; x f32 or c64 -> X c64. Real input is
 * transformed with FFTW's r2c and the other half filled from Hermitian
 * symmetry, X[k,l] = conj(X[(n-k) % n, (m-l) % m]).
 *
 * Tolerance: every component of X is within tol * ||x|| * s of the exact
 * transform, where ||x|| = sqrt(sum |x[i,j]|^2) over that matrix, s = 1 for
 * the forward and 1/(n m) for the inverse transform, and tol = 1e-13 for
 * f64/c128 and 1e-5 for f32/c64 (FFT rounding grows like log2(n m); the
 * bound holds up to n m of about 1e7). A NaN or infinity in a matrix makes
 * all of its transform NaN (not an error). The serial and pool variants run
 * the same FFTW plans; in one context they agree bitwise.
 *
 * The OpenCL variant transforms through VkFFT: the whole batch as one
 * complex transform on the device (a real x is first converted to complex
 * there), any n and m (primes through Bluestein's algorithm). Its bound is
 * tol = 1e-12 for f64/c128 and 1e-5 for f32/c64 (measured on POCL: about
 * 2e-15 and 8e-7). VkFFT generates and compiles kernels for each new shape,
 * precision and direction (0.1 s warm to 2 s cold on POCL), once per
 * context: plan creation pays it, execution does not.
 *
 * Parameters: inverse = 0 | 1 (default 0).
 *
 * Thread safety: reentrant; several threads may call it on one context.
 */
#ifndef HETERO_KERNELS_FFT2_H
#define HETERO_KERNELS_FFT2_H

#include <stdbool.h>
#include <stddef.h>

#include <hetero/array.h>
#include <hetero/context.h>
#include <hetero/defs.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Typed args of the fft2 variants. */
struct hetero_fft2_args {
    enum hetero_dtype dtype; /* of x: HETERO_F32, F64, C64 or C128 */
    size_t batch;            /* B; 1 for a 2-D input */
    size_t n;                /* rows of each matrix */
    size_t m;                /* columns of each matrix */
    bool inverse;
    const void *x; /* batch * n * m elements of dtype */
    void *y;       /* batch * n * m complex (c128 or c64) */
};

/**
 * 2-D FFT of `batch` real n x m matrices of doubles, x (batch*n*m doubles),
 * into y (batch*n*m complex doubles, 2*batch*n*m doubles, (re, im)
 * interleaved), inverse = false: numpy.fft.fft2, true: ifft2. x and y are
 * borrowed and must not overlap. Errors: HETERO_EINVAL (NULL pointer, zero
 * size, size overflow), HETERO_ENOMEM, HETERO_EFFT (FFTW failed to plan).
 */
HETERO_API HETERO_NODISCARD int hetero_fft2(hetero_context *ctx,
                                            const double *x, double *y,
                                            size_t batch, size_t n, size_t m,
                                            bool inverse);

/** As hetero_fft2() for real floats into complex floats (c64). */
HETERO_API HETERO_NODISCARD int hetero_fft2_f32(hetero_context *ctx,
                                                const float *x, float *y,
                                                size_t batch, size_t n,
                                                size_t m, bool inverse);

/** As hetero_fft2() for complex double input (c128): x holds 2*batch*n*m
 *  doubles, (re, im) interleaved. */
HETERO_API HETERO_NODISCARD int hetero_fft2_c128(hetero_context *ctx,
                                                 const double *x, double *y,
                                                 size_t batch, size_t n,
                                                 size_t m, bool inverse);

/** As hetero_fft2_c128() for complex floats (c64). */
HETERO_API HETERO_NODISCARD int hetero_fft2_c64(hetero_context *ctx,
                                                const float *x, float *y,
                                                size_t batch, size_t n,
                                                size_t m, bool inverse);

#ifdef __cplusplus
}
#endif

#endif /* HETERO_KERNELS_FFT2_H */
