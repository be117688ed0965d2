/*
 * rbf.c - rbf descriptor, the per-block row code shared by the variants,
 * the serial reference and the typed entry points.
 *
 * DESIGN: D is symmetric, so only j >= i is computed and each value is
 * written twice. The points are first transposed into a double scratch
 * t[k][j] (f32 points widened), so that for a fixed row i the squared
 * distances to all j >= i are sums over k of (t[k][j] - v_i[k])^2: loops
 * over contiguous j that the compiler vectorises, with the difference taken
 * directly (accurate for close points). The squared distances of one row go
 * to a per-worker scratch row (in cache), then through sqrt and f into the
 * output row. Rows come in blocks of HETERO_RBF_BLOCK: once a block's rows
 * are written, its columns below the diagonal are filled from them, each
 * destination row receiving one contiguous run of BLOCK values, so the
 * mirror is cache-friendly and blocks write disjoint elements. The serial
 * variant runs all blocks in order on one thread; the pool claims blocks.
 */
#include <math.h>
#include <string.h>

#include <hetero/hetero.h>

#include "kernel_api.h"
#include "rbf/rbf.h"
#include "rbf/rbf_impl.h"

/* Squared distances are accumulated over k in tiles of this many j, so the
 * tile of acc stays in L1 while the coordinates stream through. */
#define RBF_TILE 512

static const struct hetero_arg_desc rbf_inputs[] = {
    { "points", "N points of dimension d, [N, d], f64 or f32" },
};

static const struct hetero_arg_desc rbf_outputs[] = {
    { "D", "D[i][j] = f(|v_i - v_j|), f(r) = r^3/12 + r^2/6, [N, N]" },
};

int hetero__rbf_job_init(hetero_context *ctx,
                         const struct hetero_rbf_args *ra, size_t n_workers,
                         struct hetero__rbf_job *job)
{
    size_t n = ra->n;
    size_t d = ra->d;
    size_t stride = (n + 7) / 8 * 8;
    size_t t_len;
    size_t acc_len;
    size_t total;
    size_t i;
    size_t k;

    if (hetero__mul_overflow(stride, d, &t_len) ||
        hetero__mul_overflow(stride, n_workers, &acc_len) ||
        hetero__add_overflow(t_len, acc_len, &total) ||
        hetero__mul_overflow(total, sizeof(double), &total))
        return hetero__errf(ctx, HETERO_EINVAL,
                            "rbf: scratch for %zu points of dimension %zu "
                            "overflows",
                            n, d);
    job->ra = ra;
    job->stride = stride;
    job->n_workers = n_workers;
    job->t = hetero__aligned_alloc(64, total);
    if (!job->t)
        return hetero__errf(ctx, HETERO_ENOMEM,
                            "rbf: cannot allocate %zu bytes of scratch",
                            total);
    job->acc = job->t + t_len;
    if (ra->dtype == HETERO_F64) {
        const double *p = ra->points;

        for (i = 0; i < n; i++) {
            for (k = 0; k < d; k++)
                job->t[k * stride + i] = p[i * d + k];
        }
    } else {
        const float *p = ra->points;

        for (i = 0; i < n; i++) {
            for (k = 0; k < d; k++)
                job->t[k * stride + i] = p[i * d + k];
        }
    }
    return 0;
}

void hetero__rbf_job_free(struct hetero__rbf_job *job)
{
    hetero__aligned_free(job->t);
    job->t = NULL;
    job->acc = NULL;
}

size_t hetero__rbf_n_blocks(size_t n)
{
    return (n + HETERO_RBF_BLOCK - 1) / HETERO_RBF_BLOCK;
}

/* acc[j] = ||v_i - v_j||^2 for j in [i, n), d = 2 and d = 3 unrolled (the
 * common plane and space cases); the sums are formed in the same order as
 * in the general loop, so every d gives the same bits either way. */
static void sq_dist_d2(const double *t, size_t stride, size_t n, size_t i,
                       double *restrict acc)
{
    const double *restrict t0 = t;
    const double *restrict t1 = t + stride;
    double x0 = t0[i];
    double x1 = t1[i];
    size_t j;

    for (j = i; j < n; j++) {
        double a0 = t0[j] - x0;
        double a1 = t1[j] - x1;

        acc[j] = a0 * a0 + a1 * a1;
    }
}

static void sq_dist_d3(const double *t, size_t stride, size_t n, size_t i,
                       double *restrict acc)
{
    const double *restrict t0 = t;
    const double *restrict t1 = t + stride;
    const double *restrict t2 = t + 2 * stride;
    double x0 = t0[i];
    double x1 = t1[i];
    double x2 = t2[i];
    size_t j;

    for (j = i; j < n; j++) {
        double a0 = t0[j] - x0;
        double a1 = t1[j] - x1;
        double a2 = t2[j] - x2;

        acc[j] = a0 * a0 + a1 * a1 + a2 * a2;
    }
}

static void sq_dist_any(const double *t, size_t stride, size_t n, size_t d,
                        size_t i, double *restrict acc)
{
    size_t j0;

    for (j0 = i; j0 < n; j0 += RBF_TILE) {
        size_t j1 = n - j0 > RBF_TILE ? j0 + RBF_TILE : n;
        const double *restrict t0 = t;
        double x0 = t0[i];
        size_t j;
        size_t k;

        for (j = j0; j < j1; j++) {
            double a = t0[j] - x0;

            acc[j] = a * a;
        }
        for (k = 1; k < d; k++) {
            const double *restrict tk = t + k * stride;
            double xk = tk[i];

            for (j = j0; j < j1; j++) {
                double a = tk[j] - xk;

                acc[j] += a * a;
            }
        }
    }
}

static void sq_dist_row(const struct hetero__rbf_job *job, size_t i,
                        double *acc)
{
    size_t n = job->ra->n;

    switch (job->ra->d) {
    case 2:
        sq_dist_d2(job->t, job->stride, n, i, acc);
        break;
    case 3:
        sq_dist_d3(job->t, job->stride, n, i, acc);
        break;
    default:
        sq_dist_any(job->t, job->stride, n, job->ra->d, i, acc);
        break;
    }
}

/* f(r) = r^3/12 + r^2/6 from s = r^2, as s * (r/12 + 1/6). */
static inline double rbf_f(double s)
{
    double r = sqrt(s);

    return s * (r * (1.0 / 12.0) + 1.0 / 6.0);
}

static void block_f64(const struct hetero__rbf_job *job, size_t i0,
                      size_t i1, double *acc)
{
    size_t n = job->ra->n;
    double *o = job->ra->out;
    size_t i;
    size_t j;

    for (i = i0; i < i1; i++) {
        double *restrict oi = o + i * n;

        sq_dist_row(job, i, acc);
        for (j = i; j < n; j++)
            oi[j] = rbf_f(acc[j]);
    }
    for (j = i0 + 1; j < n; j++) {
        size_t ie = j < i1 ? j : i1;
        double *oj = o + j * n;

        for (i = i0; i < ie; i++)
            oj[i] = o[i * n + j];
    }
}

static void block_f32(const struct hetero__rbf_job *job, size_t i0,
                      size_t i1, double *acc)
{
    size_t n = job->ra->n;
    float *o = job->ra->out;
    size_t i;
    size_t j;

    for (i = i0; i < i1; i++) {
        float *restrict oi = o + i * n;

        sq_dist_row(job, i, acc);
        for (j = i; j < n; j++)
            oi[j] = (float)rbf_f(acc[j]);
    }
    for (j = i0 + 1; j < n; j++) {
        size_t ie = j < i1 ? j : i1;
        float *oj = o + j * n;

        for (i = i0; i < ie; i++)
            oj[i] = o[i * n + j];
    }
}

void hetero__rbf_block(const struct hetero__rbf_job *job, size_t b,
                       size_t worker)
{
    size_t n = job->ra->n;
    size_t i0 = b * HETERO_RBF_BLOCK;
    size_t i1 = n - i0 > HETERO_RBF_BLOCK ? i0 + HETERO_RBF_BLOCK : n;
    double *acc = job->acc + worker * job->stride;

    if (job->ra->dtype == HETERO_F64)
        block_f64(job, i0, i1, acc);
    else
        block_f32(job, i0, i1, acc);
}

static int rbf_unpack(hetero_context *ctx, const struct hetero_call *call,
                      void *args, struct hetero_array *out_specs)
{
    struct hetero_rbf_args *ra = args;
    const struct hetero_array *p = &call->inputs[0];
    size_t shape[2];
    size_t bytes;
    int ret;

    ret = hetero__check_input(ctx, "rbf", call, 0, HETERO_DT_REAL, 0,
                              HETERO_MAX_NDIM);
    if (ret)
        return ret;
    if (p->ndim != 2)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "rbf: points must be [N, d] (N points of "
                            "dimension d), has %d dimension(s)",
                            p->ndim);
    shape[0] = p->shape[0];
    shape[1] = p->shape[0];
    if (hetero__mul_overflow(shape[0], shape[1], &bytes) ||
        hetero__mul_overflow(bytes, hetero_dtype_size(p->dtype), &bytes))
        return hetero__errf(ctx, HETERO_EINVAL,
                            "rbf: the %zu x %zu output overflows", shape[0],
                            shape[1]);
    hetero__spec(&out_specs[0], p->dtype, 2, shape);
    ret = hetero__check_outputs(ctx, "rbf", call, out_specs, 1);
    if (ret)
        return hetero__errf(ctx, ret,
                            "rbf: output must be %s of shape [%zu, %zu]",
                            hetero_dtype_name(p->dtype), shape[0], shape[1]);
    if (ra) {
        ra->dtype = p->dtype;
        ra->n = p->shape[0];
        ra->d = p->shape[1];
        ra->points = p->data;
        ra->out = call->n_outputs ? call->outputs[0].data : NULL;
    }
    return 0;
}

static int rbf_input_specs(hetero_context *ctx, int ndim, const size_t *shape,
                           enum hetero_dtype dtype,
                           struct hetero_array *specs)
{
    if (dtype != HETERO_F32 && dtype != HETERO_F64)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "rbf: dtype must be f32 or f64");
    if (ndim != 2)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "rbf: shape must be NxD (N points of dimension "
                            "D)");
    hetero__spec(&specs[0], dtype, ndim, shape);
    return 0;
}

static void rbf_work(const void *args, struct hetero_work *w)
{
    const struct hetero_rbf_args *ra = args;
    double es = ra->dtype == HETERO_F32 ? 4.0 : 8.0;
    double n = (double)ra->n;
    double d = (double)ra->d;
    double pairs = 0.5 * n * (n + 1.0);

    w->flops = pairs * (3.0 * d + 6.0);
    w->bytes = es * (n * d + n * n);
    w->items = pairs;
}

/* The reference: every block in order on the calling thread. */
static int rbf_serial(const struct hetero_exec *ex, const void *args)
{
    const struct hetero_rbf_args *ra = args;
    struct hetero__rbf_job job;
    size_t nb = hetero__rbf_n_blocks(ra->n);
    size_t b;
    int ret;

    ret = hetero__rbf_job_init(ex->ctx, ra, 1, &job);
    if (ret)
        return ret;
    for (b = 0; b < nb; b++)
        hetero__rbf_block(&job, b, 0);
    hetero__rbf_job_free(&job);
    return 0;
}

static const struct hetero_variant rbf_variants[] = {
    { .backend = HETERO_BACKEND_SERIAL, .run = rbf_serial },
    { .backend = HETERO_BACKEND_POOL, .run = hetero__rbf_pool },
#if HETERO_WITH_OPENCL
    { .backend = HETERO_BACKEND_OPENCL, .run = hetero__rbf_cl,
      .supports = hetero__rbf_cl_supports,
      .prepare = hetero__rbf_cl_prepare,
      .release = hetero__rbf_cl_release, .cl_program = "rbf" },
#endif /* HETERO_WITH_OPENCL */
};

const struct hetero_kernel hetero__kernel_rbf = {
    .name = "rbf",
    .summary = "RBF distance-function matrix D[i][j] = f(|v_i - v_j|), "
               "f(r) = r^3/12 + r^2/6.",
    .default_shape = "3000x3",
    .shape_help = "NxD (N points of dimension D)",
    .version = 1,
    .inputs = rbf_inputs,
    .n_inputs = HETERO_ARRAY_SIZE(rbf_inputs),
    .outputs = rbf_outputs,
    .n_outputs = HETERO_ARRAY_SIZE(rbf_outputs),
    .args_size = sizeof(struct hetero_rbf_args),
    .unpack = rbf_unpack,
    .input_specs = rbf_input_specs,
    .work = rbf_work,
    .variants = rbf_variants,
    .n_variants = HETERO_ARRAY_SIZE(rbf_variants),
};

static int rbf_typed(hetero_context *ctx, enum hetero_dtype dtype,
                     const void *points, size_t n, size_t d, void *out)
{
    struct hetero_array arrays[2] = { { 0 } };
    struct hetero_call call = { 0 };

    if (!ctx || !points || !out || n == 0 || d == 0)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "rbf: NULL pointer, n == 0 or d == 0");
    arrays[0] = (struct hetero_array){ .dtype = dtype, .ndim = 2,
                                       .shape = { n, d },
                                       .data = (void *)points };
    arrays[1] = (struct hetero_array){ .dtype = dtype, .ndim = 2,
                                       .shape = { n, n }, .data = out };
    call.inputs = arrays;
    call.n_inputs = 1;
    call.outputs = &arrays[1];
    call.n_outputs = 1;
    return hetero_run(ctx, &hetero__kernel_rbf, &call, 0);
}

int hetero_rbf(hetero_context *ctx, const double *points, size_t n, size_t d,
               double *out)
{
    return rbf_typed(ctx, HETERO_F64, points, n, d, out);
}

int hetero_rbf_f32(hetero_context *ctx, const float *points, size_t n,
                   size_t d, float *out)
{
    return rbf_typed(ctx, HETERO_F32, points, n, d, out);
}
