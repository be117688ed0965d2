/*
 * sum.c - sum descriptor, the block partial sums every variant shares, the
 * serial reference and the typed entry points.
 *
 * DESIGN: the result is defined by a fixed decomposition (sum.h): blocks of
 * HETERO_SUM_BLOCK elements, HETERO_SUM_LANES TwoSum lanes per block, then
 * lanes and blocks combined in index order. The serial reference walks the
 * blocks in order and folds each partial in as soon as it is made; the pool
 * variant computes the partials in any order into an array and folds them
 * in the same order afterwards, so both give the same bits.
 *
 * The lanes are held in GCC/Clang vector types of four doubles: GCC does
 * not vectorise a loop over plain arrays of double lanes (8 GB/s per core
 * here, against 16 GB/s with the vector type on baseline x86-64, where the
 * seven additions per element saturate the two FP add ports). The vector
 * type maps to SSE2, AVX or AVX-512 as the target allows; each vector
 * operation is the same IEEE operation on every lane, so the bits do not
 * depend on the vector width. A vector type can only be named through a
 * typedef.
 */
#include <math.h>
#include <string.h>

#include <hetero/hetero.h>

#include "kernel_api.h"
#include "sum/sum.h"
#include "sum/sum_impl.h"

typedef double sum_v4d __attribute__((vector_size(4 * sizeof(double))));
typedef float sum_v4f __attribute__((vector_size(4 * sizeof(float))));

/* Vectors of lanes in a block. */
#define SUM_NVEC (HETERO_SUM_LANES / 4)

static const struct hetero_arg_desc sum_inputs[] = {
    { "x", "the elements to add, f32 or f64, any shape" },
};

static const struct hetero_arg_desc sum_outputs[] = {
    { "sum", "the sum of all elements, a 0-d f64 array" },
};

/* An array's shape pointer for ndim 0 (never read). */
static const size_t sum_scalar_shape[1];

static int sum_unpack(hetero_context *ctx, const struct hetero_call *call,
                      void *args, struct hetero_array *out_specs)
{
    struct hetero_sum_args *sa = args;
    const struct hetero_array *x = &call->inputs[0];
    size_t n;
    int ret;

    ret = hetero__check_input(ctx, "sum", call, 0, HETERO_DT_REAL, 0,
                              HETERO_MAX_NDIM);
    if (ret)
        return ret;
    hetero__spec(&out_specs[0], HETERO_F64, 0, sum_scalar_shape);
    ret = hetero__check_outputs(ctx, "sum", call, out_specs, 1);
    if (ret)
        return ret;
    if (hetero_array_numel(x, &n))
        return HETERO_EINVAL; /* checked above */
    if (sa) {
        sa->dtype = x->dtype;
        sa->n = n;
        sa->x = x->data;
        sa->out = call->n_outputs ? call->outputs[0].data : NULL;
    }
    return 0;
}

static int sum_input_specs(hetero_context *ctx, int ndim, const size_t *shape,
                           enum hetero_dtype dtype,
                           struct hetero_array *specs)
{
    if (dtype != HETERO_F32 && dtype != HETERO_F64)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "sum: dtype must be f32 or f64");
    hetero__spec(&specs[0], dtype, ndim, shape);
    return 0;
}

static void sum_work(const void *args, struct hetero_work *w)
{
    const struct hetero_sum_args *sa = args;
    double es = sa->dtype == HETERO_F32 ? 4.0 : 8.0;

    w->flops = 7.0 * (double)sa->n; /* one TwoSum and one add */
    w->bytes = es * (double)sa->n;
    w->items = (double)sa->n;
}

/* Adds v to (s, c) with Knuth's TwoSum, on four lanes at once. */
static inline void two_sum_v4(sum_v4d *s, sum_v4d *c, const sum_v4d *v)
{
    sum_v4d t = *s + *v;
    sum_v4d z = t - *s;

    *c += (*s - (t - z)) + (*v - z);
    *s = t;
}

/* The same on one lane. */
static inline void two_sum(double *s, double *c, double v)
{
    double t = *s + v;
    double z = t - *s;

    *c += (*s - (t - z)) + (v - z);
    *s = t;
}

/* Lane sums of len doubles: element k goes to lane k % HETERO_SUM_LANES. */
static void lanes_f64(const double *restrict x, size_t len, double *s,
                      double *c)
{
    sum_v4d vs[SUM_NVEC] = { 0 };
    sum_v4d vc[SUM_NVEC] = { 0 };
    size_t i;
    size_t j;

    for (i = 0; i + HETERO_SUM_LANES <= len; i += HETERO_SUM_LANES) {
        for (j = 0; j < SUM_NVEC; j++) {
            sum_v4d v;

            memcpy(&v, x + i + 4 * j, sizeof(v));
            two_sum_v4(&vs[j], &vc[j], &v);
        }
    }
    memcpy(s, vs, sizeof(vs));
    memcpy(c, vc, sizeof(vc));
    for (; i < len; i++)
        two_sum(&s[i % HETERO_SUM_LANES], &c[i % HETERO_SUM_LANES], x[i]);
}

/* As lanes_f64() for floats, each converted exactly to double first. */
static void lanes_f32(const float *restrict x, size_t len, double *s,
                      double *c)
{
    sum_v4d vs[SUM_NVEC] = { 0 };
    sum_v4d vc[SUM_NVEC] = { 0 };
    size_t i;
    size_t j;

    for (i = 0; i + HETERO_SUM_LANES <= len; i += HETERO_SUM_LANES) {
        for (j = 0; j < SUM_NVEC; j++) {
            sum_v4f f;
            sum_v4d v;

            memcpy(&f, x + i + 4 * j, sizeof(f));
            v = __builtin_convertvector(f, sum_v4d);
            two_sum_v4(&vs[j], &vc[j], &v);
        }
    }
    memcpy(s, vs, sizeof(vs));
    memcpy(c, vc, sizeof(vc));
    for (; i < len; i++)
        two_sum(&s[i % HETERO_SUM_LANES], &c[i % HETERO_SUM_LANES],
                (double)x[i]);
}

void hetero__sum_combine(struct hetero__sum_partial *acc,
                         const struct hetero__sum_partial *p)
{
    double t = acc->s + p->s;
    double z = t - acc->s;
    double e = (acc->s - (t - z)) + (p->s - z);

    acc->c += e + p->c;
    acc->s = t;
}

double hetero__sum_finish(const struct hetero__sum_partial *acc)
{
    /* A non-finite plain sum (Inf, NaN, overflow) has NaN errors. */
    return isfinite(acc->s) ? acc->s + acc->c : acc->s;
}

void hetero__sum_block(const struct hetero_sum_args *sa, size_t b,
                       struct hetero__sum_partial *out)
{
    size_t begin = b * HETERO_SUM_BLOCK;
    size_t len = sa->n - begin;
    double s[HETERO_SUM_LANES];
    double c[HETERO_SUM_LANES];
    size_t l;

    if (len > HETERO_SUM_BLOCK)
        len = HETERO_SUM_BLOCK;
    if (sa->dtype == HETERO_F64)
        lanes_f64((const double *)sa->x + begin, len, s, c);
    else
        lanes_f32((const float *)sa->x + begin, len, s, c);
    out->s = s[0];
    out->c = c[0];
    for (l = 1; l < HETERO_SUM_LANES; l++) {
        struct hetero__sum_partial p = { .s = s[l], .c = c[l] };

        hetero__sum_combine(out, &p);
    }
}

/* The reference: the blocks in order, each folded in as it is made. */
static int sum_serial(const struct hetero_exec *ex, const void *args)
{
    const struct hetero_sum_args *sa = args;
    size_t nb = hetero__sum_nblocks(sa->n);
    struct hetero__sum_partial acc;
    size_t b;

    (void)ex;
    hetero__sum_block(sa, 0, &acc);
    for (b = 1; b < nb; b++) {
        struct hetero__sum_partial p;

        hetero__sum_block(sa, b, &p);
        hetero__sum_combine(&acc, &p);
    }
    *sa->out = hetero__sum_finish(&acc);
    return 0;
}

static const struct hetero_variant sum_variants[] = {
    { .backend = HETERO_BACKEND_SERIAL, .run = sum_serial },
    { .backend = HETERO_BACKEND_POOL, .run = hetero__sum_pool },
#if HETERO_WITH_OPENCL
    { .backend = HETERO_BACKEND_OPENCL, .run = hetero__sum_cl,
      .supports = hetero__sum_cl_supports, .prepare = hetero__sum_cl_prepare,
      .release = hetero__sum_cl_release, .cl_program = "sum" },
#endif /* HETERO_WITH_OPENCL */
};

const struct hetero_kernel hetero__kernel_sum = {
    .name = "sum",
    .summary = "Sum of all elements, accumulated in double (compensated), "
               "bitwise identical for any thread count.",
    .default_shape = "100000000",
    .shape_help = "N or any shape",
    .version = 1,
    .inputs = sum_inputs,
    .n_inputs = HETERO_ARRAY_SIZE(sum_inputs),
    .outputs = sum_outputs,
    .n_outputs = HETERO_ARRAY_SIZE(sum_outputs),
    .args_size = sizeof(struct hetero_sum_args),
    .unpack = sum_unpack,
    .input_specs = sum_input_specs,
    .work = sum_work,
    .variants = sum_variants,
    .n_variants = HETERO_ARRAY_SIZE(sum_variants),
    .identical_results = true,
};

static int sum_typed(hetero_context *ctx, enum hetero_dtype dtype,
                     const void *x, size_t n, double *out)
{
    struct hetero_array arrays[2] = { { 0 } };
    struct hetero_call call = { 0 };
    double result = 0.0;
    int ret;

    if (!ctx || !x || !out || n == 0)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "sum: NULL context, x or out, or n == 0");
    arrays[0] = (struct hetero_array){ .dtype = dtype, .ndim = 1,
                                       .shape = { n }, .data = (void *)x };
    arrays[1] = (struct hetero_array){ .dtype = HETERO_F64, .ndim = 0,
                                       .data = &result };
    call.inputs = arrays;
    call.n_inputs = 1;
    call.outputs = &arrays[1];
    call.n_outputs = 1;
    ret = hetero_run(ctx, &hetero__kernel_sum, &call, 0);
    if (ret == 0)
        *out = result;
    return ret;
}

int hetero_sum(hetero_context *ctx, const double *x, size_t n, double *out)
{
    return sum_typed(ctx, HETERO_F64, x, n, out);
}

int hetero_sum_f32(hetero_context *ctx, const float *x, size_t n,
                   double *out)
{
    return sum_typed(ctx, HETERO_F32, x, n, out);
}
