/*
 * fft.c - FFTW plan cache, planner serialisation and wisdom files.
 *
 * DESIGN: each context owns one cache (extension slot HETERO__EXT_FFT,
 * created on the first plan request): a linked list of entries, one per
 * key, each holding one FFTW plan that lives until the context goes away.
 * The list is short (a few sizes per kernel and precision), so it is
 * searched linearly. A request that misses inserts a placeholder entry,
 * drops the cache lock, plans, and publishes the plan; a second request for
 * the same key meanwhile waits on `ready_cv` instead of planning it twice.
 * Requests for other keys are answered while one is being planned.
 *
 * FFTW's planner (plan creation and destruction, wisdom import and export,
 * the thread settings) keeps process-wide state and is not thread-safe, so
 * every call into it goes through `planner_lock` below, across all contexts.
 * Executing a plan with the new-array functions is thread-safe and takes no
 * lock: pool workers run one plan on different slices of a batch at once.
 *
 * Plans are always made for one FFTW thread, whatever the process set with
 * fftw_plan_with_nthreads(): the pool variants parallelise by splitting
 * the batch, and FFTW threads on top of them would oversubscribe the CPU.
 * Plans are made on 64-byte-aligned scratch arrays, so they suit the
 * library's buffers; a caller whose arrays are aligned differently asks for
 * an unaligned plan (key.aligned = false, FFTW_UNALIGNED).
 *
 * Wisdom: the cache imports <cache_dir>/fftw-wisdom-<double|float> when it
 * is created. A miss first tries to plan from wisdom alone
 * (FFTW_WISDOM_ONLY); only if that fails does FFTW measure, after which the
 * precision's wisdom is exported to a temp file in the cache directory
 * (created as with mkdir -p) and renamed over the old file, so readers never
 * see half a file and a second process skips the measuring.
 *
 * Lock order: ctx->ext_lock, then planner_lock. cache->lock is never held
 * while taking either, nor while FFTW plans.
 */
#include <errno.h>
#include <fftw3.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "context_internal.h"
#include "fft/fft.h"

/*
 * The one mutable global of the library, and why: FFTW's planner is a
 * process-wide singleton that is not thread-safe, so two contexts (or two
 * plan requests in one context) must never plan, destroy a plan, or touch
 * wisdom at the same time. A per-context lock cannot give that. It guards
 * `fftw_setup_done` and `fftw_threads_ok` too.
 */
static pthread_mutex_t planner_lock = PTHREAD_MUTEX_INITIALIZER;
static bool fftw_setup_done;
static bool fftw_threads_ok;

struct hetero__fft_plan {
    enum hetero__fft_kind kind;
    enum hetero__fft_prec prec;
    bool aligned;
    int in_align; /* fftw_alignment_of() of the planning arrays */
    int out_align;
    fftw_plan d;  /* HETERO__FFT_F64 */
    fftwf_plan f; /* HETERO__FFT_F32 */
};

struct fft_entry {
    struct hetero__fft_key key; /* normalised: cpx_row filled in */
    struct hetero__fft_plan plan;
    bool ready; /* false while being planned */
    struct fft_entry *next;
};

struct fft_cache {
    hetero_context *ctx;
    pthread_mutex_t lock;    /* guards entries and stats */
    pthread_cond_t ready_cv; /* lock: an entry became ready or went away */
    struct fft_entry *entries;
    unsigned flags;       /* FFTW_ESTIMATE | FFTW_MEASURE | ... */
    char *wisdom_path[2]; /* by enum hetero__fft_prec */
    struct hetero__fft_stats stats;
};

/* What planning one entry did, reported back into the stats. */
struct plan_report {
    bool from_wisdom;
    bool wrote_wisdom;
    double seconds;
};

static const char *const prec_name[2] = { "double", "float" };

/* ---- process-wide FFTW state (planner_lock held) ---- */

static void fftw_setup_locked(void)
{
    if (fftw_setup_done)
        return;
    /* Needed to pin plans to one thread with fftw_plan_with_nthreads(1)
     * even if the host program asked FFTW for more. */
    fftw_threads_ok = fftw_init_threads() != 0 && fftwf_init_threads() != 0;
    if (fftw_threads_ok) {
        /* Other code in the process may plan too: let FFTW serialise. */
        fftw_make_planner_thread_safe();
        fftwf_make_planner_thread_safe();
    }
    fftw_setup_done = true;
}

/* ---- small helpers ---- */

static int planner_flags_from_env(hetero_context *ctx, unsigned *flags)
{
    const char *s = getenv("HETERO_FFTW_PLANNER");

    if (!s || !s[0] || strcmp(s, "measure") == 0)
        *flags = FFTW_MEASURE;
    else if (strcmp(s, "estimate") == 0)
        *flags = FFTW_ESTIMATE;
    else if (strcmp(s, "patient") == 0)
        *flags = FFTW_PATIENT;
    else
        return hetero__errf(ctx, HETERO_EINVAL,
                            "HETERO_FFTW_PLANNER=%s: expected estimate, "
                            "measure or patient",
                            s);
    return 0;
}

int hetero__fft_wisdom_path(const char *cache_dir, enum hetero__fft_prec prec,
                            char *buf, size_t size)
{
    int len;

    if (!cache_dir || !buf ||
        (prec != HETERO__FFT_F64 && prec != HETERO__FFT_F32))
        return HETERO_EINVAL;
    len = snprintf(buf, size, "%s/fftw-wisdom-%s", cache_dir, prec_name[prec]);
    if (len < 0 || (size_t)len >= size)
        return HETERO_ERANGE;
    return 0;
}

/* mkdir -p: creates every missing directory of `path`. */
static int mkdir_p(const char *path)
{
    char *dir = hetero__strdup(path);
    char *p;
    int ret = 0;

    if (!dir)
        return HETERO_ENOMEM;
    /* Create each prefix ending before a '/', then the whole path. */
    for (p = strchr(dir + 1, '/'); p; p = strchr(p + 1, '/')) {
        *p = '\0';
        if (mkdir(dir, 0755) != 0 && errno != EEXIST)
            ret = -errno;
        *p = '/';
        if (ret)
            goto out_free;
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        ret = -errno;
out_free:
    hetero__free(dir);
    return ret;
}

/* Writes the wisdom of `prec` atomically; planner_lock held. Returns 0 or
 * a negative code; the caller logs failures once the lock is released (no
 * user callback runs under it). */
static int wisdom_export_locked(struct fft_cache *c, enum hetero__fft_prec prec)
{
    const char *path = c->wisdom_path[prec];
    size_t n = strlen(path) + 32;
    char *tmp;
    int ok;
    int ret;

    ret = mkdir_p(c->ctx->cache_dir);
    if (ret)
        return ret;
    tmp = hetero__malloc(n);
    if (!tmp)
        return HETERO_ENOMEM;
    snprintf(tmp, n, "%s.%ld.tmp", path, (long)getpid());
    if (prec == HETERO__FFT_F64)
        ok = fftw_export_wisdom_to_filename(tmp);
    else
        ok = fftwf_export_wisdom_to_filename(tmp);
    ret = 0;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        ret = HETERO_EIO;
    }
    hetero__free(tmp);
    return ret;
}

/* Imports the wisdom file of each precision that has one; planner_lock
 * held. Returns the number imported; sets bit p of *bad for a file that
 * exists but could not be read. */
static size_t wisdom_import_locked(struct fft_cache *c, unsigned *bad)
{
    size_t n = 0;
    int p;
    int ok;

    *bad = 0;
    for (p = 0; p < 2; p++) {
        if (access(c->wisdom_path[p], R_OK) != 0)
            continue;
        if (p == HETERO__FFT_F64)
            ok = fftw_import_wisdom_from_filename(c->wisdom_path[p]);
        else
            ok = fftwf_import_wisdom_from_filename(c->wisdom_path[p]);
        if (ok)
            n++;
        else
            *bad |= 1u << p;
    }
    return n;
}

/* ---- the cache as a context extension ---- */

static void cache_destroy(void *state)
{
    struct fft_cache *c = state;
    struct fft_entry *e;
    int p;

    pthread_mutex_lock(&planner_lock);
    while (c->entries) {
        e = c->entries;
        c->entries = e->next;
        if (e->plan.d)
            fftw_destroy_plan(e->plan.d);
        if (e->plan.f)
            fftwf_destroy_plan(e->plan.f);
        hetero__free(e);
    }
    pthread_mutex_unlock(&planner_lock);
    for (p = 0; p < 2; p++)
        hetero__free(c->wisdom_path[p]);
    pthread_cond_destroy(&c->ready_cv);
    pthread_mutex_destroy(&c->lock);
    hetero__free(c);
}

static int cache_create(hetero_context *ctx, void **state)
{
    struct fft_cache *c;
    size_t len = strlen(ctx->cache_dir) + 32;
    unsigned bad;
    int p;
    int ret;

    c = hetero__calloc(1, sizeof(*c));
    if (!c)
        return hetero__errf(ctx, HETERO_ENOMEM, "fft: out of memory");
    c->ctx = ctx;
    ret = planner_flags_from_env(ctx, &c->flags);
    if (ret)
        goto out_free;
    for (p = 0; p < 2; p++) {
        c->wisdom_path[p] = hetero__malloc(len);
        if (!c->wisdom_path[p]) {
            ret = hetero__errf(ctx, HETERO_ENOMEM, "fft: out of memory");
            goto out_free_paths;
        }
        ret =
            hetero__fft_wisdom_path(ctx->cache_dir, p, c->wisdom_path[p], len);
        if (ret)
            goto out_free_paths;
    }
    ret = pthread_mutex_init(&c->lock, NULL);
    if (ret) {
        ret = hetero__errf(ctx, -ret, "fft: pthread_mutex_init failed");
        goto out_free_paths;
    }
    ret = pthread_cond_init(&c->ready_cv, NULL);
    if (ret) {
        ret = hetero__errf(ctx, -ret, "fft: pthread_cond_init failed");
        goto out_destroy_lock;
    }
    pthread_mutex_lock(&planner_lock);
    fftw_setup_locked();
    c->stats.wisdom_reads = wisdom_import_locked(c, &bad);
    pthread_mutex_unlock(&planner_lock);
    for (p = 0; p < 2; p++) {
        if (bad & (1u << p))
            hetero__logf(ctx, HETERO_LOG_WARN,
                         "fft: ignoring unreadable FFTW wisdom %s",
                         c->wisdom_path[p]);
    }
    c->stats.flags = c->flags;
    *state = c;
    return 0;

out_destroy_lock:
    pthread_mutex_destroy(&c->lock);
out_free_paths:
    for (p = 0; p < 2; p++)
        hetero__free(c->wisdom_path[p]);
out_free:
    hetero__free(c);
    return ret;
}

static int cache_get(hetero_context *ctx, struct fft_cache **out)
{
    void *state = NULL;
    int ret;

    ret = hetero__ctx_ext(ctx, HETERO__EXT_FFT, cache_create, cache_destroy,
                          false, &state);
    if (ret)
        return ret;
    *out = state;
    return 0;
}

/* ---- keys ---- */

static int key_normalise(hetero_context *ctx, const struct hetero__fft_key *k,
                         struct hetero__fft_key *out)
{
    size_t half;

    if (k->kind < HETERO__FFT_C2C || k->kind > HETERO__FFT_C2R ||
        (k->prec != HETERO__FFT_F64 && k->prec != HETERO__FFT_F32))
        return hetero__errf(ctx, HETERO_EINVAL, "fft: bad kind or precision");
    if (k->n == 0 || k->m == 0 || k->howmany == 0)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "fft: n, m and howmany must be positive");
    if (k->kind == HETERO__FFT_C2C && k->sign != -1 && k->sign != 1)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "fft: c2c sign must be -1 or +1");
    *out = *k;
    if (k->kind != HETERO__FFT_C2C)
        out->sign = 0;
    half = k->kind == HETERO__FFT_C2C ? k->m : k->m / 2 + 1;
    if (out->cpx_row == 0)
        out->cpx_row = half;
    if (out->cpx_row < half)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "fft: complex rows of %zu elements cannot hold "
                            "%zu",
                            out->cpx_row, half);
    if (k->kind == HETERO__FFT_C2C && k->inplace && out->cpx_row != k->m)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "fft: an in-place c2c plan needs rows of m");
    return 0;
}

static bool key_equal(const struct hetero__fft_key *a,
                      const struct hetero__fft_key *b)
{
    return a->kind == b->kind && a->prec == b->prec && a->n == b->n &&
           a->m == b->m && a->sign == b->sign && a->howmany == b->howmany &&
           a->cpx_row == b->cpx_row && a->inplace == b->inplace &&
           a->aligned == b->aligned;
}

static struct fft_entry *find_entry(struct fft_cache *c,
                                    const struct hetero__fft_key *k)
{
    struct fft_entry *e;

    for (e = c->entries; e; e = e->next) {
        if (key_equal(&e->key, k))
            return e;
    }
    return NULL;
}

/* ---- planning ---- */

/* Array extents of one key in elements and bytes. */
struct extents {
    ptrdiff_t real_row; /* reals per row on the real side */
    size_t cpx_bytes;   /* bytes of the complex side, whole batch */
    size_t real_bytes;  /* bytes of the real side, whole batch */
};

static int key_extents(const struct hetero__fft_key *k, struct extents *x)
{
    size_t es = k->prec == HETERO__FFT_F64 ? sizeof(double) : sizeof(float);
    size_t rows;
    size_t rr = k->inplace ? 2 * k->cpx_row : k->m;

    if (hetero__mul_overflow(k->n, k->howmany, &rows) ||
        hetero__mul_overflow(rows, k->cpx_row, &x->cpx_bytes) ||
        hetero__mul_overflow(x->cpx_bytes, 2 * es, &x->cpx_bytes) ||
        hetero__mul_overflow(rows, rr, &x->real_bytes) ||
        hetero__mul_overflow(x->real_bytes, es, &x->real_bytes) ||
        rr > PTRDIFF_MAX / 4 || x->cpx_bytes > PTRDIFF_MAX / 4)
        return HETERO_EINVAL;
    if (k->kind == HETERO__FFT_C2C)
        x->real_bytes = 0;
    x->real_row = (ptrdiff_t)rr;
    return 0;
}

/* FFTW's guru64 description of key k. */
static void key_dims(const struct hetero__fft_key *k, const struct extents *x,
                     fftw_iodim64 dims[2], fftw_iodim64 *batch)
{
    ptrdiff_t cr = (ptrdiff_t)k->cpx_row;
    ptrdiff_t rr = x->real_row;
    ptrdiff_t n = (ptrdiff_t)k->n;
    ptrdiff_t is = k->kind == HETERO__FFT_R2C ? rr : cr;
    ptrdiff_t os = k->kind == HETERO__FFT_C2R ? rr : cr;

    dims[0].n = n;
    dims[0].is = is;
    dims[0].os = os;
    dims[1].n = (ptrdiff_t)k->m;
    dims[1].is = 1;
    dims[1].os = 1;
    batch->n = (ptrdiff_t)k->howmany;
    batch->is = n * is;
    batch->os = n * os;
}

/* One FFTW planner call; planner_lock held. */
static void plan_once(const struct hetero__fft_key *k, const struct extents *x,
                      unsigned flags, void *in, void *out,
                      struct hetero__fft_plan *p)
{
    fftw_iodim64 dims[2];
    fftw_iodim64 batch;

    key_dims(k, x, dims, &batch);
    if (k->prec == HETERO__FFT_F64) {
        switch (k->kind) {
        case HETERO__FFT_C2C:
            p->d = fftw_plan_guru64_dft(2, dims, 1, &batch, in, out, k->sign,
                                        flags);
            break;
        case HETERO__FFT_R2C:
            p->d = fftw_plan_guru64_dft_r2c(2, dims, 1, &batch, in, out, flags);
            break;
        case HETERO__FFT_C2R:
            p->d = fftw_plan_guru64_dft_c2r(2, dims, 1, &batch, in, out, flags);
            break;
        }
    } else {
        switch (k->kind) {
        case HETERO__FFT_C2C:
            p->f = fftwf_plan_guru64_dft(2, dims, 1, &batch, in, out, k->sign,
                                         flags);
            break;
        case HETERO__FFT_R2C:
            p->f =
                fftwf_plan_guru64_dft_r2c(2, dims, 1, &batch, in, out, flags);
            break;
        case HETERO__FFT_C2R:
            p->f =
                fftwf_plan_guru64_dft_c2r(2, dims, 1, &batch, in, out, flags);
            break;
        }
    }
}

static int alignment_of(enum hetero__fft_prec prec, const void *p)
{
    if (prec == HETERO__FFT_F64)
        return fftw_alignment_of((double *)(uintptr_t)p);
    return fftwf_alignment_of((float *)(uintptr_t)p);
}

/* Creates e->plan for e->key on scratch arrays (no lock held on entry). */
static int plan_entry(struct fft_cache *c, struct fft_entry *e,
                      struct plan_report *rep)
{
    const struct hetero__fft_key *k = &e->key;
    struct hetero__fft_plan *p = &e->plan;
    struct extents x;
    unsigned flags = c->flags;
    void *in;
    void *out;
    size_t in_bytes;
    size_t out_bytes;
    double t0;
    int saved_threads = 1;
    int wisdom_err = 0;
    int ret = 0;

    if (key_extents(k, &x))
        return hetero__errf(c->ctx, HETERO_EINVAL,
                            "fft: %zu transforms of %zu x %zu are too large",
                            k->howmany, k->n, k->m);
    in_bytes = k->kind == HETERO__FFT_R2C ? x.real_bytes : x.cpx_bytes;
    out_bytes = k->kind == HETERO__FFT_C2R ? x.real_bytes : x.cpx_bytes;
    if (k->inplace && out_bytes > in_bytes)
        in_bytes = out_bytes;
    in = hetero__aligned_alloc(64, in_bytes);
    if (!in)
        return hetero__errf(c->ctx, HETERO_ENOMEM,
                            "fft: no memory to plan %zu x %zu", k->n, k->m);
    out = in;
    if (!k->inplace) {
        out = hetero__aligned_alloc(64, out_bytes);
        if (!out) {
            ret = hetero__errf(c->ctx, HETERO_ENOMEM,
                               "fft: no memory to plan %zu x %zu", k->n, k->m);
            goto out_free_in;
        }
    }
    /* MEASURE runs transforms on the arrays: give them defined values. */
    memset(in, 0, in_bytes);
    if (!k->aligned)
        flags |= FFTW_UNALIGNED;
    if (k->kind != HETERO__FFT_C2R && !k->inplace)
        flags |= FFTW_PRESERVE_INPUT;
    p->kind = k->kind;
    p->prec = k->prec;
    p->aligned = k->aligned;
    p->in_align = alignment_of(k->prec, in);
    p->out_align = alignment_of(k->prec, out);

    pthread_mutex_lock(&planner_lock);
    t0 = hetero__now();
    fftw_setup_locked();
    if (fftw_threads_ok) {
        saved_threads = k->prec == HETERO__FFT_F64 ? fftw_planner_nthreads()
                                                   : fftwf_planner_nthreads();
        if (k->prec == HETERO__FFT_F64)
            fftw_plan_with_nthreads(1);
        else
            fftwf_plan_with_nthreads(1);
    }
    if (!(flags & FFTW_ESTIMATE)) {
        plan_once(k, &x, flags | FFTW_WISDOM_ONLY, in, out, p);
        rep->from_wisdom = p->d || p->f;
    }
    if (!p->d && !p->f)
        plan_once(k, &x, flags, in, out, p);
    if ((p->d || p->f) && !rep->from_wisdom && !(flags & FFTW_ESTIMATE)) {
        wisdom_err = wisdom_export_locked(c, k->prec);
        rep->wrote_wisdom = wisdom_err == 0;
    }
    if (fftw_threads_ok) {
        if (k->prec == HETERO__FFT_F64)
            fftw_plan_with_nthreads(saved_threads);
        else
            fftwf_plan_with_nthreads(saved_threads);
    }
    rep->seconds = hetero__now() - t0;
    pthread_mutex_unlock(&planner_lock);

    if (wisdom_err)
        hetero__logf(c->ctx, HETERO_LOG_WARN,
                     "fft: cannot save FFTW wisdom to %s: %s",
                     c->wisdom_path[k->prec], hetero_strerror(wisdom_err));

    if (!p->d && !p->f)
        ret = hetero__errf(c->ctx, HETERO_EFFT,
                           "fft: FFTW could not plan %zu x %zu (%s, %s, "
                           "batch %zu)",
                           k->n, k->m,
                           k->kind == HETERO__FFT_C2C
                               ? "c2c"
                               : (k->kind == HETERO__FFT_R2C ? "r2c" : "c2r"),
                           prec_name[k->prec], k->howmany);
    if (!k->inplace)
        hetero__aligned_free(out);
out_free_in:
    hetero__aligned_free(in);
    return ret;
}

int hetero__fft_plan_get(hetero_context *ctx, const struct hetero__fft_key *key,
                         const struct hetero__fft_plan **out)
{
    struct hetero__fft_key k;
    struct plan_report rep = { 0 };
    struct fft_cache *c;
    struct fft_entry *e;
    struct fft_entry **pp;
    int ret;

    if (!ctx || !key || !out)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "fft: NULL context, key or out");
    ret = key_normalise(ctx, key, &k);
    if (ret)
        return ret;
    ret = cache_get(ctx, &c);
    if (ret)
        return ret;

    pthread_mutex_lock(&c->lock);
    for (;;) {
        e = find_entry(c, &k);
        if (!e)
            break;
        if (e->ready) {
            c->stats.hits++;
            pthread_mutex_unlock(&c->lock);
            *out = &e->plan;
            return 0;
        }
        /* Another thread is planning this key: wait for it. */
        pthread_cond_wait(&c->ready_cv, &c->lock);
    }
    e = hetero__calloc(1, sizeof(*e));
    if (!e) {
        pthread_mutex_unlock(&c->lock);
        return hetero__errf(ctx, HETERO_ENOMEM, "fft: out of memory");
    }
    e->key = k;
    e->next = c->entries;
    c->entries = e;
    pthread_mutex_unlock(&c->lock);

    ret = plan_entry(c, e, &rep);

    pthread_mutex_lock(&c->lock);
    c->stats.plan_s += rep.seconds;
    if (ret == 0) {
        e->ready = true;
        c->stats.plans++;
        c->stats.misses++;
        c->stats.from_wisdom += rep.from_wisdom;
        c->stats.measured += !rep.from_wisdom;
        c->stats.wisdom_writes += rep.wrote_wisdom;
    } else {
        pp = &c->entries;
        while (*pp != e)
            pp = &(*pp)->next;
        *pp = e->next; /* unlink the placeholder */
    }
    pthread_cond_broadcast(&c->ready_cv);
    pthread_mutex_unlock(&c->lock);
    if (ret) {
        hetero__free(e);
        return ret;
    }
    *out = &e->plan;
    return 0;
}

bool hetero__fft_fits(const struct hetero__fft_plan *p, const void *in,
                      const void *out)
{
    if (!p->aligned)
        return true;
    return alignment_of(p->prec, in) == p->in_align &&
           alignment_of(p->prec, out) == p->out_align;
}

void hetero__fft_execute(const struct hetero__fft_plan *p, void *in, void *out)
{
    if (p->prec == HETERO__FFT_F64) {
        switch (p->kind) {
        case HETERO__FFT_C2C:
            fftw_execute_dft(p->d, in, out);
            break;
        case HETERO__FFT_R2C:
            fftw_execute_dft_r2c(p->d, in, out);
            break;
        case HETERO__FFT_C2R:
            fftw_execute_dft_c2r(p->d, in, out);
            break;
        }
    } else {
        switch (p->kind) {
        case HETERO__FFT_C2C:
            fftwf_execute_dft(p->f, in, out);
            break;
        case HETERO__FFT_R2C:
            fftwf_execute_dft_r2c(p->f, in, out);
            break;
        case HETERO__FFT_C2R:
            fftwf_execute_dft_c2r(p->f, in, out);
            break;
        }
    }
}

/* p * f, or limit + 1 if that would pass `limit`. */
static size_t times_capped(size_t p, size_t f, size_t limit)
{
    return p > limit / f ? limit + 1 : p * f;
}

size_t hetero__fft_good_size(size_t n)
{
    /* Enumerate 7^d 5^c 3^b, doubling each up to n: a few thousand steps
     * for any n, where testing n, n+1, ... could take billions. */
    const size_t limit = SIZE_MAX / 8;
    size_t best = 0;
    size_t p7;
    size_t p5;
    size_t p3;

    if (n <= 1)
        return 1;
    for (p7 = 1; p7 <= limit; p7 = times_capped(p7, 7, limit)) {
        for (p5 = p7; p5 <= limit; p5 = times_capped(p5, 5, limit)) {
            for (p3 = p5; p3 <= limit; p3 = times_capped(p3, 3, limit)) {
                size_t v = p3;

                while (v < n && v <= limit / 2)
                    v *= 2;
                if (v >= n && (best == 0 || v < best))
                    best = v;
                if (p3 >= n)
                    break;
            }
            if (p5 >= n)
                break;
        }
        if (p7 >= n)
            break;
    }
    return best;
}

void hetero__fft_stats(hetero_context *ctx, struct hetero__fft_stats *out)
{
    struct fft_cache *c =
        ctx ? hetero__ctx_ext_peek(ctx, HETERO__EXT_FFT) : NULL;

    memset(out, 0, sizeof(*out));
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    *out = c->stats;
    pthread_mutex_unlock(&c->lock);
}

void hetero__fft_forget_wisdom(void)
{
    pthread_mutex_lock(&planner_lock);
    fftw_forget_wisdom();
    fftwf_forget_wisdom();
    pthread_mutex_unlock(&planner_lock);
}
