/*
 * plan.h - plans (FFTW's plan/execute split) and the one-shot hetero_run().
 *
 * hetero_plan_create() validates a call's shapes, chooses where and how to
 * run it (backend, algorithm, thread count) from the context's cost model or
 * as forced by flags, and prepares the chosen variant (FFTW plans, OpenCL
 * programs). hetero_plan_execute() then runs it on arrays of the same shapes
 * any number of times. A plan can say why it chose its variant: the
 * predicted time of every candidate.
 *
 * For kernels whose variants give bitwise the same outputs (sum, mcpi), an
 * auto plan whose runner-up is predicted within 50% of its choice races
 * the two over its first 6 executions and keeps the faster (by median);
 * hetero_plan_info() then names the variant that won and says so in its
 * reason. Other kernels keep the predicted choice for the plan's life.
 *
 * Thread safety: plans may be created and executed from several threads at
 * once on one context; one plan may be executed by several threads at once.
 */
#ifndef HETERO_PLAN_H
#define HETERO_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include <hetero/defs.h>
#include <hetero/kernel.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hetero_plan hetero_plan;

enum hetero_plan_flags {
    HETERO_PLAN_ESTIMATE = 0,             /* choose from the cost model */
    HETERO_PLAN_MEASURE = 1u << 0,        /* time every candidate once */
    HETERO_PLAN_FORCE_SERIAL = 1u << 1,   /* device "serial" */
    HETERO_PLAN_FORCE_POOL = 1u << 2,     /* device "cpu" */
    HETERO_PLAN_FORCE_OPENCL = 1u << 3,   /* device "gpu" */
    HETERO_PLAN_STRICT = 1u << 4,         /* fail instead of falling back */
};

/** Plan options; zero means default, NULL means all defaults. */
struct hetero_plan_opts {
    unsigned flags;     /* enum hetero_plan_flags */
    size_t num_threads; /* pool threads; 0: let the model choose (1..T) */
    const char *algo;   /* force an algorithm ("direct", "fft"); NULL: any.
                           A call parameter "algo" does the same. */
};

/** One candidate the dispatcher considered. */
struct hetero_candidate {
    enum hetero_backend backend;
    const char *algo;       /* NULL if the kernel has one algorithm */
    size_t num_threads;     /* pool threads (1 for serial/opencl) */
    double predicted_s;     /* model prediction */
    double overhead_s;      /* model terms behind the prediction */
    double compute_s;
    double transfer_s;
    bool calibrated;        /* prediction from measurements, not defaults */
    bool eligible;          /* false: declined (reason says why) */
    const char *reason;     /* why not eligible, or "" */
};

/** What a plan chose and why. Strings live as long as the plan. */
struct hetero_plan_info {
    const char *kernel;
    enum hetero_backend backend;
    const char *algo;
    size_t num_threads;
    double predicted_s;
    double measured_s;   /* last execution's time, 0 before the first */
    bool calibrated;
    bool fell_back;      /* an OpenCL failure sent the call to the CPU */
    const char *reason;  /* one line: how the choice was made */
    const char *device;  /* device name for OpenCL, "cpu" otherwise */
    size_t n_candidates;
    /* The last execution's time split: device-side transfer and kernel
     * time from the OpenCL queue's profiling events of the commands the
     * library enqueues itself, the rest (launch, queueing, host work, and
     * VkFFT's own dispatches) as overhead. CPU variants report all of
     * their time as compute. */
    double measured_overhead_s;
    double measured_transfer_s;
    double measured_compute_s;
};

/**
 * Creates a plan for calls shaped like `call` (array data may be NULL; its
 * outputs are not looked at). *out is set only on success.
 * Errors: HETERO_EINVAL (bad call), HETERO_ENOTSUP (no variant can run it,
 * e.g. the forced device lacks fp64), HETERO_ENODEV (forced OpenCL with no
 * device), HETERO_ENOMEM, backend errors (HETERO_ECL, HETERO_EBUILD).
 */
HETERO_API HETERO_NODISCARD int
hetero_plan_create(hetero_context *ctx, const hetero_kernel *k,
                   const struct hetero_call *call, unsigned flags,
                   hetero_plan **out);

/** As hetero_plan_create() with options. */
HETERO_API HETERO_NODISCARD int
hetero_plan_create_opts(hetero_context *ctx, const hetero_kernel *k,
                        const struct hetero_call *call,
                        const struct hetero_plan_opts *opts,
                        hetero_plan **out);

/**
 * Runs the plan on `call`, whose arrays must have the plan's dtypes and
 * shapes and non-NULL data. Errors: HETERO_EINVAL (mismatch), variant
 * errors; under ESTIMATE/MEASURE an OpenCL failure falls back to the CPU
 * unless the plan is STRICT.
 */
HETERO_API HETERO_NODISCARD int hetero_plan_execute(hetero_plan *plan,
                                                    struct hetero_call *call);

/** NULL is a no-op. */
HETERO_API void hetero_plan_destroy(hetero_plan *plan);

HETERO_API HETERO_NODISCARD int
hetero_plan_info(const hetero_plan *plan, struct hetero_plan_info *out);

/** Candidate i (0 <= i < info.n_candidates), in the order considered. */
HETERO_API HETERO_NODISCARD int
hetero_plan_candidate(const hetero_plan *plan, size_t i,
                      struct hetero_candidate *out);

/** Where one candidate overtakes serial (hetero_crossover). */
struct hetero_crossover {
    enum hetero_backend backend;
    const char *algo;
    size_t num_threads;
    size_t size;       /* smallest leading size from which this candidate
                          is predicted faster than the best serial variant
                          at every larger size up to max_size; 0: never */
    double ratio;      /* predicted time / best serial at max_size */
    bool wins_at_max;
    bool calibrated;   /* predictions from the calibrated model */
};

/**
 * For a shape family — `tmpl`'s inputs with their leading dimension (the
 * batch, or N) swept from 1 to max_size; for a kernel without inputs its
 * first parameter (mcpi's samples) — reports, from the cost model alone
 * (nothing is run or prepared), the size at which each candidate overtakes
 * the best serial variant. Fills out[0..*n_found-1] (at most n_out), in
 * hetero_plan_candidate order. Array data in tmpl may be NULL.
 * Errors: HETERO_EINVAL, plan errors.
 */
HETERO_API HETERO_NODISCARD int
hetero_crossover(hetero_context *ctx, const hetero_kernel *k,
                 const struct hetero_call *tmpl, size_t max_size,
                 struct hetero_crossover *out, size_t n_out,
                 size_t *n_found);

/** plan_create + execute + destroy. Outputs must be allocated. */
HETERO_API HETERO_NODISCARD int hetero_run(hetero_context *ctx,
                                           const hetero_kernel *k,
                                           struct hetero_call *call,
                                           unsigned flags);

#ifdef __cplusplus
}
#endif

#endif /* HETERO_PLAN_H */
