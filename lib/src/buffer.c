/*
 * buffer.c - shared, reference-counted, aligned host buffers.
 *
 * DESIGN: a buffer is the unit of memory that crosses backends. Pool workers
 * write disjoint slices of it in place; the OpenCL backend keeps a device
 * mirror per buffer and a validity flag per side (host_valid / dev_valid) so
 * that data already on a device is not sent again. Allocations of 64 KiB and
 * more are page-aligned (what CL_MEM_USE_HOST_PTR wants for zero-copy on
 * CPU devices); smaller ones are 64-byte (cache line, AVX-512) aligned.
 */
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "buffer_internal.h"

static size_t page_size(void)
{
    long p = sysconf(_SC_PAGESIZE);

    return p > 0 ? (size_t)p : 4096;
}

int hetero_buffer_create(hetero_context *ctx, size_t nbytes,
                         hetero_buffer **out)
{
    hetero_buffer *b;
    size_t align = HETERO_BUFFER_ALIGN;
    size_t padded;

    if (!out || nbytes == 0)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "buffer: %s", out ? "size is 0" : "out is NULL");
    if (nbytes >= HETERO_BUFFER_PAGE_THRESHOLD)
        align = page_size();
    /* Round up to the alignment so vector loads of the tail stay inside. */
    if (hetero__add_overflow(nbytes, align - 1, &padded))
        return hetero__errf(ctx, HETERO_EINVAL, "buffer: size overflows");
    padded &= ~(align - 1);

    b = hetero__calloc(1, sizeof(*b));
    if (!b)
        return hetero__errf(ctx, HETERO_ENOMEM, "buffer: out of memory");
    b->data = hetero__aligned_alloc(align, padded);
    if (!b->data) {
        hetero__free(b);
        return hetero__errf(ctx, HETERO_ENOMEM,
                            "buffer: cannot allocate %zu bytes", nbytes);
    }
    memset(b->data, 0, padded);
    b->size = nbytes;
    b->owned = true;
    atomic_init(&b->refs, 1);
    atomic_init(&b->host_dirty_gen, 0);
    *out = b;
    return 0;
}

int hetero_buffer_wrap(hetero_context *ctx, void *data, size_t nbytes,
                       hetero_buffer **out)
{
    hetero_buffer *b;

    if (!out || !data || nbytes == 0)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "buffer_wrap: NULL data/out or zero size");
    b = hetero__calloc(1, sizeof(*b));
    if (!b)
        return hetero__errf(ctx, HETERO_ENOMEM, "buffer: out of memory");
    b->data = data;
    b->size = nbytes;
    b->owned = false;
    atomic_init(&b->refs, 1);
    atomic_init(&b->host_dirty_gen, 0);
    *out = b;
    return 0;
}

hetero_buffer *hetero_buffer_retain(hetero_buffer *buf)
{
    if (buf)
        atomic_fetch_add_explicit(&buf->refs, 1, memory_order_relaxed);
    return buf;
}

void hetero_buffer_release(hetero_buffer *buf)
{
    if (!buf)
        return;
    if (atomic_fetch_sub_explicit(&buf->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (buf->mirror_release)
        buf->mirror_release(buf->mirror);
    if (buf->owned)
        hetero__aligned_free(buf->data);
    hetero__free(buf);
}

void *hetero_buffer_data(const hetero_buffer *buf)
{
    return buf ? buf->data : NULL;
}

size_t hetero_buffer_size(const hetero_buffer *buf)
{
    return buf ? buf->size : 0;
}

unsigned hetero_buffer_refcount(const hetero_buffer *buf)
{
    return buf ? atomic_load(&buf->refs) : 0;
}

void hetero_buffer_mark_host_dirty(hetero_buffer *buf)
{
    if (buf)
        atomic_fetch_add(&buf->host_dirty_gen, 1);
}
