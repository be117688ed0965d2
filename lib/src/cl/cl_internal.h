/*
 * cl_internal.h - the OpenCL runtime as the rest of the library sees it.
 * Only compiled with HETERO_WITH_OPENCL. The layout of the device struct is
 * private to lib/src/cl and the *_cl.c variants.
 */
#ifndef HETERO_CL_INTERNAL_H
#define HETERO_CL_INTERNAL_H

#include "internal.h"

struct hetero__cl_device;

/*
 * The device `--device gpu` means for this context, opened on first use
 * (discovery, context, queue). Errors: HETERO_ENODEV ("no OpenCL device",
 * detail in errmsg), HETERO_ECL.
 */
int hetero__cl_device_get(hetero_context *ctx,
                          struct hetero__cl_device **out);

/* Human-readable device name (borrowed). */
const char *hetero__cl_device_name(const struct hetero__cl_device *dev);

/* True if the device has usable double precision (cl_khr_fp64). */
bool hetero__cl_device_has_fp64(const struct hetero__cl_device *dev);

/* True if the device shares host memory (CPU device, integrated GPU). */
bool hetero__cl_device_unified(const struct hetero__cl_device *dev);

#endif /* HETERO_CL_INTERNAL_H */
