/*
 * sum.h - the sum of all elements of an array, accumulated in double and
 * bitwise identical for any thread count.
 *
 * Math: s = x[0] + x[1] + ... + x[N-1] over the N elements of x (any shape,
 * C order; the shape does not matter). numpy: `numpy.sum(x, dtype=float)`.
 * Dtypes: x is f32 or f64; the result is always f64, a 0-d array (ndim 0).
 * f32 elements are converted to double exactly before they are added.
 * (numpy.sum of a float32 array adds in float32, pairwise, and returns a
 * float32: this kernel is more accurate there.)
 *
 * Algorithm (it defines the result bit for bit, on every device):
 *   - x is cut into blocks of HETERO_SUM_BLOCK elements (the last one may
 *     be shorter); the cut does not depend on the thread count.
 *   - In a block, element k goes to lane k mod HETERO_SUM_LANES. Each lane
 *     keeps a sum s and an error sum c, both starting at +0, and adds its
 *     elements v in order with Knuth's error-free TwoSum:
 *         t = s + v;  z = t - s;  c += (s - (t - z)) + (v - z);  s = t;
 *   - The block's partial (S, C) starts as lane 0's (s, c); the other
 *     lanes are then added in lane order: the lane's s into S by TwoSum,
 *     whose error e goes with the lane's c into C (C += e + c).
 *   - Blocks are combined the same way, in block order, starting from
 *     block 0's (S, C).
 *   - The result is S + C if S is finite, else S.
 * Every operation is an IEEE-754 double addition or subtraction (no fused
 * multiply-add, no reassociation), so serial, pool (any thread count and
 * chunking) and every machine give the same bits.
 *
 * Accuracy: compensated summation, about as if done in twice the working
 * precision and rounded: |s - exact| <= u |exact| + (N u)^2 sum|x[i]|, to
 * first order, with u = 2^-53 (Ogita, Rump and Oishi, "Accurate sum and dot
 * product", 2005). numpy.sum's pairwise summation only guarantees about
 * u log2(N) sum|x[i]|. 1e16 followed by ones comes out exact; where values
 * up to 1e20 cancel to about 5e3 (tests/fixtures/sum/cancel_f64), the
 * error is 2e-11 and numpy's 3e5.
 * Special values: NaN propagates; +Inf (or -Inf) gives +Inf (-Inf); +Inf
 * and -Inf together give NaN, as numpy. A sum whose running partial sums
 * overflow gives +-Inf (or NaN), as a plain loop would.
 *
 * Tolerance between variants: exact (bitwise). The OpenCL variant
 * computes the same block partials on the device (the lanes of a block
 * spread over work-items, folded in lane order) and combines them on the
 * host in block order, so it gives the serial bits on any device with
 * fp64; only the payload of a NaN result may differ. It needs fp64 for
 * f32 input too (the sums are in double) and declines without it ("device
 * lacks fp64"), as it declines f32 input on a device that flushes f32
 * subnormals to zero; the dispatcher then runs the CPU variants.
 *
 * Thread safety: reentrant; several threads may call it on one context.
 */
#ifndef HETERO_KERNELS_SUM_H
#define HETERO_KERNELS_SUM_H

#include <stddef.h>

#include <hetero/array.h>
#include <hetero/context.h>
#include <hetero/defs.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Elements per block: the fixed decomposition behind bitwise results. */
#define HETERO_SUM_BLOCK 4096
/** Independent TwoSum accumulators (lanes) inside a block. */
#define HETERO_SUM_LANES 16

/** Typed args of the sum variants. */
struct hetero_sum_args {
    enum hetero_dtype dtype; /* of x: HETERO_F32 or HETERO_F64 */
    size_t n;                /* element count, >= 1 */
    const void *x;
    double *out;             /* the 0-d f64 result */
};

/**
 * *out = the sum of the n doubles at x (see above), on the device the
 * dispatcher picks. x is borrowed; out is an out-parameter written only on
 * success. Errors: HETERO_EINVAL (ctx, x or out NULL, n == 0),
 * HETERO_ENOMEM.
 */
HETERO_API HETERO_NODISCARD int hetero_sum(hetero_context *ctx,
                                           const double *x, size_t n,
                                           double *out);

/** As hetero_sum() for n floats; the sum is still accumulated and returned
 *  in double. */
HETERO_API HETERO_NODISCARD int hetero_sum_f32(hetero_context *ctx,
                                               const float *x, size_t n,
                                               double *out);

#ifdef __cplusplus
}
#endif

#endif /* HETERO_KERNELS_SUM_H */
