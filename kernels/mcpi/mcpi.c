/*
 * mcpi.c - mcpi descriptor, the Philox4x32-10 generator, the serial
 * reference and the typed entry point.
 *
 * DESIGN: sample i is a pure function of (seed, i) (mcpi.h), so any split
 * of [0, samples) gives the same hits. Pairs of samples are generated in
 * batches of MCPI_BATCH counters held in arrays: the ten rounds then run as
 * plain loops over the batch, which GCC vectorises (32 x 32 -> 64-bit
 * multiplies in SIMD lanes), and the hit test is integer and branch-free.
 * Pairs that do not fill a batch, or whose second sample lies past
 * `samples`, go through the one-counter function.
 */
#include <inttypes.h>
#include <stdio.h>

#include <hetero/hetero.h>

#include "kernel_api.h"
#include "mcpi/mcpi.h"
#include "mcpi/mcpi_impl.h"

/* Philox4x32 constants (Random123 philox.h). */
#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u
#define PHILOX_ROUNDS 10

/* Counter pairs per vectorised batch. */
#define MCPI_BATCH 64

static const struct hetero_param_info mcpi_params[] = {
    { "samples", "number of random points, 1 .. 2^63-1", "100000000", NULL },
    { "seed", "64-bit seed, the Philox key (any uint64)", "0", NULL },
};

static const struct hetero_arg_desc mcpi_outputs[] = {
    { "hits", "points inside the quarter disc, a 0-d i64 array" },
    { "pi", "4 * hits / samples, a 0-d f64 array" },
};

/* An array's shape pointer for ndim 0 (never read). */
static const size_t mcpi_scalar_shape[1];

static int mcpi_unpack(hetero_context *ctx, const struct hetero_call *call,
                       void *args, struct hetero_array *out_specs)
{
    struct hetero_mcpi_args *ma = args;
    uint64_t samples;
    uint64_t seed;
    int ret;

    ret = hetero__param_u64(ctx, call, "samples", 100000000, 1,
                            HETERO_MCPI_MAX_SAMPLES, &samples);
    if (ret)
        return ret;
    ret = hetero__param_u64(ctx, call, "seed", 0, 0, UINT64_MAX, &seed);
    if (ret)
        return ret;
    hetero__spec(&out_specs[0], HETERO_I64, 0, mcpi_scalar_shape);
    hetero__spec(&out_specs[1], HETERO_F64, 0, mcpi_scalar_shape);
    ret = hetero__check_outputs(ctx, "mcpi", call, out_specs, 2);
    if (ret)
        return ret;
    if (ma) {
        ma->samples = samples;
        ma->seed = seed;
        ma->hits = call->n_outputs ? call->outputs[0].data : NULL;
        ma->pi = call->n_outputs ? call->outputs[1].data : NULL;
    }
    return 0;
}

/* No input arrays: nothing to describe. */
static int mcpi_input_specs(hetero_context *ctx, int ndim,
                            const size_t *shape, enum hetero_dtype dtype,
                            struct hetero_array *specs)
{
    (void)ctx;
    (void)ndim;
    (void)shape;
    (void)dtype;
    (void)specs;
    return 0;
}

static void mcpi_work(const void *args, struct hetero_work *w)
{
    const struct hetero_mcpi_args *ma = args;

    /* Half a Philox call (10 rounds of 2 multiplies, 4 xors, 2 adds) and
     * a hit test per sample. */
    w->flops = 45.0 * (double)ma->samples;
    w->bytes = 0.0;
    w->items = (double)ma->samples;
}

/* One Philox round on the counter (c0, c1, c2, c3) with key (k0, k1). */
static inline void philox_round(uint32_t *c0, uint32_t *c1, uint32_t *c2,
                                uint32_t *c3, uint32_t k0, uint32_t k1)
{
    uint64_t p0 = (uint64_t)PHILOX_M0 * *c0;
    uint64_t p1 = (uint64_t)PHILOX_M1 * *c2;
    uint32_t n0 = (uint32_t)(p1 >> 32) ^ *c1 ^ k0;
    uint32_t n2 = (uint32_t)(p0 >> 32) ^ *c3 ^ k1;

    *c0 = n0;
    *c1 = (uint32_t)p1;
    *c2 = n2;
    *c3 = (uint32_t)p0;
}

void hetero__philox4x32_10(const uint32_t ctr[4], const uint32_t key[2],
                           uint32_t out[4])
{
    uint32_t c0 = ctr[0];
    uint32_t c1 = ctr[1];
    uint32_t c2 = ctr[2];
    uint32_t c3 = ctr[3];
    uint32_t k0 = key[0];
    uint32_t k1 = key[1];
    int r;

    for (r = 0; r < PHILOX_ROUNDS; r++) {
        philox_round(&c0, &c1, &c2, &c3, k0, k1);
        k0 += PHILOX_W0; /* the bump after round ten is not used */
        k1 += PHILOX_W1;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

/*
 * 1 if (X / 2^32, Y / 2^32) lies inside the unit disc: X^2 + Y^2 < 2^64,
 * i.e. the 64-bit addition X^2 + Y^2 does not carry out. The carry is
 * computed with bitwise operations (a full adder's carry on the top bit)
 * because SSE2 has no unsigned 64-bit compare: the loop then vectorises,
 * 18% faster than `y2 <= UINT64_MAX - x2`, which gives the same answer.
 */
static inline uint64_t is_hit(uint32_t x, uint32_t y)
{
    uint64_t x2 = (uint64_t)x * x;
    uint64_t y2 = (uint64_t)y * y;
    uint64_t carry = ((x2 & y2) | ((x2 | y2) & ~(x2 + y2))) >> 63;

    return carry ^ 1;
}

/* Hits of both samples of each pair [j0, j0 + MCPI_BATCH). */
static uint64_t batch_hits(uint32_t k0, uint32_t k1, uint64_t j0)
{
    uint32_t c0[MCPI_BATCH];
    uint32_t c1[MCPI_BATCH];
    uint32_t c2[MCPI_BATCH];
    uint32_t c3[MCPI_BATCH];
    uint64_t hits = 0;
    size_t m;
    int r;

    for (m = 0; m < MCPI_BATCH; m++) {
        c0[m] = (uint32_t)(j0 + m);
        c1[m] = (uint32_t)((j0 + m) >> 32);
        c2[m] = 0;
        c3[m] = 0;
    }
    for (r = 0; r < PHILOX_ROUNDS; r++) {
        for (m = 0; m < MCPI_BATCH; m++)
            philox_round(&c0[m], &c1[m], &c2[m], &c3[m], k0, k1);
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    for (m = 0; m < MCPI_BATCH; m++)
        hits += is_hit(c0[m], c1[m]) + is_hit(c2[m], c3[m]);
    return hits;
}

uint64_t hetero__mcpi_hits(uint64_t seed, uint64_t samples, uint64_t begin,
                           uint64_t end)
{
    uint32_t key[2] = { (uint32_t)seed, (uint32_t)(seed >> 32) };
    uint64_t full = samples / 2; /* pairs whose two samples both count */
    uint64_t hits = 0;
    uint64_t j = begin;

    for (; j + MCPI_BATCH <= end && j + MCPI_BATCH <= full; j += MCPI_BATCH)
        hits += batch_hits(key[0], key[1], j);
    for (; j < end; j++) {
        uint32_t ctr[4] = { (uint32_t)j, (uint32_t)(j >> 32), 0, 0 };
        uint32_t r[4];

        hetero__philox4x32_10(ctr, key, r);
        hits += is_hit(r[0], r[1]);
        if (2 * j + 1 < samples)
            hits += is_hit(r[2], r[3]);
    }
    return hits;
}

/* The reference: every pair in order on one thread. */
static int mcpi_serial(const struct hetero_exec *ex, const void *args)
{
    const struct hetero_mcpi_args *ma = args;
    uint64_t hits;

    (void)ex;
    hits = hetero__mcpi_hits(ma->seed, ma->samples, 0,
                             hetero__mcpi_npairs(ma->samples));
    hetero__mcpi_store(ma, hits);
    return 0;
}

static const struct hetero_variant mcpi_variants[] = {
    { .backend = HETERO_BACKEND_SERIAL, .run = mcpi_serial },
    { .backend = HETERO_BACKEND_POOL, .run = hetero__mcpi_pool },
#if HETERO_WITH_OPENCL
    { .backend = HETERO_BACKEND_OPENCL, .run = hetero__mcpi_cl,
      .prepare = hetero__mcpi_cl_prepare, .release = hetero__mcpi_cl_release,
      .cl_program = "mcpi" },
#endif /* HETERO_WITH_OPENCL */
};

const struct hetero_kernel hetero__kernel_mcpi = {
    .name = "mcpi",
    .summary = "Monte Carlo pi from Philox4x32-10 samples, bitwise "
               "identical for any thread count.",
    .default_shape = "-",
    .shape_help = "(no inputs: use --param samples=N --param seed=S)",
    .version = 1,
    .inputs = NULL,
    .n_inputs = 0,
    .outputs = mcpi_outputs,
    .n_outputs = HETERO_ARRAY_SIZE(mcpi_outputs),
    .params = mcpi_params,
    .n_params = HETERO_ARRAY_SIZE(mcpi_params),
    .args_size = sizeof(struct hetero_mcpi_args),
    .unpack = mcpi_unpack,
    .input_specs = mcpi_input_specs,
    .work = mcpi_work,
    .variants = mcpi_variants,
    .n_variants = HETERO_ARRAY_SIZE(mcpi_variants),
    .identical_results = true,
};

int hetero_mcpi(hetero_context *ctx, uint64_t samples, uint64_t seed,
                uint64_t *hits, double *pi)
{
    char samples_txt[24];
    char seed_txt[24];
    struct hetero_param params[2] = {
        { "samples", samples_txt },
        { "seed", seed_txt },
    };
    int64_t hits_out = 0;
    double pi_out = 0.0;
    struct hetero_array outs[2] = {
        { .dtype = HETERO_I64, .ndim = 0, .data = &hits_out },
        { .dtype = HETERO_F64, .ndim = 0, .data = &pi_out },
    };
    struct hetero_call call = { .outputs = outs, .n_outputs = 2,
                                .params = params, .n_params = 2 };
    int ret;

    if (!ctx || samples == 0 || samples > HETERO_MCPI_MAX_SAMPLES)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "mcpi: NULL context, or samples %" PRIu64
                            " not in [1, 2^63-1]",
                            samples);
    snprintf(samples_txt, sizeof(samples_txt), "%" PRIu64, samples);
    snprintf(seed_txt, sizeof(seed_txt), "%" PRIu64, seed);
    ret = hetero_run(ctx, &hetero__kernel_mcpi, &call, 0);
    if (ret)
        return ret;
    if (hits)
        *hits = (uint64_t)hits_out;
    if (pi)
        *pi = pi_out;
    return 0;
}
