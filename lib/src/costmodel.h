/*
 * costmodel.h - predicted time of a variant for a given work, and online
 * refinement from measured runs. See costmodel.c.
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

/* Predicts the time of variant v of kernel k on `threads` threads (pool),
 * for work w; `unified` says an OpenCL device shares host memory. */
void hetero__cost_predict(hetero_context *ctx, const struct hetero_kernel *k,
                          const struct hetero_variant *v, size_t threads,
                          bool unified, const struct hetero_work *w,
                          struct hetero__prediction *p);

/* Feeds one measured execution back into the model. */
void hetero__cost_observe(hetero_context *ctx, const struct hetero_kernel *k,
                          const struct hetero_variant *v, size_t threads,
                          const struct hetero_work *w, double seconds);

#endif /* HETERO_COSTMODEL_H */
