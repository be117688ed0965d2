/*
 * costmodel.c - the dispatcher's model of time, and its calibration file.
 *
 * DESIGN: per (kernel, kernel version, backend, algorithm, thread count,
 * device) the model is t(w) = a + b * w with w = flops + bytes / 4
 * (hetero__work_units), fitted by hetero_calibrate() on medians of repeated
 * runs at several sizes, weighted to minimise relative error. Measured
 * executions refine a fitted entry through bounded correction factors kept
 * per size (struct correction): a run corrects predictions near its own
 * size only, so one size's surprise (a slow phase, a cache step the
 * calibration missed) does not move the choice at sizes far from it.
 * Without an entry the built-in defaults below are used and the prediction
 * says calibrated = false: they are conservative (parallelism and OpenCL
 * carry a real overhead), so an uncalibrated library never pays for
 * parallelism that obviously loses.
 *
 * The file (<cache_dir>/calibration-v1.txt) is text:
 *   line 1: "libhetero-calibration 1 <lib version> <machine id>"
 *   then:   "<kernel> <kversion> <backend> <algo|-> <threads> <device> <a> <b>
 *            <npoints>"
 * A file whose first line does not match this library and machine, or with
 * any malformed line, is reported (HETERO_ECALIB) and ignored whole. Writes
 * go to a temporary file renamed over the old one, so concurrent writers
 * never leave a torn file (the last rename wins, each complete).
 *
 * Lock order: model->lock is a leaf; it is never held while kernel code or
 * file I/O of another module runs.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "context_internal.h"
#include "costmodel.h"

#define FILE_FORMAT 1
#define NAME_MAX_ 48
#define DEV_MAX 160

/* Built-in defaults: a 2..4 GHz x86 core. */
#define DEF_SERIAL_OVERHEAD 0.2e-6
#define DEF_POOL_OVERHEAD 4e-6 /* wake-up + join of a parallel_for */
#define DEF_POOL_PER_THREAD 1e-6
#define DEF_CL_OVERHEAD 60e-6 /* enqueue + launch + finish */
#define DEF_FLOP_RATE 2e9     /* per thread */
#define DEF_BYTE_RATE 8e9     /* per thread, saturating at 2 */
#define DEF_CL_FLOP_RATE 4e9
#define DEF_PCIE_RATE 8e9

/* Online correction of one size: log of (measured / predicted), averaged
 * with weight CORR_STEP per run; applies with full weight at that size and
 * fading to none at CORR_REACH (in log w) from it. The least recently
 * updated one is replaced when all are taken. */
#define N_CORRECTIONS 8
#define CORR_STEP 0.2
#define CORR_SAME 0.22    /* log(1.25): the same size */
#define CORR_REACH 0.405  /* log(1.5) */
#define CORR_MAX 1.386    /* log(4): the factor stays within [1/4, 4] */

struct correction {
    double lw;
    double lr;
    unsigned long long used;
};

struct entry {
    char kernel[NAME_MAX_];
    unsigned kversion;
    int backend;
    char algo[NAME_MAX_];
    size_t threads;
    char device[DEV_MAX];
    double a;
    double b;
    size_t npoints;
    double pw[HETERO__COST_MAX_POINTS]; /* calibration medians (w, t) */
    double pt[HETERO__COST_MAX_POINTS];
    double lpw[HETERO__COST_MAX_POINTS]; /* their logs, for predict() */
    double lpt[HETERO__COST_MAX_POINTS];
    /* Online corrections, empty after calibration or loading. */
    struct correction corr[N_CORRECTIONS];
    size_t n_corr;
    unsigned long long corr_clock;
};

struct model {
    pthread_mutex_t lock;
    struct entry *e;
    size_t n;
    size_t cap;
    char *path;
    char machine[256];
    bool loaded;
};

double hetero__work_units(const struct hetero_work *w)
{
    return w->flops + 0.25 * w->bytes;
}

/* Spaces would break the file's columns. */
static void sanitize(char *s)
{
    for (; *s; s++) {
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
            *s = '_';
    }
}

static void machine_id(char *out, size_t n)
{
    char model[160] = "unknown-cpu";
    char line[512];
    FILE *f = fopen("/proc/cpuinfo", "r");
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    if (f) {
        while (fgets(line, sizeof(line), f)) {
            char *colon = strchr(line, ':');

            if (strncmp(line, "model name", 10) == 0 && colon) {
                snprintf(model, sizeof(model), "%s", colon + 2);
                model[strcspn(model, "\n")] = '\0';
                break;
            }
        }
        fclose(f);
    }
    snprintf(out, n, "%s;cores=%ld", model, cpus);
    sanitize(out);
}

static int model_create(hetero_context *ctx, void **state)
{
    struct model *m = hetero__calloc(1, sizeof(*m));
    size_t len;

    if (!m)
        return hetero__errf(ctx, HETERO_ENOMEM, "cost model: out of memory");
    len = strlen(ctx->cache_dir) + sizeof("/calibration-v1.txt");
    m->path = hetero__malloc(len);
    if (!m->path) {
        hetero__free(m);
        return hetero__errf(ctx, HETERO_ENOMEM, "cost model: out of memory");
    }
    snprintf(m->path, len, "%s/calibration-v1.txt", ctx->cache_dir);
    machine_id(m->machine, sizeof(m->machine));
    pthread_mutex_init(&m->lock, NULL);
    *state = m;
    return 0;
}

static void model_destroy(void *state)
{
    struct model *m = state;

    pthread_mutex_destroy(&m->lock);
    hetero__free(m->e);
    hetero__free(m->path);
    hetero__free(m);
}

static int load_into(hetero_context *ctx, struct model *m, struct entry **out,
                     size_t *n_out);

static struct model *get_model(hetero_context *ctx)
{
    void *state = NULL;
    struct model *m;

    if (hetero__ctx_ext(ctx, HETERO__EXT_MODEL, model_create, model_destroy,
                        false, &state))
        return NULL;
    m = state;
    pthread_mutex_lock(&m->lock);
    if (!m->loaded) {
        struct entry *e = NULL;
        size_t n = 0;

        m->loaded = true;
        if (load_into(ctx, m, &e, &n) == 0) {
            hetero__free(m->e);
            m->e = e;
            m->n = m->cap = n;
        }
    }
    pthread_mutex_unlock(&m->lock);
    return m;
}

static const char *algo_key(const struct hetero_variant *v)
{
    return v->algo ? v->algo : "-";
}

static bool key_eq(const struct entry *e, const char *kernel,
                   unsigned kversion, int backend, const char *algo,
                   size_t threads, const char *device)
{
    return e->backend == backend && e->threads == threads &&
           e->kversion == kversion && strcmp(e->kernel, kernel) == 0 &&
           strcmp(e->algo, algo) == 0 &&
           (strcmp(e->device, device) == 0 || strcmp(device, "*") == 0);
}

/* "cpu" for CPU variants; the OpenCL device's identity, or "*" (any
 * calibrated OpenCL device) when it is not known yet: the dispatcher asks
 * that before deciding whether opening the device is worth it. */
static void device_key(const struct hetero_variant *v, const char *device,
                       char *out, size_t n)
{
    if (v->backend != HETERO_BACKEND_OPENCL)
        snprintf(out, n, "cpu");
    else
        snprintf(out, n, "%s", device ? device : "*");
    sanitize(out);
}

static struct entry *find(struct model *m, const struct hetero_kernel *k,
                          const struct hetero_variant *v, size_t threads,
                          const char *dev)
{
    size_t i;

    for (i = 0; i < m->n; i++) {
        if (key_eq(&m->e[i], k->name, k->version, (int)v->backend,
                   algo_key(v), threads, dev))
            return &m->e[i];
    }
    return NULL;
}

static void predict_default(const struct hetero_variant *v, size_t threads,
                            bool unified, const struct hetero_work *w,
                            struct hetero__prediction *p)
{
    double t = threads ? (double)threads : 1.0;
    double mem_par = t < 2.0 ? t : 2.0;

    p->calibrated = false;
    p->transfer_s = 0.0;
    switch (v->backend) {
    case HETERO_BACKEND_SERIAL:
        p->overhead_s = DEF_SERIAL_OVERHEAD;
        p->compute_s = w->flops / DEF_FLOP_RATE + w->bytes / DEF_BYTE_RATE;
        break;
    case HETERO_BACKEND_POOL:
        p->overhead_s = threads > 1
                            ? DEF_POOL_OVERHEAD + DEF_POOL_PER_THREAD * t
                            : 2 * DEF_SERIAL_OVERHEAD;
        p->compute_s = w->flops / (DEF_FLOP_RATE * t) +
                       w->bytes / (DEF_BYTE_RATE * mem_par);
        break;
    case HETERO_BACKEND_OPENCL:
    default:
        p->overhead_s = DEF_CL_OVERHEAD;
        p->compute_s = w->flops / DEF_CL_FLOP_RATE + w->bytes / DEF_BYTE_RATE;
        p->transfer_s = unified ? 0.0 : w->bytes / DEF_PCIE_RATE;
        break;
    }
}

/* The logs of the measured points: predict() runs on every plan_create
 * and must stay well under a microsecond. */
static void entry_logs(struct entry *e)
{
    size_t i;

    for (i = 0; i < e->npoints; i++) {
        e->lpw[i] = log(e->pw[i]);
        e->lpt[i] = log(e->pt[i]);
    }
}

/*
 * Time of an entry at work w: inside the calibrated range, piecewise-linear
 * interpolation of the measured medians in log-log space (this follows the
 * cache and bandwidth steps a single line cannot); outside it, the fitted
 * line scaled to agree with the nearest measured point.
 */
static double entry_time(const struct entry *e, double w)
{
    size_t n = e->npoints;
    size_t i;
    double lw;

    if (n < 2 || !(w > 0.0))
        return e->a + e->b * w;
    if (w <= e->pw[0] || w >= e->pw[n - 1]) {
        size_t j = w <= e->pw[0] ? 0 : n - 1;
        double fit_j = e->a + e->b * e->pw[j];
        double r = fit_j > 0.0 ? e->pt[j] / fit_j : 1.0;

        return (e->a + e->b * w) * r;
    }
    lw = log(w);
    for (i = 1; i < n && e->pw[i] < w; i++)
        ;
    {
        double x0 = e->lpw[i - 1];
        double x1 = e->lpw[i];
        double y0 = e->lpt[i - 1];
        double y1 = e->lpt[i];
        double f = x1 > x0 ? (lw - x0) / (x1 - x0) : 0.0;

        return exp(y0 + f * (y1 - y0));
    }
}

/* The online correction factor at work w: the nearest correction's,
 * fading linearly (in log w) to 1 at CORR_REACH. */
static double correction_at(const struct entry *e, double w)
{
    const struct correction *best = NULL;
    double lw;
    double d = CORR_REACH;
    size_t i;

    if (e->n_corr == 0 || !(w > 0.0))
        return 1.0;
    lw = log(w);
    for (i = 0; i < e->n_corr; i++) {
        double di = fabs(e->corr[i].lw - lw);

        if (di < d) {
            d = di;
            best = &e->corr[i];
        }
    }
    return best ? exp(best->lr * (1.0 - d / CORR_REACH)) : 1.0;
}

/* Folds one run's log(measured / predicted) into the correction of its
 * size, clamped so that one absurd run moves it a bounded step. */
static void correction_add(struct entry *e, double lw, double lr)
{
    struct correction *c = NULL;
    size_t i;

    if (!isfinite(lr))
        return;
    if (lr > CORR_MAX)
        lr = CORR_MAX;
    if (lr < -CORR_MAX)
        lr = -CORR_MAX;
    for (i = 0; i < e->n_corr; i++) {
        if (fabs(e->corr[i].lw - lw) < CORR_SAME) {
            c = &e->corr[i];
            break;
        }
    }
    if (!c) {
        if (e->n_corr < N_CORRECTIONS) {
            c = &e->corr[e->n_corr++];
        } else {
            c = &e->corr[0];
            for (i = 1; i < e->n_corr; i++) {
                if (e->corr[i].used < c->used)
                    c = &e->corr[i];
            }
        }
        c->lw = lw;
        c->lr = 0.0;
    }
    c->lr += CORR_STEP * (lr - c->lr);
    c->used = ++e->corr_clock;
}

void hetero__cost_predict(hetero_context *ctx, const struct hetero_kernel *k,
                          const struct hetero_variant *v, size_t threads,
                          const char *device, bool unified,
                          const struct hetero_work *w,
                          struct hetero__prediction *p)
{
    struct model *m = get_model(ctx);
    struct entry *e = NULL;
    char dev[DEV_MAX];

    memset(p, 0, sizeof(*p));
    if (m) {
        device_key(v, device, dev, sizeof(dev));
        pthread_mutex_lock(&m->lock);
        e = find(m, k, v, threads, dev);
        if (e) {
            double wu = hetero__work_units(w);
            double f = correction_at(e, wu);
            double t = entry_time(e, wu) * f;

            p->calibrated = true;
            p->overhead_s = e->a * f < t ? e->a * f : t;
            p->compute_s = t - p->overhead_s;
            /* Calibration timed end to end: transfers are inside. */
            p->transfer_s = 0.0;
        }
        pthread_mutex_unlock(&m->lock);
    }
    if (!e)
        predict_default(v, threads, unified, w, p);
    p->total_s = p->overhead_s + p->compute_s + p->transfer_s;
}

void hetero__cost_observe(hetero_context *ctx, const struct hetero_kernel *k,
                          const struct hetero_variant *v, size_t threads,
                          const char *device, const struct hetero_work *w,
                          double seconds)
{
    struct model *m = hetero__ctx_ext_peek(ctx, HETERO__EXT_MODEL);
    struct entry *e;
    char dev[DEV_MAX];

    if (!m || !(seconds > 0.0))
        return;
    device_key(v, device, dev, sizeof(dev));
    pthread_mutex_lock(&m->lock);
    e = find(m, k, v, threads, dev);
    if (e && hetero__work_units(w) > 0.0) {
        /* Against what predict() uses (the measured points, not only the
         * line): the factor then corrects only the model's error. */
        double wu = hetero__work_units(w);
        double raw = entry_time(e, wu);

        if (raw > 0.0)
            correction_add(e, log(wu), log(seconds / raw));
    }
    pthread_mutex_unlock(&m->lock);
}

static int cmp_double(const void *x, const void *y)
{
    double p = *(const double *)x;
    double q = *(const double *)y;

    return (p > q) - (p < q);
}

double hetero__median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int hetero__cost_fit(const double *w, const double *t, size_t n, double *a,
                     double *b)
{
    double s00 = 0.0;
    double s01 = 0.0;
    double s11 = 0.0;
    double r0 = 0.0;
    double r1 = 0.0;
    double det;
    size_t i;

    if (n < 2)
        return HETERO_EINVAL;
    for (i = 0; i < n; i++) {
        double q;

        if (!(t[i] > 0.0) || !(w[i] >= 0.0) || !isfinite(w[i]))
            return HETERO_EINVAL;
        q = 1.0 / (t[i] * t[i]); /* relative error weights */
        s00 += q;
        s01 += q * w[i];
        s11 += q * w[i] * w[i];
        r0 += q * t[i];
        r1 += q * w[i] * t[i];
    }
    det = s00 * s11 - s01 * s01;
    if (det > 1e-300 * s00 * s11) {
        *a = (r0 * s11 - r1 * s01) / det;
        *b = (s00 * r1 - s01 * r0) / det;
    } else {
        *a = -1.0; /* all sizes equal: fall through to a constant */
        *b = -1.0;
    }
    if (*a < 0.0 && s11 > 0.0) {
        *a = 0.0;
        *b = r1 / s11;
    }
    if (*b < 0.0) {
        *b = 0.0;
        *a = r0 / s00;
    }
    return 0;
}

int hetero__cost_fit_robust(const double *w, const double *t, size_t n,
                            double *a, double *b, bool *keep)
{
    double res[HETERO__COST_MAX_POINTS];
    double sorted[HETERO__COST_MAX_POINTS];
    double kw[HETERO__COST_MAX_POINTS];
    double kt[HETERO__COST_MAX_POINTS];
    bool out[HETERO__COST_MAX_POINTS] = { false };
    double limit;
    size_t n_out = 0;
    size_t m = 0;
    size_t i;
    int ret = hetero__cost_fit(w, t, n, a, b);

    if (keep) {
        for (i = 0; i < n; i++)
            keep[i] = true;
    }
    if (ret || n < 4 || n > HETERO__COST_MAX_POINTS)
        return ret;
    for (i = 0; i < n; i++) {
        res[i] = (t[i] - (*a + *b * w[i])) / t[i];
        sorted[i] = fabs(res[i]);
    }
    limit = 3.0 * 1.4826 * hetero__median(sorted, n);
    if (limit < 0.25)
        limit = 0.25;
    /* The worst first, at most n / 4 of them. */
    while (n_out < n / 4) {
        size_t worst = n;

        for (i = 0; i < n; i++) {
            if (!out[i] && res[i] > limit &&
                (worst == n || res[i] > res[worst]))
                worst = i;
        }
        if (worst == n)
            break;
        out[worst] = true;
        n_out++;
    }
    if (n_out == 0)
        return 0;
    for (i = 0; i < n; i++) {
        if (out[i])
            continue;
        kw[m] = w[i];
        kt[m++] = t[i];
    }
    ret = hetero__cost_fit(kw, kt, m, a, b);
    if (ret == 0 && keep) {
        for (i = 0; i < n; i++)
            keep[i] = !out[i];
    }
    return ret;
}

size_t hetero__cost_clean_points(double *w, double *t, size_t n)
{
    size_t i;
    size_t m;

    if (n < 2)
        return n;
    for (i = n - 1; i-- > 0;) {
        if (t[i] > t[i + 1])
            t[i] = t[i + 1];
    }
    /* Spikes: compare with the neighbours still kept. */
    m = 1;
    for (i = 1; i + 1 < n; i++) {
        double x0 = log(w[m - 1]);
        double x1 = log(w[i + 1]);
        double f = x1 > x0 ? (log(w[i]) - x0) / (x1 - x0) : 0.5;
        double chord = exp(log(t[m - 1]) + f * (log(t[i + 1]) - log(t[m - 1])));

        if (t[i] > 1.6 * chord)
            continue;
        w[m] = w[i];
        t[m++] = t[i];
    }
    w[m] = w[n - 1];
    t[m++] = t[n - 1];
    return m;
}

static int parse_line(const char *line, struct entry *e)
{
    char backend[16];
    int used = 0;

    memset(e, 0, sizeof(*e));
    if (sscanf(line, "%47s %u %15s %47s %zu %159s %lf %lf %zu%n", e->kernel,
               &e->kversion, backend, e->algo, &e->threads, e->device, &e->a,
               &e->b, &e->npoints, &used) != 9)
        return -1;
    if (e->npoints > HETERO__COST_MAX_POINTS)
        return -1;
    {
        const char *q = line + used;
        size_t i;

        for (i = 0; i < e->npoints; i++) {
            int m = 0;

            if (sscanf(q, " %lf:%lf%n", &e->pw[i], &e->pt[i], &m) != 2)
                return -1;
            if (!(e->pw[i] > 0.0) || !(e->pt[i] > 0.0) ||
                !isfinite(e->pw[i]) || !isfinite(e->pt[i]) ||
                (i > 0 && !(e->pw[i] > e->pw[i - 1])))
                return -1;
            q += m;
        }
        while (*q == ' ')
            q++;
        if (*q != '\0' && *q != '\n')
            return -1;
    }
    entry_logs(e);
    if (strcmp(backend, "serial") == 0)
        e->backend = HETERO_BACKEND_SERIAL;
    else if (strcmp(backend, "pool") == 0)
        e->backend = HETERO_BACKEND_POOL;
    else if (strcmp(backend, "opencl") == 0)
        e->backend = HETERO_BACKEND_OPENCL;
    else
        return -1;
    if (!(e->a >= 0.0) || !(e->b >= 0.0) || !isfinite(e->a) ||
        !isfinite(e->b) || e->threads == 0 || e->threads > 4096)
        return -1;
    return 0;
}

/* Reads the file into a new array. HETERO_ENOENT if absent, HETERO_ECALIB
 * if foreign or corrupt (with errmsg), HETERO_ENOMEM. */
static int load_into(hetero_context *ctx, struct model *m, struct entry **out,
                     size_t *n_out)
{
    char line[1024];
    char want[512];
    struct entry *e = NULL;
    size_t n = 0;
    size_t cap = 0;
    size_t lineno = 1;
    int ret = 0;
    FILE *f = fopen(m->path, "r");

    *out = NULL;
    *n_out = 0;
    if (!f)
        return HETERO_ENOENT;
    snprintf(want, sizeof(want), "libhetero-calibration %d %s %s\n",
             FILE_FORMAT, hetero_version(), m->machine);
    if (!fgets(line, sizeof(line), f) || strcmp(line, want) != 0) {
        ret = hetero__errf(ctx, HETERO_ECALIB,
                           "%s: written by another libhetero version or "
                           "machine, or not a calibration file; ignored",
                           m->path);
        goto out;
    }
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 32;
            struct entry *ne = hetero__realloc(e, nc * sizeof(*e));

            if (!ne) {
                ret = hetero__errf(ctx, HETERO_ENOMEM, "out of memory");
                goto out;
            }
            e = ne;
            cap = nc;
        }
        if (parse_line(line, &e[n]) != 0) {
            ret = hetero__errf(ctx, HETERO_ECALIB,
                               "%s:%zu: malformed line; calibration ignored",
                               m->path, lineno);
            goto out;
        }
        n++;
    }
    if (ferror(f))
        ret = hetero__errf(ctx, HETERO_ECALIB, "%s: read error", m->path);
out:
    fclose(f);
    if (ret) {
        hetero__free(e);
        return ret;
    }
    *out = e;
    *n_out = n;
    return 0;
}

int hetero__cost_set(hetero_context *ctx, const struct hetero_kernel *k,
                     const struct hetero_variant *v, size_t threads,
                     const char *device, double a, double b, size_t npoints,
                     const double *w, const double *t)
{
    struct model *m = get_model(ctx);
    struct entry *e;
    char dev[DEV_MAX];

    if (!m)
        return HETERO_ENOMEM;
    device_key(v, device, dev, sizeof(dev));
    pthread_mutex_lock(&m->lock);
    e = find(m, k, v, threads, dev);
    if (!e) {
        if (m->n == m->cap) {
            size_t nc = m->cap ? 2 * m->cap : 32;
            struct entry *ne = hetero__realloc(m->e, nc * sizeof(*ne));

            if (!ne) {
                pthread_mutex_unlock(&m->lock);
                return hetero__errf(ctx, HETERO_ENOMEM, "out of memory");
            }
            m->e = ne;
            m->cap = nc;
        }
        e = &m->e[m->n++];
        memset(e, 0, sizeof(*e));
        snprintf(e->kernel, sizeof(e->kernel), "%s", k->name);
        e->kversion = k->version;
        e->backend = (int)v->backend;
        snprintf(e->algo, sizeof(e->algo), "%s", algo_key(v));
        e->threads = threads;
        snprintf(e->device, sizeof(e->device), "%s", dev);
    }
    e->a = a;
    e->b = b;
    e->npoints = npoints < HETERO__COST_MAX_POINTS ? npoints
                                                   : HETERO__COST_MAX_POINTS;
    memcpy(e->pw, w, e->npoints * sizeof(*w));
    memcpy(e->pt, t, e->npoints * sizeof(*t));
    entry_logs(e);
    e->n_corr = 0;
    pthread_mutex_unlock(&m->lock);
    return 0;
}

/* mkdir -p */
static int make_dirs(const char *path)
{
    char buf[4096];
    size_t i;

    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return -1;
    for (i = 1; buf[i]; i++) {
        if (buf[i] == '/') {
            buf[i] = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return -1;
            buf[i] = '/';
        }
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

static int write_entry(FILE *f, const struct entry *e)
{
    size_t i;
    int ok;

    ok = fprintf(f, "%s %u %s %s %zu %s %.9g %.9g %zu", e->kernel,
                 e->kversion, hetero_backend_name(e->backend), e->algo,
                 e->threads, e->device, e->a, e->b, e->npoints) > 0;
    for (i = 0; i < e->npoints && ok; i++)
        ok = fprintf(f, " %.9g:%.9g", e->pw[i], e->pt[i]) > 0;
    return ok && fputc('\n', f) != EOF;
}

int hetero__cost_save(hetero_context *ctx)
{
    struct model *m = get_model(ctx);
    struct entry *old = NULL;
    size_t n_old = 0;
    char tmp[4200];
    FILE *f;
    size_t i;
    size_t j;
    int ok;

    if (!m)
        return HETERO_ENOMEM;
    if (make_dirs(ctx->cache_dir) != 0)
        return hetero__errf(ctx, HETERO_EIO, "cannot create %s: %s",
                            ctx->cache_dir, strerror(errno));
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld.%p", m->path, (long)getpid(),
             (void *)m);
    f = fopen(tmp, "w");
    if (!f)
        return hetero__errf(ctx, HETERO_EIO, "cannot write %s: %s", tmp,
                            strerror(errno));
    pthread_mutex_lock(&m->lock);
    /* Keep what another process stored for other kernels/devices. */
    if (load_into(ctx, m, &old, &n_old) != 0)
        n_old = 0;
    ok = fprintf(f, "libhetero-calibration %d %s %s\n", FILE_FORMAT,
                 hetero_version(), m->machine) > 0;
    for (j = 0; j < n_old && ok; j++) {
        bool mine = false;

        for (i = 0; i < m->n && !mine; i++)
            mine = key_eq(&m->e[i], old[j].kernel, old[j].kversion,
                          old[j].backend, old[j].algo, old[j].threads,
                          old[j].device);
        if (!mine)
            ok = write_entry(f, &old[j]);
    }
    for (i = 0; i < m->n && ok; i++)
        ok = write_entry(f, &m->e[i]);
    pthread_mutex_unlock(&m->lock);
    hetero__free(old);
    ok = (fflush(f) == 0) && ok;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, m->path) != 0) {
        int e = errno;

        unlink(tmp);
        return hetero__errf(ctx, HETERO_EIO, "cannot write %s: %s", m->path,
                            strerror(e));
    }
    return 0;
}

const char *hetero_calibration_path(hetero_context *ctx)
{
    struct model *m = ctx ? get_model(ctx) : NULL;

    return m ? m->path : NULL;
}

int hetero_calibration_load(hetero_context *ctx)
{
    struct model *m;
    struct entry *e = NULL;
    size_t n = 0;
    int ret;

    if (!ctx)
        return hetero__errf(NULL, HETERO_EINVAL, "context is NULL");
    m = get_model(ctx);
    if (!m)
        return HETERO_ENOMEM;
    pthread_mutex_lock(&m->lock);
    ret = load_into(ctx, m, &e, &n);
    hetero__free(m->e);
    m->e = e;
    m->n = m->cap = n;
    pthread_mutex_unlock(&m->lock);
    return ret;
}

size_t hetero_calibration_entries(hetero_context *ctx)
{
    struct model *m = ctx ? get_model(ctx) : NULL;
    size_t n = 0;

    if (m) {
        pthread_mutex_lock(&m->lock);
        n = m->n;
        pthread_mutex_unlock(&m->lock);
    }
    return n;
}
