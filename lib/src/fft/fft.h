/*
 * fft.h - the FFTW wrapper: a per-context cache of FFTW plans, for the
 * kernels that transform (fft2, autocorr's FFT algorithm).
 *
 * A plan is described by a key (kind, precision, 2-D size, direction, batch,
 * layout, in-place, alignment) and created on first request with the
 * context's planner flags (FFTW_MEASURE unless HETERO_FFTW_PLANNER says
 * estimate|measure|patient), always for one FFTW thread: the pool variants
 * parallelise by splitting a batch, never through FFTW's threads. Plans live
 * in the cache until the context is destroyed and are executed with FFTW's
 * new-array functions, so any number of threads may run one plan on
 * different arrays at the same time.
 *
 * Wisdom: the cache imports <cache_dir>/fftw-wisdom-<double|float> when it
 * is created and writes it back (temp file + rename) after planning by
 * measurement, so a later process plans the same sizes from wisdom.
 *
 * Thread safety: every function may be called from any thread; see fft.c.
 */
#ifndef HETERO_FFT_H
#define HETERO_FFT_H

#include <stdbool.h>
#include <stddef.h>

#include "internal.h"

enum hetero__fft_kind {
    HETERO__FFT_C2C = 0, /* complex -> complex */
    HETERO__FFT_R2C,     /* real -> half-spectrum complex, forward */
    HETERO__FFT_C2R,     /* half-spectrum complex -> real, backward;
                            destroys its input */
};

enum hetero__fft_prec {
    HETERO__FFT_F64 = 0, /* double, fftw_complex */
    HETERO__FFT_F32,     /* float, fftwf_complex */
};

/*
 * What a plan computes. Each of the `howmany` transforms is an n x m
 * row-major matrix (n = 1: a 1-D transform of length m), stored one after
 * the other:
 *   - complex side: rows of cpx_row complex elements (0: m for c2c,
 *     m/2 + 1 for r2c/c2r), n * cpx_row elements per transform;
 *   - real side (r2c/c2r): rows of m reals (2 * cpx_row when in place),
 *     n rows per transform.
 * FFTW's transforms are unnormalised; sign -1 is forward, +1 backward
 * (c2c only; r2c is forward and c2r backward by definition).
 */
struct hetero__fft_key {
    enum hetero__fft_kind kind;
    enum hetero__fft_prec prec;
    size_t n;
    size_t m;
    int sign;
    size_t howmany;
    size_t cpx_row;
    bool inplace;
    bool aligned; /* false: FFTW_UNALIGNED, for arrays of any alignment */
};

/* A cached plan; owned by the context's cache, valid until the context is
 * destroyed. */
struct hetero__fft_plan;

/* What the cache did, for tests and --explain. */
struct hetero__fft_stats {
    size_t plans;         /* plans in the cache */
    size_t hits;          /* requests answered from the cache */
    size_t misses;        /* requests that created a plan */
    size_t from_wisdom;   /* misses planned from wisdom alone */
    size_t measured;      /* misses planned by measuring (or estimating) */
    size_t wisdom_reads;  /* wisdom files imported */
    size_t wisdom_writes; /* wisdom files written */
    double plan_s;        /* seconds spent creating plans */
    unsigned flags;       /* the FFTW planner flags in use */
};

/*
 * The plan for `key` in *out, created (under the planner lock) on first
 * request; concurrent requests for one key wait for the one planning it.
 * Errors: HETERO_EINVAL (bad key), HETERO_ENOMEM, HETERO_EFFT (FFTW
 * returned no plan), HETERO_EINVAL from a malformed HETERO_FFTW_PLANNER.
 */
int hetero__fft_plan_get(hetero_context *ctx, const struct hetero__fft_key *key,
                         const struct hetero__fft_plan **out);

/* True if `in` and `out` have the alignment `p` was planned for (always
 * true for an unaligned plan). */
bool hetero__fft_fits(const struct hetero__fft_plan *p, const void *in,
                      const void *out);

/*
 * Runs plan p on in -> out (laid out as the key says; in == out for an
 * in-place plan). Requires hetero__fft_fits(p, in, out). r2c and
 * out-of-place c2c plans leave `in` unchanged; c2r destroys it.
 * Thread-safe: p may run on several threads at once on different arrays.
 */
void hetero__fft_execute(const struct hetero__fft_plan *p, void *in, void *out);

/* The smallest 2^a 3^b 5^c 7^d >= n (n >= 1), FFTW's fast sizes; 0 if
 * there is none below SIZE_MAX / 8. */
size_t hetero__fft_good_size(size_t n);

/* The cache's counters (all zero if it was never created). */
void hetero__fft_stats(hetero_context *ctx, struct hetero__fft_stats *out);

/* Tests: drops the process's FFTW wisdom (both precisions), as if a new
 * process started. Plans already made stay valid. */
void hetero__fft_forget_wisdom(void);

/* Tests: path of the wisdom file of `prec` under `cache_dir` into buf. */
int hetero__fft_wisdom_path(const char *cache_dir, enum hetero__fft_prec prec,
                            char *buf, size_t size);

#endif /* HETERO_FFT_H */
