/*
 * test_support.h - helpers shared by the cmocka tests: a context per test,
 * seeded random data, tolerance checks, and running every variant of a
 * kernel against its serial reference.
 */
#ifndef HETERO_TEST_SUPPORT_H
#define HETERO_TEST_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <hetero/hetero.h>

/* A context with `threads` pool threads (0: default); fails the test if it
 * cannot be created. */
hetero_context *ts_context(size_t threads);

/* splitmix64: deterministic, seedable, independent of libc. */
uint64_t ts_rand_u64(uint64_t *state);
/* Uniform in [lo, hi). */
double ts_rand_uniform(uint64_t *state, double lo, double hi);

/* Fills a real or complex f32/f64 array with uniform values in [lo, hi). */
void ts_fill_uniform(struct hetero_array *a, uint64_t seed, double lo,
                     double hi);

/* Allocates an array (fails the test on error). */
void ts_alloc(struct hetero_array *a, enum hetero_dtype dtype, int ndim,
              const size_t *shape);

/*
 * Largest |a - b| and largest |a - b| / max(|b|, floor) over all elements
 * (real and imaginary parts separately for complex), for arrays of the same
 * dtype and shape. NaN in one but not the other counts as infinite error;
 * NaN in both counts as equal.
 */
void ts_compare(const struct hetero_array *a, const struct hetero_array *b,
                double floor, double *max_abs, double *max_rel);

/* Asserts every element of a is within atol + rtol * |b| of b. */
void ts_assert_close(const struct hetero_array *a,
                     const struct hetero_array *b, double rtol, double atol);

/* Asserts a and b are bitwise identical. */
void ts_assert_bitwise(const struct hetero_array *a,
                       const struct hetero_array *b);

/*
 * Runs kernel k on `call` (inputs and params set, outputs allocated here)
 * with the given plan flags/threads/algo and stores outputs in outs
 * (k's n_outputs arrays, freed by the caller with hetero_array_free).
 * Returns the run's error code (0 on success).
 */
int ts_run(hetero_context *ctx, const hetero_kernel *k,
           const struct hetero_call *call, unsigned flags, size_t threads,
           const char *algo, struct hetero_array *outs);

/*
 * Allocation-failure loop: runs hetero_run(ctx, k, call, flags) with the
 * n-th library allocation failing, n = 0, 1, ..., until a run succeeds;
 * every failing run must return HETERO_ENOMEM (and, under ASan, leak
 * nothing). Fails the test if no run succeeds within max_faults.
 */
void ts_alloc_fault_loop(hetero_context *ctx, const hetero_kernel *k,
                         struct hetero_call *call, unsigned flags,
                         long max_faults);

/* Path of a file under the source tree (static buffer, per call). */
const char *ts_source_path(const char *rel);

/*
 * Skipping tests that need hardware this machine lacks: ts_skip() counts
 * the skip and calls cmocka's skip(); ts_exit_code(failed, n) turns the
 * group's failure count into main's exit status, 77 (CTest's "skipped")
 * when nothing failed and at least n tests skipped.
 */
void ts_skip(void);
int ts_exit_code(int failed, size_t n);

/* True if an OpenCL device is usable in this context (for skip()). */
int ts_have_opencl(hetero_context *ctx);

#endif /* HETERO_TEST_SUPPORT_H */
