/*
 * kernel.h - the documented kernels, seen from outside: lookup, metadata,
 * and the generic call (arrays + scalar parameters) that drives any kernel
 * from its descriptor alone (hetero-run and the benchmarks use only this).
 *
 * A call names its input arrays in the kernel's argument order, its output
 * arrays (allocated by the caller, or by hetero_call_alloc_outputs()), and
 * string parameters ("algo" = "fft", "seed" = "42"). Typed entry points
 * (hetero_autocorr() ...) in each kernel's header wrap this for C callers.
 *
 * Thread safety: kernels are immutable; every function here is thread-safe.
 */
#ifndef HETERO_KERNEL_H
#define HETERO_KERNEL_H

#include <stddef.h>

#include <hetero/array.h>
#include <hetero/defs.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hetero_context hetero_context;
typedef struct hetero_kernel hetero_kernel;

/** Where a variant runs. */
enum hetero_backend {
    HETERO_BACKEND_SERIAL = 0, /* one thread, the reference */
    HETERO_BACKEND_POOL = 1,   /* the context's pthreads pool ("cpu") */
    HETERO_BACKEND_OPENCL = 2, /* the selected OpenCL device ("gpu") */
};
#define HETERO_BACKEND_COUNT 3

/** "serial", "pool", "opencl". */
HETERO_API const char *hetero_backend_name(enum hetero_backend b);

/** A scalar parameter, by name, as text (parsed by the kernel). */
struct hetero_param {
    const char *name;
    const char *value;
};

/** One generic call. Arrays and strings are borrowed. */
struct hetero_call {
    const struct hetero_array *inputs;
    size_t n_inputs;
    struct hetero_array *outputs;
    size_t n_outputs;
    const struct hetero_param *params;
    size_t n_params;
};

/** Metadata of one parameter of a kernel. */
struct hetero_param_info {
    const char *name;
    const char *help;
    const char *default_value; /* text, or NULL if required */
    const char *choices;       /* "direct|fft", or NULL */
};

/** Metadata of one variant. */
struct hetero_variant_info {
    enum hetero_backend backend;
    const char *algo; /* "direct", "fft", or NULL for the only algorithm */
};

/** The kernel called `name`, or NULL. */
HETERO_API const hetero_kernel *hetero_kernel_find(const char *name);
/** Number of kernels; hetero_kernel_at(i) for i below it (sorted by name). */
HETERO_API size_t hetero_kernel_count(void);
HETERO_API const hetero_kernel *hetero_kernel_at(size_t i);

HETERO_API const char *hetero_kernel_name(const hetero_kernel *k);
HETERO_API const char *hetero_kernel_summary(const hetero_kernel *k);
/** Shape of the default workload, as hetero-run's --shape text. */
HETERO_API const char *hetero_kernel_default_shape(const hetero_kernel *k);
/** Which shape --shape means, e.g. "BxNxM (batch of NxM matrices)". */
HETERO_API const char *hetero_kernel_shape_help(const hetero_kernel *k);

HETERO_API size_t hetero_kernel_n_inputs(const hetero_kernel *k);
HETERO_API const char *hetero_kernel_input_name(const hetero_kernel *k,
                                                size_t i);
HETERO_API size_t hetero_kernel_n_outputs(const hetero_kernel *k);
HETERO_API const char *hetero_kernel_output_name(const hetero_kernel *k,
                                                 size_t i);
HETERO_API size_t hetero_kernel_n_params(const hetero_kernel *k);
HETERO_API HETERO_NODISCARD int
hetero_kernel_param(const hetero_kernel *k, size_t i,
                    struct hetero_param_info *out);
HETERO_API size_t hetero_kernel_n_variants(const hetero_kernel *k);
HETERO_API HETERO_NODISCARD int
hetero_kernel_variant(const hetero_kernel *k, size_t i,
                      struct hetero_variant_info *out);

/**
 * Input specs for a workload given as a shape (hetero-run's --shape): fills
 * dtype, ndim and shape of each of the kernel's n_inputs inputs (data NULL).
 * Errors: HETERO_EINVAL (shape not valid for this kernel, dtype unsupported).
 */
HETERO_API HETERO_NODISCARD int
hetero_kernel_input_specs(hetero_context *ctx, const hetero_kernel *k,
                          int ndim, const size_t *shape,
                          enum hetero_dtype dtype, struct hetero_array *specs);

/**
 * Validates the call's inputs and parameters (outputs are not looked at)
 * and fills dtype, ndim and shape of each output into specs[0..n_outputs-1].
 * Errors: HETERO_EINVAL with a detail in hetero_context_errmsg(ctx).
 */
HETERO_API HETERO_NODISCARD int
hetero_kernel_output_specs(hetero_context *ctx, const hetero_kernel *k,
                           const struct hetero_call *call,
                           struct hetero_array *specs);

/**
 * Allocates call->outputs[0..n_outputs-1] (which the caller provides as
 * storage for n_outputs arrays) with hetero_array_alloc(), shaped by
 * hetero_kernel_output_specs(). On failure none stays allocated. Free each
 * with hetero_array_free().
 */
HETERO_API HETERO_NODISCARD int
hetero_call_alloc_outputs(hetero_context *ctx, const hetero_kernel *k,
                          struct hetero_call *call);

#ifdef __cplusplus
}
#endif

#endif /* HETERO_KERNEL_H */
