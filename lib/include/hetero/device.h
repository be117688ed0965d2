/*
 * device.h - the OpenCL devices this machine offers.
 *
 * Lists every OpenCL device of every platform (through the ICD loader) with
 * the facts that decide whether it is worth using: type, compute units,
 * memory, fp64, unified host memory. Listing discovers the devices once per
 * context but does not open any of them. `selected` marks the device that
 * `--device gpu` (HETERO_PLAN_FORCE_OPENCL) uses: HETERO_CL_DEVICE=P:D
 * (platform and device index, as listed here) or a case-insensitive part of
 * the device or platform name (at least 2 characters) if set; else the first
 * GPU, else the first accelerator, else the first CPU device (e.g. POCL).
 * A context reads HETERO_CL_DEVICE once, at its first OpenCL use.
 * A library built without OpenCL lists no device.
 *
 * Thread safety: both functions may be called from several threads on one
 * context.
 */
#ifndef HETERO_DEVICE_H
#define HETERO_DEVICE_H

#include <stdbool.h>
#include <stddef.h>

#include <hetero/defs.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hetero_context hetero_context;

/** One OpenCL device. Fields are only ever appended. */
struct hetero_device_info {
    unsigned platform;            /* platform index (HETERO_CL_DEVICE=P:D) */
    unsigned device;              /* device index within the platform */
    char platform_name[128];
    char name[128];
    char vendor[128];
    char driver_version[64];
    char version[128];            /* "OpenCL 3.0 ..." */
    const char *type;             /* "gpu", "cpu", "accelerator", "other" */
    unsigned compute_units;
    unsigned long long global_mem;    /* bytes */
    unsigned long long local_mem;     /* bytes per work-group */
    unsigned long long max_alloc;     /* largest single buffer, bytes */
    size_t max_work_group_size;
    bool fp64;                    /* cl_khr_fp64: f64 kernels can run */
    bool unified_memory;          /* shares host memory (no copies) */
    bool available;               /* CL_DEVICE_AVAILABLE */
    bool selected;                /* what --device gpu picks */
};

/**
 * Number of OpenCL devices into *n (0 when there is no platform, or the
 * library was built without OpenCL). Errors: HETERO_EINVAL (NULL ctx or n),
 * HETERO_ENOMEM.
 */
HETERO_API HETERO_NODISCARD int hetero_device_count(hetero_context *ctx,
                                                    size_t *n);

/**
 * Facts about device i (0 <= i < count) into *out. Errors: HETERO_EINVAL
 * (NULL ctx or out), HETERO_ENODEV (i out of range, or no OpenCL in this
 * build), HETERO_ENOMEM.
 */
HETERO_API HETERO_NODISCARD int
hetero_device_info(hetero_context *ctx, size_t i,
                   struct hetero_device_info *out);

#ifdef __cplusplus
}
#endif

#endif /* HETERO_DEVICE_H */
