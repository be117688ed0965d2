/*
 * autocorr_fft.c - the FFT algorithm: |FFT|^2 of the zero-padded matrix.
 *
 * DESIGN: with a zero-padded to P x Q, P >= 2n-1 and Q >= 2m-1, the cyclic
 * autocorrelation c = IFFT(|FFT(a)|^2) has no wrap-around, and
 *     out[i][j] = c[(i - (n-1)) mod P][(j - (m-1)) mod Q] / (P Q)
 * (FFTW's transforms are unnormalised). P and Q are the smallest
 * 2^a 3^b 5^c 7^d above the bounds, sizes FFTW handles fast. Per matrix:
 * copy a into the top-left corner of `rin` (whose padding stays zero: r2c
 * does not write its input), r2c into `cpx`, square the magnitudes, c2r
 * into `rout` (destroying `cpx`), then crop and scale into out.
 *
 * The two plans (one r2c, one c2r per (P, Q) and precision) come from the
 * context's FFTW cache; they are one-thread plans run with the new-array
 * execute, so each pool thread transforms whole matrices with its own
 * scratch, selected by the worker index of the parallel-for. prepare()
 * allocates one scratch set per thread; a run that finds the set taken (the
 * same plan executed by two threads at once) allocates its own.
 */
#include <math.h>
#include <string.h>

#include "autocorr/autocorr_impl.h"

struct fft_job {
    hetero_context *ctx;
    const struct hetero_autocorr_args *aa;
    const struct hetero__autocorr_fft *st;
    struct hetero__autocorr_scratch *scratch; /* one per worker */
    size_t nscratch;
};

/* Padded sizes for these args into *p, *q; false if they do not fit. */
static bool padded_size(const struct hetero_autocorr_args *aa, size_t *p,
                        size_t *q, size_t *bytes)
{
    size_t es = hetero_dtype_size(aa->dtype);
    size_t pq;

    *p = hetero__fft_good_size(2 * aa->n - 1);
    *q = hetero__fft_good_size(2 * aa->m - 1);
    /* Three buffers of P x Q reals at most (the complex one is smaller). */
    return *p && *q && !hetero__mul_overflow(*p, *q + 2, &pq) &&
           !hetero__mul_overflow(pq, es, bytes) && *bytes < SIZE_MAX / 4;
}

bool hetero__autocorr_fft_supports(const struct hetero_exec *ex,
                                   const void *args, const char **why)
{
    size_t p;
    size_t q;
    size_t bytes;

    (void)ex;
    if (!padded_size(args, &p, &q, &bytes)) {
        *why = "matrices too large for the FFT algorithm";
        return false;
    }
    return true;
}

static void scratch_free(struct hetero__autocorr_scratch *s, size_t count)
{
    size_t i;

    if (!s)
        return;
    for (i = 0; i < count; i++) {
        hetero__aligned_free(s[i].rin);
        hetero__aligned_free(s[i].cpx);
        hetero__aligned_free(s[i].rout);
    }
    hetero__free(s);
}

static int scratch_alloc(hetero_context *ctx,
                         const struct hetero_autocorr_args *aa,
                         const struct hetero__autocorr_fft *st, size_t count,
                         struct hetero__autocorr_scratch **out)
{
    struct hetero__autocorr_scratch *s;
    size_t es = hetero_dtype_size(aa->dtype);
    size_t real_bytes = st->p * st->q * es;
    size_t cpx_bytes = st->p * (st->q / 2 + 1) * 2 * es;
    size_t i;

    s = hetero__calloc(count, sizeof(*s));
    if (!s)
        goto out_nomem;
    for (i = 0; i < count; i++) {
        s[i].rin = hetero__aligned_alloc(64, real_bytes);
        s[i].cpx = hetero__aligned_alloc(64, cpx_bytes);
        s[i].rout = hetero__aligned_alloc(64, real_bytes);
        if (!s[i].rin || !s[i].cpx || !s[i].rout)
            goto out_free;
        memset(s[i].rin, 0, real_bytes);
    }
    *out = s;
    return 0;

out_free:
    scratch_free(s, count);
out_nomem:
    return hetero__errf(ctx, HETERO_ENOMEM,
                        "autocorr: no memory for FFT scratch (%zu x %zu, %zu "
                        "threads)",
                        st->p, st->q, count);
}

int hetero__autocorr_fft_prepare(const struct hetero_exec *ex, const void *args,
                                 void **state)
{
    const struct hetero_autocorr_args *aa = args;
    struct hetero__fft_key key = { 0 };
    struct hetero__autocorr_fft *st;
    size_t bytes;
    int ret;

    st = hetero__calloc(1, sizeof(*st));
    if (!st)
        return hetero__errf(ex->ctx, HETERO_ENOMEM, "autocorr: out of memory");
    if (!padded_size(aa, &st->p, &st->q, &bytes)) {
        ret = hetero__errf(ex->ctx, HETERO_EINVAL,
                           "autocorr: %zu x %zu is too large for the FFT "
                           "algorithm",
                           aa->n, aa->m);
        goto out_free;
    }
    key.prec = aa->dtype == HETERO_F64 ? HETERO__FFT_F64 : HETERO__FFT_F32;
    key.n = st->p;
    key.m = st->q;
    key.howmany = 1;
    key.aligned = true; /* only our own 64-byte-aligned scratch */
    key.kind = HETERO__FFT_R2C;
    ret = hetero__fft_plan_get(ex->ctx, &key, &st->r2c);
    if (ret)
        goto out_free;
    key.kind = HETERO__FFT_C2R;
    ret = hetero__fft_plan_get(ex->ctx, &key, &st->c2r);
    if (ret)
        goto out_free;
    st->nscratch = ex->num_threads ? ex->num_threads : 1;
    ret = scratch_alloc(ex->ctx, aa, st, st->nscratch, &st->scratch);
    if (ret)
        goto out_free;
    atomic_init(&st->busy, false);
    *state = st;
    return 0;

out_free:
    hetero__free(st);
    return ret;
}

void hetero__autocorr_fft_release(void *state)
{
    struct hetero__autocorr_fft *st = state;

    if (!st)
        return;
    scratch_free(st->scratch, st->nscratch);
    hetero__free(st);
}

void hetero__autocorr_fft_work(const void *args, struct hetero_work *w)
{
    const struct hetero_autocorr_args *aa = args;
    double es = (double)hetero_dtype_size(aa->dtype);
    double b = (double)aa->batch;
    double n = (double)aa->n;
    double m = (double)aa->m;
    double p = (double)hetero__fft_good_size(2 * aa->n - 1);
    double q = (double)hetero__fft_good_size(2 * aa->m - 1);
    double pq = p * q;
    double outs = (2.0 * n - 1.0) * (2.0 * m - 1.0);

    /* A real FFT costs about 2.5 PQ log2(PQ) flops; two per matrix. */
    w->flops = b * 5.0 * pq * (pq > 1.0 ? log2(pq) : 1.0);
    /* a and out, plus the passes over the padded buffers. */
    w->bytes = b * es * (n * m + outs + 4.0 * pq);
    w->items = b * outs;
}

/* ---- one matrix ---- */

static void matrix_f64(const struct hetero__autocorr_fft *st, size_t n,
                       size_t m, const double *a, double *out,
                       const struct hetero__autocorr_scratch *s)
{
    size_t p = st->p;
    size_t q = st->q;
    size_t ow = 2 * m - 1;
    size_t ncpx = 2 * p * (q / 2 + 1);
    double scale = 1.0 / ((double)p * (double)q);
    double *restrict rin = s->rin;
    double *restrict cpx = s->cpx;
    const double *rout = s->rout;
    size_t i;
    size_t j;

    for (i = 0; i < n; i++)
        memcpy(rin + i * q, a + i * m, m * sizeof(*a));
    hetero__fft_execute(st->r2c, rin, cpx);
    for (i = 0; i < ncpx; i += 2) {
        cpx[i] = cpx[i] * cpx[i] + cpx[i + 1] * cpx[i + 1];
        cpx[i + 1] = 0.0;
    }
    hetero__fft_execute(st->c2r, cpx, s->rout);
    for (i = 0; i < 2 * n - 1; i++) {
        const double *src = rout + ((i + p - (n - 1)) % p) * q;
        double *restrict dst = out + i * ow;

        /* Lags -(m-1)..-1 sit at the end of the cyclic row, 0..m-1 at
         * its start. */
        for (j = 0; j < m - 1; j++)
            dst[j] = src[q - (m - 1) + j] * scale;
        for (j = 0; j < m; j++)
            dst[m - 1 + j] = src[j] * scale;
    }
}

static void matrix_f32(const struct hetero__autocorr_fft *st, size_t n,
                       size_t m, const float *a, float *out,
                       const struct hetero__autocorr_scratch *s)
{
    size_t p = st->p;
    size_t q = st->q;
    size_t ow = 2 * m - 1;
    size_t ncpx = 2 * p * (q / 2 + 1);
    float scale = (float)(1.0 / ((double)p * (double)q));
    float *restrict rin = s->rin;
    float *restrict cpx = s->cpx;
    const float *rout = s->rout;
    size_t i;
    size_t j;

    for (i = 0; i < n; i++)
        memcpy(rin + i * q, a + i * m, m * sizeof(*a));
    hetero__fft_execute(st->r2c, rin, cpx);
    for (i = 0; i < ncpx; i += 2) {
        cpx[i] = cpx[i] * cpx[i] + cpx[i + 1] * cpx[i + 1];
        cpx[i + 1] = 0.0f;
    }
    hetero__fft_execute(st->c2r, cpx, s->rout);
    for (i = 0; i < 2 * n - 1; i++) {
        const float *src = rout + ((i + p - (n - 1)) % p) * q;
        float *restrict dst = out + i * ow;

        for (j = 0; j < m - 1; j++)
            dst[j] = src[q - (m - 1) + j] * scale;
        for (j = 0; j < m; j++)
            dst[m - 1 + j] = src[j] * scale;
    }
}

static int fft_matrices(void *arg, size_t begin, size_t end, size_t worker)
{
    const struct fft_job *job = arg;
    const struct hetero_autocorr_args *aa = job->aa;
    size_t n = aa->n;
    size_t m = aa->m;
    size_t in_elems = n * m;
    size_t out_elems = (2 * n - 1) * (2 * m - 1);
    size_t b;

    if (worker >= job->nscratch)
        return hetero__errf(job->ctx, HETERO_EINVAL,
                            "autocorr: worker %zu has no scratch (%zu)", worker,
                            job->nscratch);
    for (b = begin; b < end; b++) {
        if (aa->dtype == HETERO_F64)
            matrix_f64(job->st, n, m, (const double *)aa->a + b * in_elems,
                       (double *)aa->out + b * out_elems,
                       &job->scratch[worker]);
        else
            matrix_f32(job->st, n, m, (const float *)aa->a + b * in_elems,
                       (float *)aa->out + b * out_elems, &job->scratch[worker]);
    }
    return 0;
}

int hetero__autocorr_fft_run(const struct hetero_exec *ex,
                             const struct hetero_autocorr_args *aa,
                             bool use_pool)
{
    struct hetero__autocorr_fft *st = ex->state;
    struct fft_job job = { .ctx = ex->ctx, .aa = aa, .st = st };
    size_t threads = use_pool ? ex->num_threads : 1;
    bool owned = false;
    int ret;

    if (!st)
        return hetero__errf(ex->ctx, HETERO_EINVAL,
                            "autocorr: FFT variant run without prepare");
    if (threads <= st->nscratch && !atomic_exchange(&st->busy, true)) {
        job.scratch = st->scratch;
        job.nscratch = st->nscratch;
    } else {
        ret = scratch_alloc(ex->ctx, aa, st, threads, &job.scratch);
        if (ret)
            return ret;
        job.nscratch = threads;
        owned = true;
    }
    if (use_pool)
        ret = hetero_pool_parallel_for_n(ex->pool, threads, aa->batch, 1,
                                         fft_matrices, &job);
    else
        ret = fft_matrices(&job, 0, aa->batch, 0);
    if (owned)
        scratch_free(job.scratch, job.nscratch);
    else
        atomic_store(&st->busy, false);
    return ret;
}
