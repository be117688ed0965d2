/*
 * error.h - error codes of libhetero.
 *
 * Every action returns 0 on success or one of the negative codes below. Codes
 * that have an errno twin are the negated errno value; library-specific codes
 * sit below -4000. hetero_strerror() gives a sentence, hetero_err_name() the
 * symbol ("HETERO_EINVAL"). The details of the last failure (failing OpenCL
 * call, file offset, build log) are kept per thread and per context:
 * hetero_context_errmsg() in context.h.
 *
 * Thread safety: all functions here are pure and thread-safe.
 */
#ifndef HETERO_ERROR_H
#define HETERO_ERROR_H

#include <errno.h>

#include <hetero/defs.h>

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, value, message) - the one table of error codes. */
#define HETERO_ERRNO_MAP(X)                                                    \
    X(EINVAL, -EINVAL, "invalid argument")                                     \
    X(ENOMEM, -ENOMEM, "out of memory")                                        \
    X(ENODEV, -ENODEV, "no such device")                                       \
    X(ENOTSUP, -ENOTSUP, "operation not supported")                            \
    X(EBUSY, -EBUSY, "resource busy")                                          \
    X(ENOENT, -ENOENT, "no such file or directory")                            \
    X(EIO, -EIO, "input/output error")                                         \
    X(ETIMEDOUT, -ETIMEDOUT, "timed out")                                      \
    X(ECANCELED, -ECANCELED, "operation canceled")                             \
    X(ERANGE, -ERANGE, "result out of range")                                  \
    X(ECL, -4001, "OpenCL error")                                              \
    X(EBUILD, -4002, "OpenCL program build failed")                            \
    X(ECALIB, -4003, "calibration data missing, stale or corrupt")             \
    X(EFORMAT, -4004, "malformed file")                                        \
    X(EFFT, -4005, "FFT library error")

enum hetero_errno {
#define HETERO_ERR_ENUM_(name, val, msg) HETERO_##name = (val),
    HETERO_ERRNO_MAP(HETERO_ERR_ENUM_)
#undef HETERO_ERR_ENUM_
};

/** Sentence describing code `err`; never NULL ("unknown error" if unknown). */
HETERO_API const char *hetero_strerror(int err);

/** Symbolic name of `err` ("HETERO_EINVAL"), or "HETERO_UNKNOWN". */
HETERO_API const char *hetero_err_name(int err);

#ifdef __cplusplus
}
#endif

#endif /* HETERO_ERROR_H */
