/*
 * cl_private.h - layouts shared by the files of lib/src/cl only.
 *
 * Lock order: the three mutexes of struct hetero__cl_state are never held
 * together, never across a call into user code (log callback) and never
 * while a program builds or a kernel runs.
 */
#ifndef HETERO_CL_PRIVATE_H
#define HETERO_CL_PRIVATE_H

#include <stdatomic.h>

#include <CL/cl_ext.h>

#include "cl/cl_internal.h"
#include "context_internal.h"

/* What discovery learnt about one device (immutable afterwards). */
struct hetero__cl_devinfo {
    cl_platform_id platform;
    cl_device_id id;
    unsigned platform_index;
    unsigned device_index;
    cl_device_type type;
    char platform_name[128];
    char platform_version[128];
    char name[128];
    char vendor[128];
    char driver_version[64];
    char version[128];
    char ident[256];  /* "name|driver_version" */
    unsigned compute_units;
    uint64_t global_mem;
    uint64_t local_mem;
    uint64_t max_alloc;
    size_t max_wg;    /* CL_DEVICE_MAX_WORK_GROUP_SIZE */
    size_t max_item0; /* CL_DEVICE_MAX_WORK_ITEM_SIZES[0] */
    bool fp64;
    bool unified;
    bool available;   /* available and with a compiler */
};

/* One built program, alive until the context goes. */
struct hetero__cl_program {
    struct hetero__cl_program *next;
    char *name;
    char *options;
    uint64_t source_hash;
    cl_program program;
};

struct hetero__cl_device {
    struct hetero__cl_state *st;
    const struct hetero__cl_devinfo *info;
    cl_context context;
    cl_command_queue queue;
    atomic_uint test_flags;
};

struct hetero__cl_state {
    hetero_context *ctx;
    struct hetero__cl_devinfo *devs; /* discovery result, immutable */
    size_t n_devs;
    char discover_note[256];         /* why there is no device */

    pthread_mutex_t lock;            /* guards the open state below */
    bool opened;                     /* dev is open */
    int open_err;                    /* sticky: ENODEV / EINVAL */
    char open_msg[1024];
    struct hetero__cl_device dev;

    pthread_mutex_t build_lock;      /* guards programs */
    struct hetero__cl_program *programs;

    pthread_mutex_t fault_lock;      /* guards the fault counters */
    char fault_env[64];
    unsigned long fault_seen[HETERO__CL_FAULT_COUNT];

    atomic_ulong builds_source;
    atomic_ulong builds_binary;
    atomic_ulong cache_rejects;
    atomic_ulong host_to_dev;
    atomic_ulong dev_to_host;
    atomic_ulong mirror_hits;
};

/* The library code for an OpenCL error (see hetero__cl_fail). */
int hetero__cl_code(cl_int err);

/*
 * The program `name` built from `source` with `options` (prefixed with the
 * cl_khr_fp64 pragma if fp64) for dev: from the context's list, else the
 * disk cache, else source. Owned by the context. Errors: HETERO_EBUILD
 * (log in errmsg), HETERO_ECL, HETERO_ENOMEM.
 */
int hetero__cl_program_get(struct hetero__cl_device *dev, const char *name,
                           const char *source, const char *options,
                           bool fp64, cl_program *out);

/* Releases every program of the device (context destroy). */
void hetero__cl_programs_release(struct hetero__cl_state *st);

/* The context of a device (for errors). */
static inline hetero_context *
hetero__cl_ctx(const struct hetero__cl_device *dev)
{
    return dev->st->ctx;
}

#endif /* HETERO_CL_PRIVATE_H */
