/*
 * context.c - create and destroy the context; lazy per-module state.
 *
 * DESIGN: the context is the root of ownership (STYLE §5). Creating it starts
 * the pool and resolves the cache directory, nothing else: OpenCL, FFTW plans
 * and the cost model are created on first use through extension slots, so
 * that a serial call costs no more than its kernel.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "context_internal.h"

static char *default_cache_dir(void)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    const char *base;
    const char *suffix;
    size_t n;
    char *dir;

    if (xdg && xdg[0] == '/') {
        base = xdg;
        suffix = "/hetero";
    } else if (home && home[0]) {
        base = home;
        suffix = "/.cache/hetero";
    } else {
        base = "/tmp";
        suffix = "/hetero-cache";
    }
    n = strlen(base) + strlen(suffix) + 1;
    dir = hetero__malloc(n);
    if (dir) {
        strcpy(dir, base);
        strcat(dir, suffix);
    }
    return dir;
}

int hetero_context_create(const struct hetero_context_opts *opts,
                          hetero_context **out)
{
    struct hetero_context_opts defaults = { 0 };
    struct hetero_pool_opts popts = { 0 };
    hetero_context *ctx;
    int ret;

    if (!out)
        return hetero__errf(NULL, HETERO_EINVAL, "context: out is NULL");
    if (!opts)
        opts = &defaults;
    if (opts->num_threads > HETERO_POOL_MAX_THREADS)
        return hetero__errf(NULL, HETERO_EINVAL,
                            "context: num_threads %zu exceeds %d",
                            opts->num_threads, HETERO_POOL_MAX_THREADS);
    if (opts->log_level < HETERO_LOG_ERROR || opts->log_level > HETERO_LOG_DEBUG)
        return hetero__errf(NULL, HETERO_EINVAL, "context: bad log level");

    ctx = hetero__calloc(1, sizeof(*ctx));
    if (!ctx)
        return hetero__errf(NULL, HETERO_ENOMEM, "context: out of memory");
    ctx->log = opts->log;
    ctx->log_user = opts->log_user;
    ctx->log_level = opts->log_level;
    atomic_init(&ctx->live_plans, 0);

    ctx->cache_dir = opts->cache_dir ? hetero__strdup(opts->cache_dir)
                                     : default_cache_dir();
    if (!ctx->cache_dir) {
        ret = hetero__errf(NULL, HETERO_ENOMEM, "context: out of memory");
        goto out_free_ctx;
    }
    ret = pthread_mutex_init(&ctx->ext_lock, NULL);
    if (ret) {
        ret = hetero__errf(NULL, -ret, "context: pthread_mutex_init failed");
        goto out_free_dir;
    }
    popts.num_threads = opts->num_threads;
    ret = hetero_pool_create(&popts, &ctx->pool);
    if (ret) {
        hetero__errf(NULL, ret, "context: cannot create the pool: %s",
                     hetero_strerror(ret));
        goto out_destroy_lock;
    }
    ctx->num_threads = hetero_pool_size(ctx->pool);
    *out = ctx;
    return 0;

out_destroy_lock:
    pthread_mutex_destroy(&ctx->ext_lock);
out_free_dir:
    hetero__free(ctx->cache_dir);
out_free_ctx:
    hetero__free(ctx);
    return ret;
}

void hetero_context_destroy(hetero_context *ctx)
{
    int i;

    if (!ctx)
        return;
    /* Plans belong to the context and must be destroyed first (debug
     * builds check it, like libuv's uv_loop_close). */
    assert(atomic_load(&ctx->live_plans) == 0);
    for (i = HETERO__EXT_COUNT - 1; i >= 0; i--) {
        if (ctx->ext[i].state && ctx->ext[i].destroy)
            ctx->ext[i].destroy(ctx->ext[i].state);
    }
    hetero_pool_destroy(ctx->pool);
    pthread_mutex_destroy(&ctx->ext_lock);
    hetero__free(ctx->cache_dir);
    hetero__free(ctx);
}

hetero_pool *hetero_context_pool(hetero_context *ctx)
{
    return ctx ? ctx->pool : NULL;
}

size_t hetero_context_num_threads(const hetero_context *ctx)
{
    return ctx ? ctx->num_threads : 0;
}

const char *hetero_context_cache_dir(const hetero_context *ctx)
{
    return ctx ? ctx->cache_dir : NULL;
}

int hetero__ctx_ext(hetero_context *ctx, enum hetero__ext_slot slot,
                    hetero__ext_create_fn create,
                    hetero__ext_destroy_fn destroy, bool sticky, void **state)
{
    struct hetero__ext *e = &ctx->ext[slot];
    int ret = 0;

    pthread_mutex_lock(&ctx->ext_lock);
    if (!e->state) {
        if (e->create_err) {
            ret = e->create_err;
        } else {
            ret = create(ctx, &e->state);
            if (ret == 0)
                e->destroy = destroy;
            else if (sticky)
                e->create_err = ret;
        }
    }
    *state = e->state;
    pthread_mutex_unlock(&ctx->ext_lock);
    return ret;
}

void *hetero__ctx_ext_peek(hetero_context *ctx, enum hetero__ext_slot slot)
{
    void *s;

    pthread_mutex_lock(&ctx->ext_lock);
    s = ctx->ext[slot].state;
    pthread_mutex_unlock(&ctx->ext_lock);
    return s;
}
