/*
 * mcpi.h - Monte Carlo estimate of pi from a counter-based random number
 * generator: the same count on every device and thread count.
 *
 * Math: `samples` points (x, y) uniform in [0, 1)^2; `hits` counts those
 * with x*x + y*y < 1; pi = 4 * hits / samples.
 * Inputs: none. Parameters: samples (1 .. 2^63 - 1, default 1e8) and seed
 * (any uint64, default 0). Outputs: hits, a 0-d i64 array, and pi, a 0-d
 * f64 array.
 *
 * Generator: Philox4x32-10 (Salmon, Moraes, Dror and Shaw, "Parallel random
 * numbers: as easy as 1, 2, 3", SC'11; Random123's philox4x32_R(10, ...)).
 * With 32-bit words, counter (c0, c1, c2, c3) and key (k0, k1), a round is
 *     p0 = 0xD2511F53 * c0,  p1 = 0xCD9E8D57 * c2     (64-bit products)
 *     (c0, c1, c2, c3) = (hi(p1) ^ c1 ^ k0, lo(p1), hi(p0) ^ c3 ^ k1, lo(p0))
 * Ten rounds are applied; between two rounds the key is bumped by the Weyl
 * constants, k0 += 0x9E3779B9, k1 += 0xBB67AE85 (mod 2^32). The output
 * (r0, r1, r2, r3) is the counter after round ten.
 *
 * Mapping: key = (k0, k1) = (seed mod 2^32, seed >> 32). Sample i (0 <= i <
 * samples) belongs to pair j = i >> 1, whose counter is (j mod 2^32,
 * j >> 32, 0, 0). Even i takes (X, Y) = (r0, r1), odd i takes (X, Y) =
 * (r2, r3). The point is (x, y) = (X / 2^32, Y / 2^32), in [0, 1)^2 on a
 * grid of step 2^-32. It is a hit iff x*x + y*y < 1, decided exactly in
 * integers: X*X + Y*Y < 2^64 (X*X and Y*Y are exact 64-bit products; the
 * test is Y*Y <= 2^64 - 1 - X*X, no rounding anywhere).
 * pi = (4.0 * (double)hits) / (double)samples, each step an IEEE-754 double
 * operation rounded to nearest.
 *
 * Sample i depends only on (seed, i), and hits is an integer sum, so hits
 * and pi are identical, bit for bit, for any variant, thread count and
 * chunking. Tolerance between variants: exact. The OpenCL variant runs the
 * same generator and integer hit test in 32-bit integer operations (no
 * fp64 needed: it runs on every device) and adds per-work-group counts on
 * the host, so it gives the same hits and pi on every device. The
 * statistical error of pi is about 1.64 / sqrt(samples).
 *
 * Thread safety: reentrant; several threads may call it on one context.
 */
#ifndef HETERO_KERNELS_MCPI_H
#define HETERO_KERNELS_MCPI_H

#include <stddef.h>
#include <stdint.h>

#include <hetero/context.h>
#include <hetero/defs.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Largest number of samples (hits must fit an int64). */
#define HETERO_MCPI_MAX_SAMPLES ((uint64_t)INT64_MAX)

/** Typed args of the mcpi variants. */
struct hetero_mcpi_args {
    uint64_t samples; /* 1 .. HETERO_MCPI_MAX_SAMPLES */
    uint64_t seed;
    int64_t *hits;    /* the 0-d i64 output */
    double *pi;       /* the 0-d f64 output */
};

/**
 * Counts the hits among `samples` points of the stream `seed` (see above)
 * on the device the dispatcher picks. *hits and *pi are out-parameters,
 * written only on success; either may be NULL if not wanted.
 * Errors: HETERO_EINVAL (ctx NULL, samples 0 or above
 * HETERO_MCPI_MAX_SAMPLES), HETERO_ENOMEM.
 */
HETERO_API HETERO_NODISCARD int hetero_mcpi(hetero_context *ctx,
                                            uint64_t samples, uint64_t seed,
                                            uint64_t *hits, double *pi);

#ifdef __cplusplus
}
#endif

#endif /* HETERO_KERNELS_MCPI_H */
