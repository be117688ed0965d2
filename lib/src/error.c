/*
 * error.c - error names, messages and the per-thread error detail.
 *
 * DESIGN: codes come from the one X-macro table in error.h. The detail of a
 * failure (which OpenCL call, which byte of a file) is formatted into a
 * thread-local slot tagged with the context it belongs to, so that several
 * threads failing on one context never overwrite each other's message and no
 * lock is needed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "context_internal.h"
#include "internal.h"

const char *hetero_strerror(int err)
{
    switch (err) {
#define HETERO_ERR_MSG_(name, val, msg)                                        \
    case HETERO_##name:                                                        \
        return msg;
        HETERO_ERRNO_MAP(HETERO_ERR_MSG_)
#undef HETERO_ERR_MSG_
    case 0:
        return "success";
    default:
        return "unknown error";
    }
}

const char *hetero_err_name(int err)
{
    switch (err) {
#define HETERO_ERR_NAME_(name, val, msg)                                       \
    case HETERO_##name:                                                        \
        return "HETERO_" #name;
        HETERO_ERRNO_MAP(HETERO_ERR_NAME_)
#undef HETERO_ERR_NAME_
    case 0:
        return "HETERO_OK";
    default:
        return "HETERO_UNKNOWN";
    }
}

struct errslot {
    const hetero_context *ctx;
    char msg[4096];
};

static _Thread_local struct errslot tls_err;

int hetero__errf(const hetero_context *ctx, int code, const char *fmt, ...)
{
    va_list ap;

    tls_err.ctx = ctx;
    va_start(ap, fmt);
    vsnprintf(tls_err.msg, sizeof(tls_err.msg), fmt, ap);
    va_end(ap);
    if (ctx)
        hetero__logf(ctx, HETERO_LOG_ERROR, "%s", tls_err.msg);
    return code;
}

void hetero__logf(const hetero_context *ctx, enum hetero_log_level level,
                  const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    if (!ctx || !ctx->log || level > ctx->log_level)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    ctx->log(ctx->log_user, level, buf);
}

const char *hetero_context_errmsg(const hetero_context *ctx)
{
    if (tls_err.ctx != ctx)
        return "";
    return tls_err.msg;
}
