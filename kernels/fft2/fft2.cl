/*
 * fft2.cl - the helper of fft2's OpenCL variant; the transform itself is
 * VkFFT's (lib/src/cl/cl_fft.c).
 *
 * Built with -DREAL=float|double, -DREAL2=float2|double2 (see
 * lib/src/cl/cl_internal.h). The global size is rounded up to whole
 * work-groups, so the items past n return at once.
 */

/* y[i] = x[i] + 0i: a real input as the complex array VkFFT transforms. */
kernel void fft2_real_to_complex(global const REAL *restrict x,
                                 global REAL2 *restrict y, const ulong n)
{
    size_t i = get_global_id(0);

    if (i >= n)
        return;
    y[i] = (REAL2)(x[i], (REAL)0);
}
