/*
 * buffer.h - shared, reference-counted host buffers.
 *
 * A buffer is an aligned host allocation (64 bytes; page-aligned from 64 KiB)
 * that pool workers write in disjoint slices without copies, and that the
 * OpenCL backend mirrors on a device (a validity flag per side says which
 * copy is current, so data already on a device is not sent again).
 *
 * Thread safety: retain/release are atomic and may be called from any thread;
 * writing the same bytes from two threads at once is the caller's race.
 */
#ifndef HETERO_BUFFER_H
#define HETERO_BUFFER_H

#include <stddef.h>

#include <hetero/defs.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hetero_context hetero_context;
typedef struct hetero_buffer hetero_buffer;

/** Alignment of every buffer, and of large ones. */
#define HETERO_BUFFER_ALIGN 64
#define HETERO_BUFFER_PAGE_THRESHOLD ((size_t)64 * 1024)

/**
 * Allocates a zero-filled buffer of `nbytes` (> 0) bytes with one reference.
 * `ctx` may be NULL. Errors: HETERO_EINVAL (nbytes 0, out NULL),
 * HETERO_ENOMEM.
 */
HETERO_API HETERO_NODISCARD int hetero_buffer_create(hetero_context *ctx,
                                                     size_t nbytes,
                                                     hetero_buffer **out);

/**
 * Wraps caller memory (borrowed: it must outlive the buffer and is never
 * freed by the library). Errors: HETERO_EINVAL.
 */
HETERO_API HETERO_NODISCARD int hetero_buffer_wrap(hetero_context *ctx,
                                                   void *data, size_t nbytes,
                                                   hetero_buffer **out);

/** Adds a reference; returns `buf`. */
HETERO_API hetero_buffer *hetero_buffer_retain(hetero_buffer *buf);

/** Drops a reference; the last one frees the buffer. NULL is a no-op. */
HETERO_API void hetero_buffer_release(hetero_buffer *buf);

HETERO_API void *hetero_buffer_data(const hetero_buffer *buf);
HETERO_API size_t hetero_buffer_size(const hetero_buffer *buf);
HETERO_API unsigned hetero_buffer_refcount(const hetero_buffer *buf);

/** Tells the library the host copy was written by the caller (any device
 *  mirror becomes stale). */
HETERO_API void hetero_buffer_mark_host_dirty(hetero_buffer *buf);

#ifdef __cplusplus
}
#endif

#endif /* HETERO_BUFFER_H */
