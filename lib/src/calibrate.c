/*
 * calibrate.c - hetero_calibrate(): measure every variant, fit, save.
 *
 * DESIGN: the leading (batch) dimension of a kernel's default workload
 * (its hetero-run --shape default) is swept over sizes spaced geometrically
 * from 1 to its default value, a family of sizes the kernel is really used
 * at: about one size per decade in quick mode, two in full mode, at least
 * 5 (10). A candidate stops growing once its run takes longer than a
 * per-point limit, unless it is a contender at that size (within
 * CONTENDER of the best candidate: the choice there depends on it), and
 * contenders stop at a higher limit; above their last point the fitted
 * line extrapolates them. Every candidate the dispatcher could pick
 * (serial, the pool on each thread count 1..T, every algorithm, the OpenCL
 * device) is planned with the matching FORCE flag and timed: one warm-up
 * run thrown away, then the median of R runs (outliers cannot move a
 * median).
 *
 * A shared machine has slow phases (another process, a descheduled vCPU)
 * that last longer than a point's runs, so: at each size the candidates'
 * runs are interleaved in rotated rounds (a phase hits all of them alike
 * and cannot flip a comparison), and the sizes are swept PASSES times for
 * the candidates that use several cores (the pool on T > 1 threads,
 * OpenCL), each point keeping the lowest of its passes' medians (noise
 * only adds time; losing one of two cores for a while halves them).
 *
 * Each candidate's (work, time) points are fitted with
 * hetero__cost_fit_robust (a point far slower than the line is left out of
 * the fit) and published after hetero__cost_clean_points (more work never
 * takes less time; lone spikes are dropped), which the predictions
 * interpolate. The file is saved once at the end. Kernels without inputs
 * (mcpi) scale their first numeric parameter instead of a shape.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context_internal.h"
#include "costmodel.h"
#if HETERO_WITH_OPENCL
#include "cl/cl_internal.h"
#endif /* HETERO_WITH_OPENCL */

#define MAX_SIZES HETERO__COST_MAX_POINTS
#define MAX_ARR 4
#define MAX_REPS 16
/* Sweeps over the sizes; a point keeps the lowest of its passes' medians. */
#define PASSES 2
/* A candidate within this factor of the best at a size is a contender. */
#define CONTENDER 1.25

struct cal_point {
    double w;
    double t;
};

struct cal_cand {
    const struct hetero_variant *v;
    unsigned flags;
    size_t threads;
    struct cal_point pts[MAX_SIZES];
    size_t n;
    bool stopped; /* grew too slow: larger sizes skipped */
    bool contender; /* within CONTENDER of the best at its last size */
    double last_size; /* leading size (or parameter) of the last point */
    bool failed;
    int at[MAX_SIZES]; /* pts index of each size of the sweep, or -1 */
};



/* Scales the leading (batch or count) dimension by `f`, at least 1: the
 * other dimensions define what one item is and stay as they are. */
static void scale_shape(const size_t *in, int nd, double f, size_t *out)
{
    double want = (double)in[0] * f;
    int d;

    for (d = 0; d < nd; d++)
        out[d] = in[d];
    out[0] = want < 1.0 ? 1 : (size_t)llround(want);
}

/* Plans candidate c for `call` and runs it once (warm-up, thrown away).
 * *plan stays NULL when the candidate cannot run the call. */
static int prepare_cand(hetero_context *ctx, const struct hetero_kernel *k,
                        const struct cal_cand *c, struct hetero_call *call,
                        hetero_plan **plan, double *w)
{
    struct hetero_plan_opts o = { .flags = c->flags,
                                  .num_threads = c->threads,
                                  .algo = c->v->algo };
    struct hetero_work work;
    size_t th;
    const char *dev;
    int ret;

    *plan = NULL;
    ret = hetero_plan_create_opts(ctx, k, call, &o, plan);
    if (ret)
        return ret;
    if (hetero__plan_variant(*plan, &th, &dev) != c->v)
        ret = HETERO_ENOTSUP; /* another variant matched the flags */
    if (ret == 0) {
        hetero__plan_work(*plan, &work);
        *w = hetero__work_units(&work);
        ret = hetero_plan_execute(*plan, call);
    }
    if (ret) {
        hetero_plan_destroy(*plan);
        *plan = NULL;
    }
    return ret;
}

/*
 * Times the candidates in `live` (plans already warmed up) in rounds: in
 * round r each runs once, the order rotated by r, so that a slow phase of
 * the machine (another process, a descheduled vCPU) is shared by all of
 * them instead of landing on one candidate's back-to-back repeats. A
 * candidate whose run fails drops out (t[] entry set to -1).
 */
static void time_rounds(hetero_plan **plans, struct hetero_call *call,
                        size_t n, int reps, double (*t)[MAX_REPS])
{
    int r;
    size_t i;

    for (r = 0; r < reps; r++) {
        for (i = 0; i < n; i++) {
            size_t j = (i + (size_t)r) % n;
            double t0;

            if (!plans[j] || t[j][0] < 0.0)
                continue;
            t0 = hetero__now();
            if (hetero_plan_execute(plans[j], call) != 0) {
                t[j][0] = -1.0;
                continue;
            }
            t[j][r] = hetero__now() - t0;
        }
    }
}

static int calibrate_kernel(hetero_context *ctx, const struct hetero_kernel *k,
                            bool quick, hetero_progress_fn progress,
                            void *user, double base, double span)
{
    /* Leading sizes geometrically spaced from 1 to the default workload's:
     * small sizes expose the overhead term, large ones the rate. */
    double factors[MAX_SIZES];
    size_t nf;
    double max_size = 1.0;
    /* A candidate whose run exceeds `slow` stops growing unless it is a
     * contender at that size (near the best: the choice there depends on
     * it, and extrapolating it would decide by the fitted line alone);
     * contenders stop past `limit`. */
    double slow = quick ? 0.05 : 0.5;
    double limit = quick ? 0.12 : 1.0;
    double best;
    int reps = quick ? 3 : 7;
    struct cal_cand *cands;
    hetero_plan **plans;
    double (*times)[MAX_REPS];
    double *works;
    size_t n_cands = 0;
    size_t cap;
    size_t base_shape[HETERO_MAX_NDIM];
    size_t prev0 = 0;
    double cur_size = 1.0;
    int nd = 0;
    size_t step;
    size_t f;
    size_t i;
    size_t t;
    int ret = 0;

    if (k->n_inputs > 0) {
        if (hetero_shape_parse(k->default_shape, &nd, base_shape))
            return hetero__errf(ctx, HETERO_EINVAL,
                                "%s: bad default shape '%s'", k->name,
                                k->default_shape);
    }
    if (k->n_inputs > 0)
        max_size = (double)base_shape[0];
    else if (k->n_params > 0 && k->params[0].default_value)
        max_size = strtod(k->params[0].default_value, NULL);
    if (!(max_size >= 1.0))
        max_size = 1.0;
    /* About one size per decade (quick) or two, at least 5 (10). */
    nf = (size_t)ceil(log10(max_size) - 1e-9) * (quick ? 1 : 2) + 1;
    if (nf < (quick ? 5u : 10u))
        nf = quick ? 5 : 10;
    if (nf > MAX_SIZES)
        nf = MAX_SIZES;
    for (f = 0; f < nf; f++)
        factors[f] = pow(max_size, (double)f / (double)(nf - 1)) / max_size;
    factors[nf - 1] = 1.0;
    cap = k->n_variants * (ctx->num_threads + 1);
    cands = hetero__calloc(cap, sizeof(*cands));
    plans = hetero__calloc(cap, sizeof(*plans));
    times = hetero__calloc(cap, sizeof(*times));
    works = hetero__calloc(cap, sizeof(*works));
    if (!cands || !plans || !times || !works) {
        hetero__free(cands);
        hetero__free(plans);
        hetero__free(times);
        hetero__free(works);
        return hetero__errf(ctx, HETERO_ENOMEM, "calibrate: out of memory");
    }
    for (i = 0; i < k->n_variants; i++) {
        const struct hetero_variant *v = &k->variants[i];

        if (v->backend == HETERO_BACKEND_POOL) {
            for (t = 1; t <= ctx->num_threads; t++) {
                cands[n_cands].v = v;
                cands[n_cands].flags = HETERO_PLAN_FORCE_POOL;
                cands[n_cands++].threads = t;
            }
        } else {
            cands[n_cands].v = v;
            cands[n_cands].flags = v->backend == HETERO_BACKEND_SERIAL
                                       ? HETERO_PLAN_FORCE_SERIAL
                                       : HETERO_PLAN_FORCE_OPENCL;
            cands[n_cands++].threads = 1;
        }
    }

    for (i = 0; i < n_cands; i++) {
        for (f = 0; f < MAX_SIZES; f++)
            cands[i].at[f] = -1;
    }
    for (step = 0; step < nf * PASSES && ret == 0; step++) {
        size_t pass = step / nf;
        struct hetero_array in[MAX_ARR] = { { 0 } };
        struct hetero_array out[MAX_ARR] = { { 0 } };
        struct hetero_param param = { 0 };
        char pval[32];
        struct hetero_call call = { 0 };
        size_t shape[HETERO_MAX_NDIM];
        char what[128];

        f = step % nf;
        if (k->n_inputs > 0) {
            scale_shape(base_shape, nd, factors[f], shape);
            if (f > 0 && shape[0] == prev0)
                continue; /* same size as the previous factor */
            prev0 = shape[0];
            cur_size = (double)shape[0];
            ret = hetero_kernel_input_specs(ctx, k, nd, shape, HETERO_F64,
                                            in);
            for (i = 0; i < k->n_inputs && ret == 0; i++) {
                struct hetero_array spec = in[i];

                ret = hetero_array_alloc(ctx, spec.dtype, spec.ndim,
                                         spec.shape, &in[i]);
                if (ret == 0)
                    ret = hetero_array_fill_uniform(&in[i], 1234 + i);
            }
        } else if (k->n_params > 0 && k->params[0].default_value) {
            /* No arrays: scale the first (size) parameter. */
            double d = strtod(k->params[0].default_value, NULL) * factors[f];

            cur_size = d < 1.0 ? 1.0 : d;

            snprintf(pval, sizeof(pval), "%.0f", d < 1.0 ? 1.0 : d);
            param.name = k->params[0].name;
            param.value = pval;
            call.params = &param;
            call.n_params = 1;
        }
        call.inputs = in;
        call.n_inputs = k->n_inputs;
        call.outputs = out;
        if (ret == 0)
            ret = hetero_call_alloc_outputs(ctx, k, &call);
        /* Plan and warm up every candidate still growing, then time them
         * side by side (time_rounds). */
        for (i = 0; i < n_cands && ret == 0; i++) {
            struct cal_cand *c = &cands[i];

            plans[i] = NULL;
            times[i][0] = 0.0;
            if (c->failed)
                continue;
            if (pass > 0) {
                /* Later passes measure again what the first measured, for
                 * the candidates that use several cores: a phase where one
                 * of them is taken away is what they are exposed to. */
                if (c->at[f] < 0 || (c->threads < 2 &&
                                     c->v->backend != HETERO_BACKEND_OPENCL))
                    continue;
            } else if (c->stopped) {
                continue;
            } else if (c->n > 0) {
                /* Work grows at least linearly with the batch: a point
                 * that would take several times the limit is not worth
                 * its time (the fitted line extrapolates it). */
                double next = c->pts[c->n - 1].t * cur_size / c->last_size;

                if (next > limit || (next > 4 * slow && !c->contender)) {
                    c->stopped = true;
                    continue;
                }
            }
            if (progress) {
                snprintf(what, sizeof(what), "%s %s%s%s x%zu", k->name,
                         hetero_backend_name(c->v->backend),
                         c->v->algo ? "/" : "", c->v->algo ? c->v->algo : "",
                         c->threads);
                progress(user,
                         base + span * ((double)step * (double)n_cands +
                                        (double)i) /
                                    ((double)(nf * PASSES) * (double)n_cands),
                         what);
            }
            if (prepare_cand(ctx, k, c, &call, &plans[i], &works[i]) != 0)
                c->failed = true; /* e.g. no OpenCL device: not calibrated */
        }
        if (ret == 0)
            time_rounds(plans, &call, n_cands, reps, times);
        best = INFINITY;
        for (i = 0; i < n_cands; i++) {
            struct cal_cand *c = &cands[i];
            double med;

            if (!plans[i])
                continue;
            hetero_plan_destroy(plans[i]);
            plans[i] = NULL;
            if (times[i][0] < 0.0) {
                c->failed = true;
                continue;
            }
            med = hetero__median(times[i], (size_t)reps);
            if (pass > 0) {
                /* Noise on a shared machine only adds time: of the passes'
                 * medians, the lowest is the least disturbed. */
                struct cal_point *pt = &c->pts[c->at[f]];

                if (med < pt->t)
                    pt->t = med;
                continue;
            }
            c->at[f] = (int)c->n;
            c->pts[c->n].w = works[i];
            c->pts[c->n].t = med;
            c->n++;
            c->last_size = cur_size;
            if (med < best)
                best = med;
        }
        for (i = 0; i < n_cands && pass == 0; i++) {
            struct cal_cand *c = &cands[i];
            double med;

            if (c->at[f] < 0)
                continue; /* not measured at this size */
            med = c->pts[c->n - 1].t;
            c->contender = med <= CONTENDER * best;
            if (med > limit || (med > slow && !c->contender))
                c->stopped = true;
        }
        for (i = 0; i < MAX_ARR; i++) {
            hetero_array_free(&in[i]);
            hetero_array_free(&out[i]);
        }
    }
    for (i = 0; i < n_cands && ret == 0; i++) {
        struct cal_cand *c = &cands[i];
        double w[MAX_SIZES];
        double tt[MAX_SIZES];
        double a;
        double b;
        size_t j;

        if (c->n < 2)
            continue;
        for (j = 0; j < c->n; j++) {
            w[j] = c->pts[j].w;
            tt[j] = c->pts[j].t;
        }
        if (hetero__cost_fit_robust(w, tt, c->n, &a, &b, NULL) != 0)
            continue;
        c->n = hetero__cost_clean_points(w, tt, c->n);
        {
#if HETERO_WITH_OPENCL
            const char *dev = NULL;

            if (c->v->backend == HETERO_BACKEND_OPENCL) {
                struct hetero__cl_device *cl;

                if (hetero__cl_device_get(ctx, &cl) == 0)
                    dev = hetero__cl_device_id(cl);
            }
            ret = hetero__cost_set(ctx, k, c->v, c->threads, dev, a, b, c->n,
                                   w, tt);
#else
            ret = hetero__cost_set(ctx, k, c->v, c->threads, NULL, a, b,
                                   c->n, w, tt);
#endif /* HETERO_WITH_OPENCL */
        }
    }
    hetero__free(cands);
    hetero__free(plans);
    hetero__free(times);
    hetero__free(works);
    return ret;
}

int hetero_calibrate(hetero_context *ctx,
                     const struct hetero_calibrate_opts *opts)
{
    struct hetero_calibrate_opts defaults = { 0 };
    size_t nk;
    size_t i;
    int ret = 0;

    if (!ctx)
        return hetero__errf(NULL, HETERO_EINVAL, "calibrate: NULL context");
    if (!opts)
        opts = &defaults;
    nk = opts->kernel ? 1 : hetero_kernel_count();
    for (i = 0; i < nk && ret == 0; i++) {
        const struct hetero_kernel *k =
            opts->kernel ? opts->kernel : hetero_kernel_at(i);

        ret = calibrate_kernel(ctx, k, opts->quick, opts->progress,
                               opts->progress_user, (double)i / (double)nk,
                               1.0 / (double)nk);
    }
    if (ret == 0)
        ret = hetero__cost_save(ctx);
    if (ret == 0 && opts->progress)
        opts->progress(opts->progress_user, 1.0, "done");
    return ret;
}
