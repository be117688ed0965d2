/*
 * rbf.h - the RBF distance-function matrix of a set of points.
 *
 * Math: D[i][j] = f(||v_i - v_j||_2) with f(r) = r^3 / 12 + r^2 / 6, for the
 * N points v_0 .. v_{N-1} of dimension d. The norm is computed from the
 * coordinate differences (never as |v_i|^2 + |v_j|^2 - 2 v_i.v_j, which
 * loses all accuracy for close points), so D[i][i] = f(0) = 0 and D is
 * exactly symmetric. A NaN coordinate of v_i makes row and column i NaN
 * (its diagonal included, as scipy's cdist); an infinite one gives Inf, or
 * NaN where two infinities meet. numpy/scipy:
 *     r = scipy.spatial.distance.cdist(v, v); D = r**3 / 12 + r**2 / 6
 *
 * Layout: points [N, d] (row-major, C order) -> D [N, N] (row-major).
 * Dtypes: f64 (default) or f32; D has the dtype of the points. f32 points
 * are computed in double (as cdist does) and D is rounded to float once.
 *
 * Tolerance: relative, element by element, against the exact value:
 *     f64: |D - D_exact| <= 1e-12 * |D_exact|
 *     f32: |D - D_exact| <= 1e-6  * |D_exact|   (one rounding to float)
 * Serial and pool run the same per-row code and agree bitwise. The OpenCL
 * variant computes f64 with the serial variant's operations in its order
 * (no contraction; bitwise equal where the device's double sqrt is
 * correctly rounded, as OpenCL requires), but f32 in float on the device
 * (double may be missing or slow there), so its f32 bound is
 *     f32 (OpenCL): |D - D_exact| <= 1e-5 * |D_exact|   (d <= 1000; the
 *     float sum of squares loses more as d grows)
 * Its D is exactly symmetric all the same, its diagonal exactly 0 (NaN
 * for a NaN point).
 *
 * Thread safety: reentrant; several threads may call it on one context.
 */
#ifndef HETERO_KERNELS_RBF_H
#define HETERO_KERNELS_RBF_H

#include <stddef.h>

#include <hetero/array.h>
#include <hetero/context.h>
#include <hetero/defs.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Typed args of the rbf variants. */
struct hetero_rbf_args {
    enum hetero_dtype dtype; /* HETERO_F32 or HETERO_F64 */
    size_t n;                /* number of points N */
    size_t d;                /* dimension of a point */
    const void *points;      /* [n][d] */
    void *out;               /* [n][n] */
};

/**
 * out[i * n + j] = f(||points_i - points_j||) for n points of dimension d
 * (points is n * d doubles, row-major; out is n * n doubles), on the device
 * the dispatcher picks. Both are borrowed and must not overlap. Errors:
 * HETERO_EINVAL (ctx, points or out NULL, n or d 0, size overflow),
 * HETERO_ENOMEM.
 */
HETERO_API HETERO_NODISCARD int hetero_rbf(hetero_context *ctx,
                                           const double *points, size_t n,
                                           size_t d, double *out);

/** As hetero_rbf() for floats (computed in double, rounded once). */
HETERO_API HETERO_NODISCARD int hetero_rbf_f32(hetero_context *ctx,
                                               const float *points,
                                               size_t n, size_t d,
                                               float *out);

#ifdef __cplusplus
}
#endif

#endif /* HETERO_KERNELS_RBF_H */
