/*
 * buffer_internal.h - layout of a shared buffer, for the backends.
 */
#ifndef HETERO_BUFFER_INTERNAL_H
#define HETERO_BUFFER_INTERNAL_H

#include <stdatomic.h>

#include "internal.h"

struct hetero_buffer {
    void *data;
    size_t size;
    bool owned;
    atomic_uint refs;
    /* Bumped whenever the host copy changes behind the library's back
     * (hetero_buffer_mark_host_dirty); a device mirror records the
     * generation it copied. */
    atomic_uint host_dirty_gen;
    /* Device mirror owned by a backend (OpenCL), released with the buffer. */
    void *mirror;
    void (*mirror_release)(void *mirror);
};

#endif /* HETERO_BUFFER_INTERNAL_H */
