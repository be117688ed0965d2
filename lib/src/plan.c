/*
 * plan.c - plans, dispatch and the one-shot hetero_run().
 *
 * DESIGN: plan_create validates the call through the kernel's unpack(),
 * lists every candidate (each variant the caller's flags and algo allow,
 * with the pool also trying each thread count 1..T), asks each variant's
 * supports() and the cost model, and keeps the fastest predicted candidate
 * (or, with HETERO_PLAN_MEASURE, the fastest measured one). It then prepares
 * that variant once. plan_execute re-unpacks the call (cheap: pointer and
 * shape checks), runs the variant, feeds the measured time back to the cost
 * model, and, if an OpenCL variant fails under a non-strict, non-forced
 * plan, runs the best CPU candidate instead and records the fallback.
 *
 * Racing: a model cannot tell apart two candidates a few percent apart on
 * a noisy machine (pool/2 and POCL share the same cores). For a kernel
 * whose variants give bitwise the same outputs (identical_results), an
 * auto plan whose runner-up is predicted within RACE_MARGIN of its choice
 * alternates the two over its first 2 * RACE_EACH executions, on the
 * caller's real data, and keeps the one with the lower median. The caller
 * sees the same results either way; plan_info reports the race.
 */
#include <pthread.h>
#include <stdalign.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "context_internal.h"
#include "costmodel.h"
#include "kernel_api.h"
#if HETERO_WITH_OPENCL
#include "cl/cl_internal.h"
#endif /* HETERO_WITH_OPENCL */

#define MAX_ARRAYS 4
#define MAX_CANDIDATES 64
#define ARGS_MAX 512

#define RACE_MARGIN 1.5   /* runner-up predicted within this of the choice:
                             one quick-calibration point can be off by 1.9x
                             on a shared machine */
#define RACE_MIN_S 50e-6  /* below this a race is not worth its noise */
#define RACE_EACH 3       /* timed executions per side */
#define RACE_WIN 0.97     /* the runner-up must beat this fraction */

struct cand {
    struct hetero_candidate pub;
    const struct hetero_variant *v;
    struct hetero_work work; /* the variant's estimate for the plan's call */
    bool lazy; /* OpenCL not opened, but worth racing if the plan runs on */
    struct hetero__cl_device *cl; /* its OpenCL device; NULL on the CPU
                                     and until opened */
};

struct hetero_plan {
    hetero_context *ctx;
    const struct hetero_kernel *k;
    unsigned flags;
    size_t n_inputs;
    struct hetero_array in_specs[MAX_ARRAYS];  /* shapes the plan is for */
    struct hetero_array out_specs[MAX_ARRAYS];
    struct hetero_work work;

    struct cand cands[MAX_CANDIDATES];
    size_t n_cands;
    int chosen;      /* index into cands */
    int fallback;    /* best CPU candidate, -1 if none */
    void *state;     /* chosen variant's prepared state */
    void *fb_state;  /* fallback's prepared state (lazily) */
    bool fb_prepared;
    pthread_mutex_t lock; /* guards measured_s, fell_back, fb_state; never
                             held while a variant runs */
    struct hetero__cl_device *cl;

    double measured_s;
    struct hetero_exec_stats measured; /* last execution's split */
    bool fell_back;
    char reason[256];
    char device[128];

    /* Racing (see the top of the file). rival and the strings are fixed
     * at plan_create; the rest is guarded by lock. */
    int rival;            /* runner-up raced against chosen, -1 if none */
    void *rival_state;    /* prepared at its first execution */
    bool rival_prepared;
    bool racing;
    bool rival_won;
    int race_next;        /* executions handed out while racing */
    int race_done[2];     /* timed executions recorded: chosen, rival */
    double race_t[2][RACE_EACH];
    char race_reason[256];
    char rival_device[128]; /* named when the rival wins */
};

static bool algo_matches(const struct hetero_variant *v, const char *algo)
{
    if (!algo)
        return true;
    return v->algo && strcmp(v->algo, algo) == 0;
}

static unsigned forced_backends(unsigned flags)
{
    unsigned m = 0;

    if (flags & HETERO_PLAN_FORCE_SERIAL)
        m |= 1u << HETERO_BACKEND_SERIAL;
    if (flags & HETERO_PLAN_FORCE_POOL)
        m |= 1u << HETERO_BACKEND_POOL;
    if (flags & HETERO_PLAN_FORCE_OPENCL)
        m |= 1u << HETERO_BACKEND_OPENCL;
    return m ? m : ~0u;
}

static void exec_init(const hetero_plan *p, const struct cand *c,
                      void *state, struct hetero_exec *ex)
{
    memset(ex, 0, sizeof(*ex));
    ex->call = NULL;
    ex->ctx = p->ctx;
    ex->pool = p->ctx->pool;
    ex->num_threads = c->pub.num_threads ? c->pub.num_threads : 1;
    ex->cl = c->cl;
    ex->state = state;
}

/* The model's device key of candidate c: its OpenCL device's, or NULL. */
static const char *cand_device_id(const struct cand *c)
{
#if HETERO_WITH_OPENCL
    return c->cl ? hetero__cl_device_id(c->cl) : NULL;
#else
    (void)c;
    return NULL;
#endif /* HETERO_WITH_OPENCL */
}

/* What plan_info calls the device candidate c runs on. */
static void cand_device_name(const struct cand *c, char *buf, size_t n)
{
#if HETERO_WITH_OPENCL
    if (c->cl) {
        snprintf(buf, n, "%s", hetero__cl_device_name(c->cl));
        return;
    }
#endif /* HETERO_WITH_OPENCL */
    (void)c;
    snprintf(buf, n, "cpu");
}

static void add_cand(hetero_plan *p, const struct hetero_variant *v,
                     size_t threads, const void *args, bool unified)
{
    struct cand *c;
    struct hetero__prediction pr;
    struct hetero_work w = p->work;
    struct hetero_exec ex;
    const char *why = "";

    if (p->n_cands == MAX_CANDIDATES)
        return;
    c = &p->cands[p->n_cands];
    memset(c, 0, sizeof(*c));
    c->v = v;
    c->pub.backend = v->backend;
    c->pub.algo = v->algo;
    c->pub.num_threads = threads;
    c->pub.reason = "";
    c->pub.eligible = true;
    c->cl = v->backend == HETERO_BACKEND_OPENCL ? p->cl : NULL;
    exec_init(p, c, NULL, &ex);
    if (v->backend == HETERO_BACKEND_OPENCL && !p->cl) {
        c->pub.eligible = false;
        c->pub.reason = "no OpenCL device";
    } else if (v->supports && !v->supports(&ex, args, &why)) {
        c->pub.eligible = false;
        c->pub.reason = why ? why : "not supported";
    }
    if (v->work)
        v->work(args, &w);
    c->work = w;
    hetero__cost_predict(p->ctx, p->k, v, threads, cand_device_id(c), unified,
                         &w, &pr);
    c->pub.predicted_s = pr.total_s;
    c->pub.overhead_s = pr.overhead_s;
    c->pub.compute_s = pr.compute_s;
    c->pub.transfer_s = pr.transfer_s;
    c->pub.calibrated = pr.calibrated;
    p->n_cands++;
}

static int best_cand(const hetero_plan *p, bool cpu_only)
{
    int best = -1;
    size_t i;

    for (i = 0; i < p->n_cands; i++) {
        const struct cand *c = &p->cands[i];

        if (!c->pub.eligible)
            continue;
        if (cpu_only && c->v->backend == HETERO_BACKEND_OPENCL)
            continue;
        if (best < 0 || c->pub.predicted_s < p->cands[best].pub.predicted_s)
            best = (int)i;
    }
    return best;
}

/* The runner-up worth racing against the choice, or -1. */
static int pick_rival(const hetero_plan *p)
{
    const struct cand *c = &p->cands[p->chosen];
    int best = -1;
    size_t i;

    if (!(c->pub.predicted_s >= RACE_MIN_S))
        return -1;
    for (i = 0; i < p->n_cands; i++) {
        const struct cand *o = &p->cands[i];

        if ((int)i == p->chosen || !(o->pub.eligible || o->lazy))
            continue;
        if (best < 0 || o->pub.predicted_s < p->cands[best].pub.predicted_s)
            best = (int)i;
    }
    if (best < 0 ||
        !(p->cands[best].pub.predicted_s <= RACE_MARGIN * c->pub.predicted_s))
        return -1;
    return best;
}

/* A lazy OpenCL rival: opens the device and checks the variant supports
 * the call (lock held). Nothing to do for other rivals. */
static int open_rival(hetero_plan *p, const void *args)
{
#if HETERO_WITH_OPENCL
    struct cand *c = &p->cands[p->rival];
    struct hetero_exec ex;
    const char *why = "";

    if (!c->lazy || c->cl)
        return 0;
    if (hetero__cl_device_get(p->ctx, &c->cl) != 0) {
        c->cl = NULL;
        return HETERO_ENODEV;
    }
    exec_init(p, c, NULL, &ex);
    if (c->v->supports && !c->v->supports(&ex, args, &why)) {
        c->cl = NULL;
        return HETERO_ENOTSUP;
    }
#else
    (void)p;
    (void)args;
#endif /* HETERO_WITH_OPENCL */
    return 0;
}

/* Records one timed execution of the race (lock held); the last one
 * settles it. */
static void race_record(hetero_plan *p, int side, double t)
{
    double m[2];

    if (!p->racing || p->race_done[side] >= RACE_EACH)
        return;
    p->race_t[side][p->race_done[side]++] = t;
    if (p->race_done[0] < RACE_EACH || p->race_done[1] < RACE_EACH)
        return;
    p->racing = false;
    m[0] = hetero__median(p->race_t[0], RACE_EACH);
    m[1] = hetero__median(p->race_t[1], RACE_EACH);
    if (m[1] < RACE_WIN * m[0]) {
        const struct cand *r = &p->cands[p->rival];

        snprintf(p->race_reason, sizeof(p->race_reason),
                 "%s/%s%s%s on %zu thread(s): won a race against the model's "
                 "choice (median %.3g vs %.3g ms over %d runs each)",
                 p->k->name, hetero_backend_name(r->v->backend),
                 r->v->algo ? "/" : "", r->v->algo ? r->v->algo : "",
                 r->pub.num_threads, m[1] * 1e3, m[0] * 1e3, RACE_EACH);
        cand_device_name(r, p->rival_device, sizeof(p->rival_device));
        p->rival_won = true;
    }
}

static int unpack_args(hetero_plan *p, const struct hetero_call *call,
                       void *args, struct hetero_array *out_specs)
{
    return hetero__kernel_unpack(p->ctx, p->k, call, args, out_specs);
}

static int prepare_cand(hetero_plan *p, int idx, const void *args,
                        void **state)
{
    const struct cand *c = &p->cands[idx];
    struct hetero_exec ex;

    if (!c->v->prepare)
        return 0;
    exec_init(p, c, NULL, &ex);
    return c->v->prepare(&ex, args, state);
}

/* Runs prepared candidate idx. Touches no plan state, so one plan may be
 * executed by several threads at once. */
static int run_cand(hetero_plan *p, int idx, void *state, const void *args,
                    const struct hetero_call *call, double *seconds,
                    struct hetero_exec_stats *stats)
{
    const struct cand *c = &p->cands[idx];
    struct hetero_exec ex;
    double t0;
    size_t i;
    int ret;

    exec_init(p, c, state, &ex);
    ex.call = call;
    ex.stats = stats;
    t0 = hetero__now();
    ret = c->v->run(&ex, args);
    *seconds = hetero__now() - t0;
    /* The host copies of the outputs changed: device mirrors are stale. */
    if (ret == 0 && call && c->v->backend != HETERO_BACKEND_OPENCL) {
        for (i = 0; i < call->n_outputs; i++)
            hetero_buffer_mark_host_dirty(call->outputs[i].buffer);
    }
    return ret;
}

static void release_state(const struct cand *c, void **state)
{
    if (*state && c->v->release)
        c->v->release(*state);
    *state = NULL;
}

static int measure_cands(hetero_plan *p, const struct hetero_call *call,
                         const void *args)
{
    /* Time each eligible candidate once on scratch outputs, keep the best. */
    struct hetero_call c = *call;
    struct hetero_array outs[MAX_ARRAYS] = { { 0 } };
    alignas(max_align_t) unsigned char margs[ARGS_MAX];
    double best_t = 0.0;
    int best = -1;
    size_t i;
    int ret;

    (void)args;
    for (i = 0; i < c.n_inputs; i++) {
        if (!c.inputs[i].data)
            return hetero__errf(p->ctx, HETERO_EINVAL,
                                "%s: HETERO_PLAN_MEASURE needs input data",
                                p->k->name);
    }
    for (i = 0; i < p->k->n_outputs; i++) {
        ret = hetero_array_alloc(p->ctx, p->out_specs[i].dtype,
                                 p->out_specs[i].ndim, p->out_specs[i].shape,
                                 &outs[i]);
        if (ret)
            goto out_free;
    }
    c.outputs = outs;
    c.n_outputs = p->k->n_outputs;
    ret = unpack_args(p, &c, margs, p->out_specs);
    if (ret)
        goto out_free;
    for (i = 0; i < p->n_cands; i++) {
        void *st = NULL;
        double t;

        if (!p->cands[i].pub.eligible)
            continue;
        if (prepare_cand(p, (int)i, margs, &st) != 0 ||
            run_cand(p, (int)i, st, margs, &c, &t, NULL) != 0) {
            p->cands[i].pub.eligible = false;
            p->cands[i].pub.reason = "failed when measured";
        } else {
            /* The first run pays for preparation: time a second one. */
            if (run_cand(p, (int)i, st, margs, &c, &t, NULL) == 0) {
                p->cands[i].pub.predicted_s = t;
                p->cands[i].pub.calibrated = true;
                if (best < 0 || t < best_t) {
                    best = (int)i;
                    best_t = t;
                }
            }
        }
        release_state(&p->cands[i], &st);
    }
    ret = best < 0 ? HETERO_ENOTSUP : 0;
out_free:
    for (i = 0; i < MAX_ARRAYS; i++)
        hetero_array_free(&outs[i]);
    return ret;
}

/*
 * Adds the OpenCL candidates. Opening the OpenCL device costs tens of ms the
 * first time in a context (driver start-up), so under auto it is opened
 * only when an OpenCL variant could win: when its optimistic uncalibrated
 * prediction (launch overhead, no transfers) beats the best CPU candidate.
 * Forced OpenCL and MEASURE always open it.
 */
static int add_cl_cands(hetero_plan *p, const void *args, const char *algo,
                        unsigned flags)
{
    const struct hetero_kernel *k = p->k;
    bool forced = (flags & HETERO_PLAN_FORCE_OPENCL) != 0;
    bool unified = false;
    const char *skip = NULL;
    size_t first = p->n_cands;
    size_t i;

#if HETERO_WITH_OPENCL
    int best = best_cand(p, true);
    bool worth = forced || (flags & HETERO_PLAN_MEASURE) || best < 0;
    /* Close enough to race (see the top of the file): the device is then
     * opened at the plan's second execution, never by a one-shot call. */
    bool race = false;

    for (i = 0; i < k->n_variants && !worth; i++) {
        const struct hetero_variant *v = &k->variants[i];
        struct hetero__prediction pr;
        struct hetero_work w = p->work;

        if (v->backend != HETERO_BACKEND_OPENCL || !algo_matches(v, algo))
            continue;
        if (v->work)
            v->work(args, &w);
        hetero__cost_predict(p->ctx, k, v, 1, NULL, true, &w, &pr);
        worth = pr.total_s < p->cands[best].pub.predicted_s;
        if (k->identical_results && forced_backends(flags) == ~0u &&
            p->cands[best].pub.predicted_s >= RACE_MIN_S &&
            pr.total_s <= RACE_MARGIN * p->cands[best].pub.predicted_s)
            race = true;
    }
    if (worth) {
        int ret = hetero__cl_device_get(p->ctx, &p->cl);

        if (ret) {
            p->cl = NULL;
            if (forced)
                return ret; /* errmsg says why (no device, bad override) */
            skip = "no OpenCL device";
        } else {
            unified = hetero__cl_device_unified(p->cl);
        }
    } else if (race) {
        skip = "not opened: the CPU is predicted faster; raced from the "
               "plan's second execution";
    } else {
        skip = "not opened: the CPU is predicted faster than an OpenCL "
               "launch";
    }
#else
    skip = "built without OpenCL";
    if (forced)
        return hetero__errf(p->ctx, HETERO_ENODEV,
                            "no OpenCL device: libhetero was built without "
                            "OpenCL");
#endif /* HETERO_WITH_OPENCL */
    for (i = 0; i < k->n_variants; i++) {
        const struct hetero_variant *v = &k->variants[i];

        if (v->backend == HETERO_BACKEND_OPENCL && algo_matches(v, algo))
            add_cand(p, v, 1, args, unified);
    }
    for (i = first; skip && i < p->n_cands; i++) {
        p->cands[i].pub.eligible = false;
        p->cands[i].pub.reason = skip;
#if HETERO_WITH_OPENCL
        p->cands[i].lazy = race && !worth;
#endif /* HETERO_WITH_OPENCL */
    }
    return 0;
}

/* Validates, lists and predicts the candidates, chooses; with `prepare`
 * also prepares the chosen variant (a predict-only plan, for
 * hetero_crossover, skips that and must not be executed). */
static int plan_build(hetero_context *ctx, const hetero_kernel *k,
                      const struct hetero_call *call,
                      const struct hetero_plan_opts *opts, bool prepare,
                      hetero_plan **out)
{
    struct hetero_plan_opts defaults = { 0 };
    alignas(max_align_t) unsigned char args[ARGS_MAX];
    unsigned mask;
    const char *algo;
    bool has_cl = false;
    hetero_plan *p;
    size_t i;
    size_t t;
    int ret;

    if (!ctx || !k || !call || !out)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "plan_create: NULL context, kernel, call or out");
    if (!opts)
        opts = &defaults;
    if (opts->num_threads > ctx->num_threads)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "plan_create: %zu threads requested, the pool "
                            "has %zu",
                            opts->num_threads, ctx->num_threads);
    if (k->args_size > ARGS_MAX || call->n_inputs > MAX_ARRAYS ||
        k->n_outputs > MAX_ARRAYS)
        return hetero__errf(ctx, HETERO_ENOTSUP, "%s: kernel too large",
                            k->name);
    p = hetero__calloc(1, sizeof(*p));
    if (!p)
        return hetero__errf(ctx, HETERO_ENOMEM, "plan_create: out of memory");
    p->ctx = ctx;
    p->k = k;
    p->flags = opts->flags;
    p->fallback = -1;
    p->rival = -1;
    ret = unpack_args(p, call, args, p->out_specs);
    if (ret)
        goto out_free;
    p->n_inputs = call->n_inputs;
    for (i = 0; i < call->n_inputs; i++) {
        p->in_specs[i] = call->inputs[i];
        p->in_specs[i].data = NULL;
        p->in_specs[i].buffer = NULL;
    }
    k->work(args, &p->work);

    algo = opts->algo ? opts->algo : hetero__param(call, "algo");
    mask = forced_backends(opts->flags);
    for (i = 0; i < k->n_variants; i++) {
        const struct hetero_variant *v = &k->variants[i];

        if (!(mask & (1u << v->backend)) || !algo_matches(v, algo))
            continue;
        if (v->backend == HETERO_BACKEND_OPENCL) {
            has_cl = true;
        } else if (v->backend != HETERO_BACKEND_POOL) {
            add_cand(p, v, 1, args, false);
        } else if (opts->num_threads) {
            add_cand(p, v, opts->num_threads, args, false);
        } else if (opts->flags & HETERO_PLAN_FORCE_POOL) {
            add_cand(p, v, ctx->num_threads, args, false);
        } else {
            for (t = 1; t <= ctx->num_threads; t++)
                add_cand(p, v, t, args, false);
        }
    }
    if (has_cl) {
        ret = add_cl_cands(p, args, algo, opts->flags);
        if (ret)
            goto out_free;
    }
    if (p->n_cands == 0 && (opts->flags & HETERO_PLAN_FORCE_OPENCL) &&
        !has_cl) {
        ret = hetero__errf(ctx, HETERO_ENOTSUP, "%s has no OpenCL variant%s%s",
                           k->name, algo ? " for algo=" : "",
                           algo ? algo : "");
        goto out_free;
    }
    if (p->n_cands == 0) {
        ret = hetero__errf(ctx, HETERO_ENOTSUP,
                           "%s: no variant matches the requested device%s%s",
                           k->name, algo ? " and algo=" : "",
                           algo ? algo : "");
        goto out_free;
    }
    if (opts->flags & HETERO_PLAN_MEASURE) {
        ret = measure_cands(p, call, args);
        if (ret)
            goto out_free;
    }
    p->chosen = best_cand(p, false);
    if (p->chosen < 0) {
        ret = hetero__errf(ctx, HETERO_ENOTSUP, "%s: %s", k->name,
                           p->cands[0].pub.reason);
        goto out_free;
    }
    if (p->cands[p->chosen].v->backend == HETERO_BACKEND_OPENCL &&
        !(opts->flags & (HETERO_PLAN_STRICT | HETERO_PLAN_FORCE_OPENCL)))
        p->fallback = best_cand(p, true);

    {
        const struct cand *c = &p->cands[p->chosen];
        const char *how = (opts->flags & HETERO_PLAN_MEASURE)
                              ? "measured fastest"
                              : (mask != ~0u ? "forced by the caller"
                                             : (c->pub.calibrated
                                                    ? "calibrated model"
                                                    : "uncalibrated defaults"));
        snprintf(p->reason, sizeof(p->reason),
                 "%s/%s%s%s on %zu thread(s): %s, %zu candidate(s)", k->name,
                 hetero_backend_name(c->v->backend), c->v->algo ? "/" : "",
                 c->v->algo ? c->v->algo : "", c->pub.num_threads, how,
                 p->n_cands);
        cand_device_name(c, p->device, sizeof(p->device));
    }

    /* Prepare the chosen variant now (FFTW plans, OpenCL programs). */
    if (prepare) {
        const struct cand *c = &p->cands[p->chosen];
        struct hetero_exec ex;

        exec_init(p, c, NULL, &ex);
        if (c->v->prepare) {
            ret = c->v->prepare(&ex, args, &p->state);
            if (ret && p->fallback >= 0) {
                p->fell_back = true;
                p->chosen = p->fallback;
                p->fallback = -1;
                p->state = NULL;
                c = &p->cands[p->chosen];
                exec_init(p, c, NULL, &ex);
                ret = c->v->prepare ? c->v->prepare(&ex, args, &p->state) : 0;
                cand_device_name(c, p->device, sizeof(p->device));
            }
            if (ret)
                goto out_free;
        }
    }
    if (prepare && k->identical_results && mask == ~0u && !p->fell_back &&
        !(opts->flags & HETERO_PLAN_MEASURE)) {
        p->rival = pick_rival(p);
        p->racing = p->rival >= 0;
    }
    ret = pthread_mutex_init(&p->lock, NULL);
    if (ret) {
        release_state(&p->cands[p->chosen], &p->state);
        ret = hetero__errf(ctx, -ret, "plan_create: pthread_mutex_init");
        goto out_free;
    }
    atomic_fetch_add(&ctx->live_plans, 1);
    *out = p;
    return 0;

out_free:
    hetero__free(p);
    return ret;
}

int hetero_plan_create_opts(hetero_context *ctx, const hetero_kernel *k,
                            const struct hetero_call *call,
                            const struct hetero_plan_opts *opts,
                            hetero_plan **out)
{
    return plan_build(ctx, k, call, opts, true, out);
}

int hetero_plan_create(hetero_context *ctx, const hetero_kernel *k,
                       const struct hetero_call *call, unsigned flags,
                       hetero_plan **out)
{
    struct hetero_plan_opts opts = { .flags = flags };

    return hetero_plan_create_opts(ctx, k, call, &opts, out);
}

static bool same_spec(const struct hetero_array *a,
                      const struct hetero_array *b)
{
    return a->dtype == b->dtype && a->ndim == b->ndim &&
           memcmp(a->shape, b->shape, (size_t)a->ndim * sizeof(a->shape[0])) ==
               0;
}

int hetero_plan_execute(hetero_plan *p, struct hetero_call *call)
{
    struct hetero_exec_stats stats = { 0 };
    alignas(max_align_t) unsigned char args[ARGS_MAX];
    struct hetero_array specs[MAX_ARRAYS];
    struct hetero_work w;
    void *state;
    bool racing = false;
    int side = 0;
    int idx;
    double t;
    size_t i;
    int ret;

    if (!p || !call)
        return hetero__errf(p ? p->ctx : NULL, HETERO_EINVAL,
                            "plan_execute: NULL plan or call");
    if (call->n_inputs != p->n_inputs || call->n_outputs != p->k->n_outputs)
        return hetero__errf(p->ctx, HETERO_EINVAL,
                            "%s: execute needs %zu inputs and %zu outputs",
                            p->k->name, p->n_inputs, p->k->n_outputs);
    for (i = 0; i < call->n_inputs; i++) {
        if (!same_spec(&call->inputs[i], &p->in_specs[i]))
            return hetero__errf(p->ctx, HETERO_EINVAL,
                                "%s: input %zu differs from the plan's shape "
                                "or dtype",
                                p->k->name, i);
        if (!call->inputs[i].data)
            return hetero__errf(p->ctx, HETERO_EINVAL,
                                "%s: input %zu has no data", p->k->name, i);
    }
    for (i = 0; i < call->n_outputs; i++) {
        if (!call->outputs[i].data)
            return hetero__errf(p->ctx, HETERO_EINVAL,
                                "%s: output %zu has no data", p->k->name, i);
    }
    ret = unpack_args(p, call, args, specs);
    if (ret)
        return ret;
    idx = p->chosen;
    state = p->state;
    if (p->rival >= 0) {
        pthread_mutex_lock(&p->lock);
        if (p->racing) {
            racing = true;
            side = p->race_next++ % 2;
            if (side == 1 && !p->rival_prepared) {
                if (open_rival(p, args) == 0 &&
                    prepare_cand(p, p->rival, args, &p->rival_state) == 0) {
                    p->rival_prepared = true;
                } else {
                    p->racing = false;
                    racing = false;
                    side = 0;
                }
            }
        } else if (p->rival_won) {
            side = 1;
        }
        if (side == 1) {
            idx = p->rival;
            state = p->rival_state;
        }
        pthread_mutex_unlock(&p->lock);
    }
    ret = run_cand(p, idx, state, args, call, &t, &stats);
    if (ret != 0 && idx != p->chosen) {
        /* The runner-up failed: the race is over, the choice runs. */
        pthread_mutex_lock(&p->lock);
        p->racing = false;
        p->rival_won = false;
        pthread_mutex_unlock(&p->lock);
        racing = false;
        idx = p->chosen;
        state = p->state;
        memset(&stats, 0, sizeof(stats));
        ret = run_cand(p, idx, state, args, call, &t, &stats);
    }
    if (ret == 0) {
        pthread_mutex_lock(&p->lock);
        p->measured_s = t;
        p->measured = stats;
        if (racing)
            race_record(p, side, t);
        pthread_mutex_unlock(&p->lock);
        w = p->work;
        if (p->cands[idx].v->work)
            p->cands[idx].v->work(args, &w);
        hetero__cost_observe(p->ctx, p->k, p->cands[idx].v,
                             p->cands[idx].pub.num_threads,
                             cand_device_id(&p->cands[idx]), &w, t);
        return 0;
    }
    if (idx != p->chosen || p->fallback < 0 ||
        p->cands[p->chosen].v->backend != HETERO_BACKEND_OPENCL)
        return ret;
    hetero__logf(p->ctx, HETERO_LOG_WARN,
                 "%s: OpenCL variant failed (%s: %s), falling back to CPU",
                 p->k->name, hetero_err_name(ret),
                 hetero_context_errmsg(p->ctx));
    pthread_mutex_lock(&p->lock);
    ret = p->fb_prepared ? 0 : prepare_cand(p, p->fallback, args, &p->fb_state);
    p->fb_prepared = ret == 0;
    pthread_mutex_unlock(&p->lock);
    if (ret == 0) {
        memset(&stats, 0, sizeof(stats));
        ret = run_cand(p, p->fallback, p->fb_state, args, call, &t, &stats);
    }
    if (ret == 0) {
        pthread_mutex_lock(&p->lock);
        p->fell_back = true;
        p->measured_s = t;
        p->measured = stats;
        pthread_mutex_unlock(&p->lock);
    }
    return ret;
}

void hetero_plan_destroy(hetero_plan *p)
{
    if (!p)
        return;
    release_state(&p->cands[p->chosen], &p->state);
    if (p->rival >= 0)
        release_state(&p->cands[p->rival], &p->rival_state);
    if (p->fallback >= 0)
        release_state(&p->cands[p->fallback], &p->fb_state);
    atomic_fetch_sub(&p->ctx->live_plans, 1);
    pthread_mutex_destroy(&p->lock);
    hetero__free(p);
}

void hetero__plan_work(const hetero_plan *p, struct hetero_work *w)
{
    *w = p->cands[p->chosen].work;
}

const struct hetero_variant *hetero__plan_variant(const hetero_plan *p,
                                                  size_t *threads,
                                                  const char **device)
{
    const struct cand *c = &p->cands[p->chosen];

    *threads = c->pub.num_threads;
    *device = cand_device_id(c);
    return c->v;
}

int hetero_plan_info(const hetero_plan *p, struct hetero_plan_info *out)
{
    hetero_plan *mp = (hetero_plan *)p; /* the lock is not logical state */
    struct hetero_exec_stats split;
    const struct cand *c;
    bool fell_back;
    bool rival_won;
    double measured;

    if (!p || !out)
        return HETERO_EINVAL;
    pthread_mutex_lock(&mp->lock);
    fell_back = p->fell_back;
    rival_won = p->rival_won;
    measured = p->measured_s;
    split = p->measured;
    pthread_mutex_unlock(&mp->lock);
    c = fell_back && p->fallback >= 0
            ? &p->cands[p->fallback]
            : &p->cands[rival_won ? p->rival : p->chosen];
    memset(out, 0, sizeof(*out));
    out->kernel = p->k->name;
    out->backend = c->v->backend;
    out->algo = c->v->algo;
    out->num_threads = c->pub.num_threads;
    out->predicted_s = c->pub.predicted_s;
    out->measured_s = measured;
    out->calibrated = c->pub.calibrated;
    out->fell_back = fell_back;
    out->reason = rival_won ? p->race_reason : p->reason;
    out->device = fell_back ? "cpu" : (rival_won ? p->rival_device : p->device);
    out->n_candidates = p->n_cands;
    if (split.valid) {
        double rest = measured - split.transfer_s - split.compute_s;

        out->measured_transfer_s = split.transfer_s;
        out->measured_compute_s = split.compute_s;
        out->measured_overhead_s = rest > 0.0 ? rest : 0.0;
    } else {
        out->measured_compute_s = measured;
    }
    return 0;
}

int hetero_plan_candidate(const hetero_plan *p, size_t i,
                          struct hetero_candidate *out)
{
    if (!p || !out || i >= p->n_cands)
        return HETERO_EINVAL;
    *out = p->cands[i].pub;
    return 0;
}

int hetero_run(hetero_context *ctx, const hetero_kernel *k,
               struct hetero_call *call, unsigned flags)
{
    hetero_plan *p;
    int ret;

    ret = hetero_plan_create(ctx, k, call, flags, &p);
    if (ret)
        return ret;
    ret = hetero_plan_execute(p, call);
    hetero_plan_destroy(p);
    return ret;
}

/* ---- crossover: where each candidate overtakes serial, by the model ---- */

/* The call with its leading dimension (or, without inputs, its first
 * parameter) set to `size`. */
struct sized_call {
    struct hetero_array in[MAX_ARRAYS];
    struct hetero_param params[16];
    char value[32];
    struct hetero_call call;
};

static int size_call(const struct hetero_kernel *k,
                     const struct hetero_call *tmpl, size_t size,
                     struct sized_call *sc)
{
    size_t i;

    if (tmpl->n_inputs > MAX_ARRAYS || tmpl->n_params >= 16)
        return HETERO_EINVAL;
    sc->call = *tmpl;
    sc->call.outputs = NULL;
    sc->call.n_outputs = 0;
    if (tmpl->n_inputs > 0) {
        for (i = 0; i < tmpl->n_inputs; i++) {
            sc->in[i] = tmpl->inputs[i];
            sc->in[i].data = NULL;
            if (sc->in[i].ndim > 0)
                sc->in[i].shape[0] = size;
        }
        sc->call.inputs = sc->in;
        return 0;
    }
    if (k->n_params == 0)
        return HETERO_EINVAL;
    /* No arrays: the first parameter is the size (mcpi's samples). */
    snprintf(sc->value, sizeof(sc->value), "%zu", size);
    sc->params[0].name = k->params[0].name;
    sc->params[0].value = sc->value;
    for (i = 0; i < tmpl->n_params; i++)
        sc->params[i + 1] = tmpl->params[i];
    sc->call.params = sc->params;
    sc->call.n_params = tmpl->n_params + 1;
    return 0;
}

/* Predicted times at `size`: best serial, and each candidate's. */
static int predict_at(hetero_context *ctx, const struct hetero_kernel *k,
                      const struct hetero_call *tmpl, size_t size,
                      struct hetero_crossover *out, size_t n_out,
                      size_t *n, double *serial)
{
    struct sized_call sc;
    hetero_plan *p = NULL;
    size_t i;
    int ret;

    ret = size_call(k, tmpl, size, &sc);
    if (ret)
        return hetero__errf(ctx, ret, "crossover: bad template call");
    ret = plan_build(ctx, k, &sc.call, NULL, false, &p);
    if (ret)
        return ret;
    *serial = 0.0;
    for (i = 0; i < p->n_cands; i++) {
        const struct hetero_candidate *c = &p->cands[i].pub;

        if (c->eligible && c->backend == HETERO_BACKEND_SERIAL &&
            (*serial == 0.0 || c->predicted_s < *serial))
            *serial = c->predicted_s;
    }
    *n = p->n_cands < n_out ? p->n_cands : n_out;
    for (i = 0; i < *n; i++) {
        out[i].backend = p->cands[i].pub.backend;
        out[i].algo = p->cands[i].pub.algo;
        out[i].num_threads = p->cands[i].pub.num_threads;
        out[i].calibrated = p->cands[i].pub.calibrated;
        /* Park the prediction in `size` for the caller (a double's bits
         * do not fit; use the ratio instead). */
        out[i].ratio = p->cands[i].pub.eligible
                           ? p->cands[i].pub.predicted_s / *serial
                           : HUGE_VAL;
    }
    hetero_plan_destroy(p);
    return 0;
}

int hetero_crossover(hetero_context *ctx, const hetero_kernel *k,
                     const struct hetero_call *tmpl, size_t max_size,
                     struct hetero_crossover *out, size_t n_out,
                     size_t *n_found)
{
    struct hetero_crossover cur[MAX_CANDIDATES];
    size_t sizes[64];
    size_t n_sizes = 0;
    size_t n = 0;
    size_t s;
    size_t i;
    double serial;
    int ret;

    if (!ctx || !k || !tmpl || !out || !n_found || max_size == 0 ||
        n_out == 0)
        return hetero__errf(ctx, HETERO_EINVAL, "crossover: bad arguments");
    /* Sizes 1, 2, 4, ... and max_size. */
    for (s = 1; s < max_size && n_sizes < 63; s *= 2)
        sizes[n_sizes++] = s;
    sizes[n_sizes++] = max_size;

    ret = predict_at(ctx, k, tmpl, sizes[0], out, n_out, &n, &serial);
    if (ret)
        return ret;
    for (i = 0; i < n; i++) {
        out[i].size = out[i].ratio < 1.0 ? 1 : 0; /* 0: not (yet) */
        out[i].wins_at_max = out[i].ratio < 1.0;
    }
    for (s = 1; s < n_sizes; s++) {
        size_t m = 0;

        ret = predict_at(ctx, k, tmpl, sizes[s], cur, MAX_CANDIDATES, &m,
                         &serial);
        if (ret)
            return ret;
        for (i = 0; i < n && i < m; i++) {
            bool wins = cur[i].ratio < 1.0;

            if (wins && !out[i].wins_at_max) {
                /* Bisect between the previous size (loses) and this. */
                size_t lo = sizes[s - 1];
                size_t hi = sizes[s];

                while (hi - lo > 1 && hi - lo > lo / 64) {
                    size_t mid = lo + (hi - lo) / 2;
                    struct hetero_crossover tmp[MAX_CANDIDATES];
                    size_t mm = 0;
                    double ser;

                    ret = predict_at(ctx, k, tmpl, mid, tmp, MAX_CANDIDATES,
                                     &mm, &ser);
                    if (ret)
                        return ret;
                    if (i < mm && tmp[i].ratio < 1.0)
                        hi = mid;
                    else
                        lo = mid;
                }
                out[i].size = hi;
            } else if (!wins) {
                out[i].size = 0; /* loses again: no crossover so far */
            }
            out[i].wins_at_max = wins;
            out[i].ratio = cur[i].ratio;
            out[i].calibrated = cur[i].calibrated;
        }
    }
    *n_found = n;
    return 0;
}
