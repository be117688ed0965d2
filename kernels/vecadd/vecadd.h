/*
 * vecadd.h - element-wise vector addition, c = a + b.
 *
 * Math: c[i] = a[i] + b[i] for i in [0, N), N = the element count of a.
 * Layout: a, b and c have the same shape (any ndim 1..8, C order) and dtype.
 * Dtypes: f32, f64. Tolerance: exact (every variant does one IEEE addition
 * per element, so all variants agree bitwise). numpy: `a + b`.
 *
 * Thread safety: reentrant; several threads may call it on one context.
 */
#ifndef HETERO_KERNELS_VECADD_H
#define HETERO_KERNELS_VECADD_H

#include <stddef.h>

#include <hetero/array.h>
#include <hetero/context.h>
#include <hetero/defs.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Typed args of the vecadd variants. */
struct hetero_vecadd_args {
    enum hetero_dtype dtype; /* HETERO_F32 or HETERO_F64 */
    size_t n;
    const void *a;
    const void *b;
    void *c;
};

/**
 * c = a + b over n doubles, on the device the dispatcher picks. a, b, c are
 * borrowed; c may alias a or b. Errors: HETERO_EINVAL (NULL pointer, n 0).
 */
HETERO_API HETERO_NODISCARD int hetero_vecadd(hetero_context *ctx,
                                              const double *a,
                                              const double *b, double *c,
                                              size_t n);

/** As hetero_vecadd() for floats. */
HETERO_API HETERO_NODISCARD int hetero_vecadd_f32(hetero_context *ctx,
                                                  const float *a,
                                                  const float *b, float *c,
                                                  size_t n);

#ifdef __cplusplus
}
#endif

#endif /* HETERO_KERNELS_VECADD_H */
