/*
 * autocorr.cl - autocorr's OpenCL kernels: the direct algorithm, tiled,
 * and the element-wise passes around the FFT algorithm's transforms (which
 * are VkFFT's, lib/src/cl/cl_fft.c).
 *
 * Built with -DREAL=float|double, -DREAL2=float2|double2 (see
 * lib/src/cl/cl_internal.h). Index convention as autocorr.h: a is
 * [B, n, m], out is [B, 2n-1, 2m-1] and out[n-1+di, m-1+dj] is the lag
 * (di, dj) sum; centro-symmetry gives out[n-1-di, m-1-dj] the same value.
 */

/*
 * The direct algorithm. A work-item computes LAGS consecutive lags
 * dj = dj0 .. dj0 + LAGS-1 of one di, in four REAL4 accumulators (one
 * broadcast and four vector loads per 16 multiply-adds); a work-group a
 * tile of th x (tw LAGS) lags (th x tw the local size): di = d0 + ty in
 * [0, n), dj in [-(m-1), m-1], matrix get_global_id(2). Each lag sums
 *     sum_{k, l} a[k, l] * a[k + di, l + dj]   (zero outside a)
 * over chunks of kc rows x lc columns of a: the group stages the chunk of
 * the left factor, lt = a[k0.., l0..] (kc x lc), and the chunk of the
 * shifted factor its lags need, st = a[k0+d0.., l0+e0..] ((kc+th-1) x
 * (lc+tw LAGS-1)), in local memory, zeros outside a, so the inner loop has
 * no bounds tests. The chunks cover only rows k < n - d0 and the columns
 * some shift of the tile overlaps (the last chunk of each is cut short
 * there, uniformly for the group). Only lags with di > 0, or di = 0 and
 * dj >= 0 (half of out) are computed; each is written with its mirror
 * image. kc and lc come from the device's local memory (autocorr_cl.c).
 */
#define LAGS 16

kernel void autocorr_direct(global const REAL *restrict a,
                            global REAL *restrict out, const uint n,
                            const uint m, const uint kc, const uint lc,
                            local REAL *lt, local REAL *st)
{
    const int tx = (int)get_local_id(0);
    const int ty = (int)get_local_id(1);
    const int tl = (int)get_local_size(0) * LAGS; /* lags across */
    const int th = (int)get_local_size(1);
    const int e0 = (int)get_group_id(0) * tl - ((int)m - 1);
    const int d0 = (int)get_group_id(1) * th;
    const int di = d0 + ty;
    const int dj0 = e0 + tx * LAGS;
    const int tw = (int)get_local_size(0);
    const int sw = (int)lc + tl - 1;
    const int kend = (int)n - d0;
    const int lbeg = max(0, -(e0 + tl - 1));
    const int lend = min((int)m, (int)m - e0);
    global const REAL *am = a + get_global_id(2) * (size_t)n * m;
    global REAL *om;
    size_t ow = 2 * (size_t)m - 1;
    REAL4 acc0 = (REAL4)(0);
    REAL4 acc1 = (REAL4)(0);
    REAL4 acc2 = (REAL4)(0);
    REAL4 acc3 = (REAL4)(0);
    REAL v[LAGS];
    int k0;
    int l0;
    int k;
    int l;
    int r;
    int c;
    int t;

    for (k0 = 0; k0 < kend; k0 += (int)kc) {
        const int kmax = min((int)kc, kend - k0);

        for (l0 = lbeg; l0 < lend; l0 += (int)lc) {
            const int lmax = min((int)lc, lend - l0);

            barrier(CLK_LOCAL_MEM_FENCE);
            for (r = ty; r < kmax; r += th) {
                for (c = tx; c < lmax; c += tw)
                    lt[r * (int)lc + c] = am[(size_t)(k0 + r) * m + l0 + c];
            }
            for (r = ty; r < kmax + th - 1; r += th) {
                const int ar = k0 + d0 + r;

                for (c = tx; c < lmax + tl - 1; c += tw) {
                    const int ac = l0 + e0 + c;

                    st[r * sw + c] = ar < (int)n && ac >= 0 && ac < (int)m
                                         ? am[(size_t)ar * m + ac]
                                         : (REAL)0;
                }
            }
            barrier(CLK_LOCAL_MEM_FENCE);
            for (k = 0; k < kmax; k++) {
                local const REAL *lr = lt + k * (int)lc;
                local const REAL *sr = st + (k + ty) * sw + tx * LAGS;

                for (l = 0; l < lmax; l++) {
                    REAL x = lr[l];

                    acc0 += x * vload4(0, sr + l);
                    acc1 += x * vload4(0, sr + l + 4);
                    acc2 += x * vload4(0, sr + l + 8);
                    acc3 += x * vload4(0, sr + l + 12);
                }
            }
        }
    }
    if (di >= (int)n)
        return;
    vstore4(acc0, 0, v);
    vstore4(acc1, 0, v + 4);
    vstore4(acc2, 0, v + 8);
    vstore4(acc3, 0, v + 12);
    om = out + get_global_id(2) * (2 * (size_t)n - 1) * ow;
    for (t = 0; t < LAGS; t++) {
        int dj = dj0 + t;

        if (dj >= (int)m || (di == 0 && dj < 0))
            continue;
        om[(size_t)(n - 1 + di) * ow + (size_t)((int)m - 1 + dj)] = v[t];
        om[(size_t)(n - 1 - di) * ow + (size_t)((int)m - 1 - dj)] = v[t];
    }
}

/*
 * FFT algorithm, step 1: each n x m matrix of a into the top-left corner
 * of a zeroed p x q complex matrix of c. Item (col, row, matrix) over
 * q x p x batch: three-dimensional, so no index is divided.
 */
kernel void autocorr_pad(global const REAL *restrict a,
                         global REAL2 *restrict c, const uint n, const uint m,
                         const uint p, const uint q)
{
    size_t col = get_global_id(0);
    size_t r = get_global_id(1);
    size_t b = get_global_id(2);
    REAL v = 0;

    if (r >= p || col >= q)
        return;
    if (r < n && col < m)
        v = a[(b * n + r) * m + col];
    c[(b * p + r) * q + col] = (REAL2)(v, (REAL)0);
}

/* Step 2, between the forward and inverse transforms: |X|^2. */
kernel void autocorr_power(global REAL2 *c, const ulong total)
{
    size_t i = get_global_id(0);
    REAL2 v;

    if (i >= total)
        return;
    v = c[i];
    c[i] = (REAL2)(v.x * v.x + v.y * v.y, (REAL)0);
}

/*
 * Step 3: out from the cyclic autocorrelation c (already scaled by the
 * normalised inverse): out[b, i, j] = re c[b, (i - (n-1)) mod p,
 * (j - (m-1)) mod q]. Item (j, i, matrix) over (2m-1) x (2n-1) x batch.
 */
kernel void autocorr_crop(global const REAL2 *restrict c,
                          global REAL *restrict out, const uint n,
                          const uint m, const uint p, const uint q)
{
    size_t j = get_global_id(0);
    size_t i = get_global_id(1);
    size_t b = get_global_id(2);
    size_t ow = 2 * (size_t)m - 1;
    size_t oh = 2 * (size_t)n - 1;
    size_t r = i >= n - 1 ? i - (n - 1) : i + p - (n - 1);
    size_t col = j >= m - 1 ? j - (m - 1) : j + q - (m - 1);

    if (i >= oh || j >= ow)
        return;
    out[(b * oh + i) * ow + j] = c[(b * p + r) * q + col].x;
}
