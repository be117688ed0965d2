/*
 * context.h - the libhetero context.
 *
 * A context owns everything that lives longer than one call: the CPU pool,
 * the OpenCL devices, queues and built programs (opened lazily on first
 * OpenCL use), the FFTW plan cache and the cost model. There is no global
 * state: two contexts are fully independent.
 *
 * Thread safety: create and destroy are single-threaded. Every other
 * function taking a context may be called from several threads at once.
 * Error details are kept per thread: hetero_context_errmsg() returns the
 * detail of the calling thread's last failure on that context.
 */
#ifndef HETERO_CONTEXT_H
#define HETERO_CONTEXT_H

#include <stddef.h>

#include <hetero/defs.h>
#include <hetero/pool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hetero_context hetero_context;

/** Log levels of the optional log callback. */
enum hetero_log_level {
    HETERO_LOG_ERROR = 0,
    HETERO_LOG_WARN = 1,
    HETERO_LOG_INFO = 2,
    HETERO_LOG_DEBUG = 3,
};

typedef void (*hetero_log_fn)(void *user, enum hetero_log_level level,
                              const char *msg);

/** Context options: zero fields mean default, NULL means all defaults.
 *  Fields are only ever appended. */
struct hetero_context_opts {
    /* Pool threads (caller included). 0: HETERO_NUM_THREADS, else the
     * number of online CPUs. */
    size_t num_threads;
    /* Directory for caches (calibration, OpenCL binaries, FFTW wisdom).
     * NULL: $XDG_CACHE_HOME/hetero, else $HOME/.cache/hetero. Copied. */
    const char *cache_dir;
    /* The library's only output, NULL for none. Called from any thread. */
    hetero_log_fn log;
    void *log_user;
    enum hetero_log_level log_level;
};

/**
 * Creates a context and its pool. *out is set only on success.
 * Errors: HETERO_EINVAL (out NULL, bad option or HETERO_NUM_THREADS),
 * HETERO_ENOMEM, errors of hetero_pool_create().
 */
HETERO_API HETERO_NODISCARD int
hetero_context_create(const struct hetero_context_opts *opts,
                      hetero_context **out);

/** Destroys the context and everything it owns. NULL is a no-op. Plans and
 *  buffers of the context must have been destroyed first. */
HETERO_API void hetero_context_destroy(hetero_context *ctx);

/** The context's pool (borrowed; lives as long as the context). */
HETERO_API hetero_pool *hetero_context_pool(hetero_context *ctx);

/** Number of pool threads, caller included. */
HETERO_API size_t hetero_context_num_threads(const hetero_context *ctx);

/** The cache directory in use (borrowed). */
HETERO_API const char *hetero_context_cache_dir(const hetero_context *ctx);

/**
 * Detail of the calling thread's last failure on `ctx` ("" if none). `ctx`
 * may be NULL for functions called without a context. The string is valid
 * until the thread's next failing call.
 */
HETERO_API const char *hetero_context_errmsg(const hetero_context *ctx);

#ifdef __cplusplus
}
#endif

#endif /* HETERO_CONTEXT_H */
