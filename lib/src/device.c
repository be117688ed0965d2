/*
 * device.c - the public device listing (device.h).
 *
 * DESIGN: always compiled, so that the public API links whether or not the
 * OpenCL backend is built; with it, the work is done by lib/src/cl (which
 * discovers the devices once per context), without it there is no device.
 */
#include <hetero/device.h>

#include "internal.h"
#if HETERO_WITH_OPENCL
#include "cl/cl_internal.h"
#endif /* HETERO_WITH_OPENCL */

int hetero_device_count(hetero_context *ctx, size_t *n)
{
    if (!ctx || !n)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "device_count: NULL context or n");
#if HETERO_WITH_OPENCL
    return hetero__cl_list_count(ctx, n);
#else
    *n = 0;
    return 0;
#endif /* HETERO_WITH_OPENCL */
}

int hetero_device_info(hetero_context *ctx, size_t i,
                       struct hetero_device_info *out)
{
    if (!ctx || !out)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "device_info: NULL context or out");
#if HETERO_WITH_OPENCL
    return hetero__cl_list_info(ctx, i, out);
#else
    return hetero__errf(ctx, HETERO_ENODEV,
                        "device_info: libhetero was built without OpenCL "
                        "(device %zu)",
                        i);
#endif /* HETERO_WITH_OPENCL */
}
