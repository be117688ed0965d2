/*
 * det.h - determinants of a batch of square matrices, numpy.linalg.det.
 *
 * Math: det[b] = det(A_b) for b in [0, B), computed as numpy (LAPACK getrf)
 * does: LU factorisation with partial pivoting (each row swap flips the
 * sign), det = sign * prod_k U[k][k]. The pivot of column k is the entry of
 * largest magnitude on or below the diagonal (the first one on a tie); a NaN
 * counts as larger than any number, so a NaN is never skipped and the result
 * is NaN. A zero pivot (singular matrix) leaves the column as it is and the
 * result is 0, or the tiny value rounding leaves in U. Inf gives Inf or NaN.
 * The product of the diagonal is rescaled as it goes, so an intermediate
 * product never overflows or underflows when the result does not.
 *
 * Layout: input a is [B, n, n] or [n, n] (row-major, C order); output det is
 * [B], or 0-d (a scalar, ndim 0) for an [n, n] input, as numpy.linalg.det.
 * Dtypes: f64 (default) or f32; the output has the input's dtype and f32 is
 * computed in float, like numpy.
 *
 * Tolerance: with H = prod_i ||row_i(A)||_2 (Hadamard's bound, |det A| <= H)
 * and eps = 2^-52 (f64) or 2^-23 (f32), every variant is within
 *     |det - det_exact| <= 4 * n * eps * H
 * on matrices without large pivot growth (random ones); the same bound holds
 * between any two variants and against numpy. Serial and pool run the same
 * per-matrix code and agree bitwise. The OpenCL variant takes the same
 * steps (same pivots, same special values) but the device may fuse the
 * update into an fma and, in f32, round a division to its 2.5 ulp; it
 * stays within the same bound of the serial variant (tested on orders 1
 * to 64 and 400) and agrees exactly where nothing rounds (permutations,
 * triangular matrices, the rescaled product).
 *
 * Thread safety: reentrant; several threads may call it on one context.
 */
#ifndef HETERO_KERNELS_DET_H
#define HETERO_KERNELS_DET_H

#include <stddef.h>

#include <hetero/array.h>
#include <hetero/context.h>
#include <hetero/defs.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Typed args of the det variants. */
struct hetero_det_args {
    enum hetero_dtype dtype; /* HETERO_F32 or HETERO_F64 */
    size_t batch;            /* number of matrices B (1 for [n, n]) */
    size_t n;                /* order of each matrix */
    const void *a;           /* [batch][n][n] */
    void *det;               /* [batch] */
};

/**
 * det[b] = det(a[b]) for `batch` row-major n x n matrices of doubles, on the
 * device the dispatcher picks. a (batch * n * n doubles) and det (batch
 * doubles) are borrowed; a is not modified. Errors: HETERO_EINVAL (ctx, a or
 * det NULL, batch or n 0, size overflow), HETERO_ENOMEM.
 */
HETERO_API HETERO_NODISCARD int hetero_det(hetero_context *ctx,
                                           const double *a, size_t batch,
                                           size_t n, double *det);

/** As hetero_det() for floats, computed in float. */
HETERO_API HETERO_NODISCARD int hetero_det_f32(hetero_context *ctx,
                                               const float *a, size_t batch,
                                               size_t n, float *det);

#ifdef __cplusplus
}
#endif

#endif /* HETERO_KERNELS_DET_H */
