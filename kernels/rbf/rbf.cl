/*
 * rbf.cl - D[i][j] = f(||v_i - v_j||), f(r) = r^3/12 + r^2/6, one
 * work-item per element of D.
 *
 * Built with -DREAL=float|double (lib/src/cl/cl_internal.h): f32 points
 * are computed in float on the device (double may be missing or slow).
 * The full matrix is computed, rows along dimension 1 and columns along
 * dimension 0, so that neighbouring work-items write neighbouring elements;
 * the work is bounded by those writes, not by the arithmetic, so computing
 * both triangles costs little and needs no transposed mirror writes.
 * D[j][i] is still bitwise equal to D[i][j]: v_j - v_i is exactly
 * -(v_i - v_j), the squares are equal, and the sum runs over the
 * coordinates in the same order. With contraction off, every operation is
 * the serial variant's, in its order, so that f64 agrees with it as far as
 * the device's sqrt (correctly rounded in double) allows.
 */
#pragma OPENCL FP_CONTRACT OFF

kernel void rbf(global const REAL *restrict points, global REAL *restrict out,
                const ulong n, const ulong d)
{
    ulong j = get_global_id(0);
    ulong i = get_global_id(1);
    global const REAL *vi;
    global const REAL *vj;
    REAL s = (REAL)0;
    REAL r;

    if (i >= n || j >= n)
        return;
    vi = points + i * d;
    vj = points + j * d;
    for (ulong k = 0; k < d; k++) {
        REAL t = vj[k] - vi[k];

        s += t * t;
    }
    /* f(r) = r^3/12 + r^2/6 as s * (r/12 + 1/6), s = r^2, as serial. */
    r = sqrt(s);
    out[i * n + j] = s * (r * ((REAL)1 / (REAL)12) + (REAL)1 / (REAL)6);
}
