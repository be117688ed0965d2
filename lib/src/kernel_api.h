/*
 * kernel_api.h - what a kernel implementation sees of the library: the
 * descriptor and variant structs, the execution environment handed to a
 * variant, and helpers to validate arrays and parse parameters.
 *
 * A kernel is one static const struct hetero_kernel (see kernels/_template/).
 * Its `unpack` turns a generic call into the kernel's typed argument struct
 * (validating shapes, dtypes and parameters, and computing the output
 * shapes); each variant's `run` then works on that typed struct alone.
 */
#ifndef HETERO_KERNEL_API_H
#define HETERO_KERNEL_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

struct hetero__cl_device; /* lib/src/cl: one opened OpenCL device */

/* What a run can say about where its time went (device-side timings of
 * OpenCL commands from the queue's profiling events). */
struct hetero_exec_stats {
    double transfer_s; /* host <-> device copies and maps */
    double compute_s;  /* kernels */
    bool valid;        /* set by backends that measured the split */
};

/* The environment a variant runs in. */
struct hetero_exec {
    hetero_context *ctx;
    hetero_pool *pool;       /* the context's pool */
    size_t num_threads;      /* threads a pool variant may use (>= 1) */
    struct hetero__cl_device *cl; /* OpenCL variants: the device, else NULL */
    void *state;             /* what the variant's prepare() returned */
    /* The generic call being run (NULL in prepare and supports): OpenCL
     * variants pass call->inputs[i].buffer to reuse device copies. */
    const struct hetero_call *call;
    /* Where the backend reports the run's time split; may be NULL. */
    struct hetero_exec_stats *stats;
};

/* Work of one call, the cost model's input. */
struct hetero_work {
    double flops;        /* arithmetic operations */
    double bytes;        /* bytes read + written in host memory */
    double items;        /* independent work items (batch x outputs) */
};

struct hetero_variant {
    enum hetero_backend backend;
    const char *algo;    /* NULL: the kernel's only algorithm */
    /* Runs the kernel; args is the kernel's typed struct. */
    int (*run)(const struct hetero_exec *ex, const void *args);
    /* Optional: false if this variant cannot run these args here (no fp64
     * on the device, a dtype it lacks). May set *why to a static string. */
    bool (*supports)(const struct hetero_exec *ex, const void *args,
                     const char **why);
    /* Optional: per-plan preparation (FFTW plans, OpenCL kernels, scratch)
     * and its release. Args data pointers may be NULL at prepare time. */
    int (*prepare)(const struct hetero_exec *ex, const void *args,
                   void **state);
    void (*release)(void *state);
    /* Optional: work estimate when it differs from the kernel's (an FFT
     * algorithm against a direct one). */
    void (*work)(const void *args, struct hetero_work *w);
    /* OpenCL variants: the embedded program's name (kernels/<x>/<x>.cl). */
    const char *cl_program;
};

struct hetero_arg_desc {
    const char *name;
    const char *doc;
};

struct hetero_kernel {
    const char *name;
    const char *summary;
    const char *default_shape;   /* hetero-run --shape default */
    const char *shape_help;      /* what --shape means for this kernel */
    unsigned version;            /* bump when the implementation changes:
                                    stale calibration is dropped */
    const struct hetero_arg_desc *inputs;
    size_t n_inputs;
    const struct hetero_arg_desc *outputs;
    size_t n_outputs;
    const struct hetero_param_info *params;
    size_t n_params;
    size_t args_size;            /* sizeof the typed args struct */
    /*
     * Validates call (inputs + params; outputs only if call->n_outputs > 0,
     * then they must match the specs) and fills `args` (may be NULL: only
     * validate) and out_specs[0..n_outputs-1] (dtype, ndim, shape).
     * Returns 0 or HETERO_EINVAL via hetero__errf.
     */
    int (*unpack)(hetero_context *ctx, const struct hetero_call *call,
                  void *args, struct hetero_array *out_specs);
    /* Input specs from a CLI shape (see hetero_kernel_input_specs). */
    int (*input_specs)(hetero_context *ctx, int ndim, const size_t *shape,
                       enum hetero_dtype dtype, struct hetero_array *specs);
    void (*work)(const void *args, struct hetero_work *w);
    const struct hetero_variant *variants;
    size_t n_variants;
    /* Every variant gives bitwise the same outputs (sum, mcpi): an auto
     * plan may then race a close runner-up in its first executions (see
     * plan.c) without the caller ever seeing a different result. */
    bool identical_results;
};

/* Checks the call's array and parameter counts and parameter names, then
 * runs the kernel's unpack(). The one entry to unpack() for lib/src. */
int hetero__kernel_unpack(hetero_context *ctx, const hetero_kernel *k,
                          const struct hetero_call *call, void *args,
                          struct hetero_array *out_specs);

/* ---- helpers for unpack() ---- */

/* The value of parameter `name`, or NULL if absent. */
const char *hetero__param(const struct hetero_call *call, const char *name);

/* Parses parameter `name` as an unsigned integer in [min, max]; absent:
 * *out = def. Accepts 1e8-style exact integers. HETERO_EINVAL otherwise. */
int hetero__param_u64(hetero_context *ctx, const struct hetero_call *call,
                      const char *name, uint64_t def, uint64_t min,
                      uint64_t max, uint64_t *out);

/* Parses `name` as one of the '|'-separated `choices` and returns its index
 * in *out; absent: *out = def. */
int hetero__param_choice(hetero_context *ctx, const struct hetero_call *call,
                         const char *name, const char *choices, int def,
                         int *out);

/* Checks input i: present, dtype in `dtypes` (bitmask of 1u << dtype),
 * ndim in [min_ndim, max_ndim], no zero dimension, byte count fits. */
int hetero__check_input(hetero_context *ctx, const char *kernel,
                        const struct hetero_call *call, size_t i,
                        unsigned dtypes, int min_ndim, int max_ndim);

/* Checks that call's outputs (if any) match specs exactly. */
int hetero__check_outputs(hetero_context *ctx, const char *kernel,
                          const struct hetero_call *call,
                          const struct hetero_array *specs, size_t n);

/* Fills one spec. */
void hetero__spec(struct hetero_array *spec, enum hetero_dtype dtype,
                  int ndim, const size_t *shape);

#define HETERO_DT(d) (1u << (d))
#define HETERO_DT_REAL (HETERO_DT(HETERO_F32) | HETERO_DT(HETERO_F64))

/* The registry (kernels/registry.c). */
extern const struct hetero_kernel *const hetero__kernels[];
extern const size_t hetero__n_kernels;

#endif /* HETERO_KERNEL_API_H */
