/*
 * costmodel.h - predicted time of a variant for a given work, the fitted
 * per-variant models, and their calibration file. See costmodel.c.
 */
#ifndef HETERO_COSTMODEL_H
#define HETERO_COSTMODEL_H

#include "kernel_api.h"

struct hetero__prediction {
    double total_s;
    double overhead_s;
    double compute_s;
    double transfer_s;
    bool calibrated;
};

/* The scalar the model is linear in: flops plus bytes weighted as a
 * quarter of a flop each. */
double hetero__work_units(const struct hetero_work *w);

/* Predicts the time of variant v of kernel k on `threads` threads (pool),
 * for work w. `device` identifies the OpenCL device ("name|driver") for
 * OpenCL variants, NULL for CPU ones; `unified` says it shares host
 * memory. */
void hetero__cost_predict(hetero_context *ctx, const struct hetero_kernel *k,
                          const struct hetero_variant *v, size_t threads,
                          const char *device, bool unified,
                          const struct hetero_work *w,
                          struct hetero__prediction *p);

/* Feeds one measured execution back into the model (online refinement of
 * a calibrated entry). */
void hetero__cost_observe(hetero_context *ctx, const struct hetero_kernel *k,
                          const struct hetero_variant *v, size_t threads,
                          const char *device, const struct hetero_work *w,
                          double seconds);

/* The median of v[0..n-1], n >= 1; sorts v in place. */
double hetero__median(double *v, size_t n);

/* Weighted least-squares fit of t = a + b * w minimising relative error,
 * with a, b >= 0. Needs n >= 2. Returns 0 or HETERO_EINVAL. */
int hetero__cost_fit(const double *w, const double *t, size_t n, double *a,
                     double *b);

/* As hetero__cost_fit, then rejects outliers and fits again: with n >= 4
 * points, a point slower than the first fit by both over 25% and over 3
 * robust standard deviations (1.4826 * the median absolute residual) is
 * left out. Only slow ones: noise on a shared machine inflates times, and
 * a point faster than the line is more likely a real cache effect. keep[i] (if keep is not NULL) says whether
 * point i was kept. At most n / 4 points are rejected, the worst first. */
int hetero__cost_fit_robust(const double *w, const double *t, size_t n,
                            double *a, double *b, bool *keep);

/* Cleans measured points (w ascending) in place before they are used for
 * interpolation, and returns how many are left: a time above a later
 * (larger) one is lowered to it (more work never takes less time; the
 * smaller size was measured in a slow phase), then an interior point more
 * than 1.6x above the log-log chord of its two neighbours is dropped (a
 * spike, where a step would show on several points). */
size_t hetero__cost_clean_points(double *w, double *t, size_t n);

#define HETERO__COST_MAX_POINTS 12

/* Publishes one fitted entry (replacing the same key) with its measured
 * points (w ascending). */
int hetero__cost_set(hetero_context *ctx, const struct hetero_kernel *k,
                     const struct hetero_variant *v, size_t threads,
                     const char *device, double a, double b, size_t npoints,
                     const double *w, const double *t);

/* Writes every entry (merged with the file's current valid entries). */
int hetero__cost_save(hetero_context *ctx);

/* plan.c: the chosen candidate's work estimate, variant, threads and
 * OpenCL device identity (NULL for CPU variants). */
void hetero__plan_work(const hetero_plan *p, struct hetero_work *w);
const struct hetero_variant *hetero__plan_variant(const hetero_plan *p,
                                                  size_t *threads,
                                                  const char **device);

#endif /* HETERO_COSTMODEL_H */
