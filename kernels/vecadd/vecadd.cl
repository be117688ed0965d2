/*
 * vecadd.cl - c = a + b, one work-item per element.
 *
 * Built with -DREAL=float or -DREAL=double (see lib/src/cl/cl_internal.h).
 * The global size is rounded up to a whole number of work-groups, so the
 * work-items past n return at once. c may be the same buffer as a or b
 * (hence no restrict): each item reads its element before writing it.
 */
kernel void vecadd(global const REAL *a, global const REAL *b,
                   global REAL *c, const ulong n)
{
    size_t i = get_global_id(0);

    if (i >= n)
        return;
    c[i] = a[i] + b[i];
}
