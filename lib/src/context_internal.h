/*
 * context_internal.h - the context's layout, for lib/src and kernels/.
 *
 * Long-lived per-context state that belongs to one module (FFTW plan cache,
 * OpenCL runtime, cost model) hangs off an extension slot that the module
 * creates on first use (hetero__ctx_ext) and the context destroys, in reverse
 * slot order, when it goes away. So a CPU-only run never opens OpenCL.
 */
#ifndef HETERO_CONTEXT_INTERNAL_H
#define HETERO_CONTEXT_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "internal.h"

enum hetero__ext_slot {
    HETERO__EXT_FFT = 0,  /* lib/src/fft: FFTW plan cache */
    HETERO__EXT_CL,       /* lib/src/cl: OpenCL platforms, devices, programs */
    HETERO__EXT_CLFFT,    /* lib/src/cl/cl_fft.c: VkFFT plan cache */
    HETERO__EXT_MODEL,    /* cost model */
    HETERO__EXT_COUNT
};

typedef int (*hetero__ext_create_fn)(hetero_context *ctx, void **state);
typedef void (*hetero__ext_destroy_fn)(void *state);

struct hetero__ext {
    void *state;
    hetero__ext_destroy_fn destroy;
    int create_err; /* sticky error of a failed create, 0 if none */
};

struct hetero_context {
    hetero_pool *pool;
    size_t num_threads;
    char *cache_dir;
    hetero_log_fn log;
    void *log_user;
    enum hetero_log_level log_level;

    pthread_mutex_t ext_lock; /* guards ext[]; never held while running
                                 kernel code */
    struct hetero__ext ext[HETERO__EXT_COUNT];

    atomic_long live_plans; /* debug accounting: must be 0 at destroy */
};

/*
 * Returns the slot's state in *state, creating it with `create` on first use
 * (under the context lock, so exactly once). A failed create is remembered
 * only if `sticky` is true (e.g. "no OpenCL platform"); otherwise the next
 * call tries again.
 */
int hetero__ctx_ext(hetero_context *ctx, enum hetero__ext_slot slot,
                    hetero__ext_create_fn create,
                    hetero__ext_destroy_fn destroy, bool sticky,
                    void **state);

/* The slot's state if it was created, else NULL (never creates). */
void *hetero__ctx_ext_peek(hetero_context *ctx, enum hetero__ext_slot slot);

#endif /* HETERO_CONTEXT_INTERNAL_H */
