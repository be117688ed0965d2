/*
 * det.cl - LU determinants as det.c does them (design: det_cl.c). Options:
 * -DDET_N=<det_item's order> -DDET_AS=local|global (det_group's matrix).
 */
/* m * u as mantissa, exponent into *e: the plain product's bits if normal */
static REAL pmul(REAL m, REAL u, long *e)
{
    int eu;
    int ep;

    m = frexp(m * frexp(u, &eu), &ep);
    *e = isfinite(m) && m != 0 ? *e + eu + ep : 0;
    return m;
}

static REAL pend(REAL m, long e, uint swaps)
{
    return ldexp(swaps & 1 ? -m : m, (int)clamp(e, -4096L, 4096L));
}

/* a better pivot: larger magnitude, or the first NaN */
static int better(REAL v, REAL b)
{
    return fabs(v) > fabs(b) || (isnan(v) && !isnan(b));
}

/* x * r (r = 1 / piv), or x / piv if piv is subnormal */
static REAL mult(REAL x, REAL piv, REAL r)
{
    return isnormal(piv) || isinf(piv) ? x * r : x / piv;
}

#define N DET_N
#define SYNC barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE)
#define IX(i, j) ((i) * N + (j))

kernel void det_item(global const REAL *a, global REAL *det, ulong batch)
{
    size_t b = get_global_id(0);
    REAL pm = 1;
    long pe = 0;
    uint swaps = 0;
    REAL m[N * N];

    if (b >= batch)
        return;
    for (uint e = 0; e < N * N; e++)
        m[e] = a[b * (N * N) + e];
    for (uint k = 0; k < N; k++) {
        uint p = k;
        REAL piv = m[IX(k, k)];

        for (uint i = k + 1; i < N; i++) {
            int t = better(m[IX(i, k)], piv);

            p = t ? i : p;
            piv = t ? m[IX(i, k)] : piv;
        }
        swaps += p != k;
        /* swap rows k, p by selects: constant indices only */
        for (uint i = k + 1; i < N; i++) {
            for (uint j = k; j < N; j++) {
                REAL t = m[IX(i, j)];

                m[IX(i, j)] = i == p ? m[IX(k, j)] : t;
                m[IX(k, j)] = i == p ? t : m[IX(k, j)];
            }
        }
        pm = pmul(pm, piv, &pe);
        if (piv == 0)
            continue;
        for (uint i = k + 1; i < N; i++) {
            REAL l = mult(m[IX(i, k)], piv, 1 / piv);

            for (uint j = k + 1; j < N; j++)
                m[IX(i, j)] -= l * m[IX(k, j)];
        }
    }
    det[b] = pend(pm, pe, swaps);
}

/* matrix b by group b (size a power of two) at m + b * stride */
kernel void det_group(global const REAL *a, global REAL *det, uint n,
                      DET_AS REAL *m, ulong stride, local REAL *bv,
                      local uint *bi)
{
    size_t b = get_group_id(0);
    uint id = get_local_id(0);
    uint ls = get_local_size(0);
    REAL pm = 1;
    long pe = 0;
    uint swaps = 0;

    m += b * stride;
    for (uint e = id; e < n * n; e += ls)
        m[e] = a[b * n * n + e];
    for (uint k = 0; k < n; k++) {
        uint p = n;
        REAL v = 0;
        REAL piv;
        REAL r;
        uint w = n - k - 1;

        SYNC;
        for (uint i = k + id; i < n; i += ls) {
            if (p == n || better(m[i * n + k], v)) {
                p = i;
                v = m[i * n + k];
            }
        }
        bv[id] = v;
        bi[id] = p;
        /* the better, on a tie the lower row (none: 0 in row n) */
        for (uint s = ls / 2; s > 0; s /= 2) {
            SYNC;
            if (id < s &&
                (better(bv[id + s], bv[id]) ||
                 (!better(bv[id], bv[id + s]) && bi[id + s] < bi[id]))) {
                bi[id] = bi[id + s];
                bv[id] = bv[id + s];
            }
        }
        SYNC;
        p = bi[0];
        for (uint j = k + id; j < n && p != k; j += ls) {
            v = m[k * n + j];
            m[k * n + j] = m[p * n + j];
            m[p * n + j] = v;
        }
        swaps += p != k;
        SYNC;
        piv = m[k * n + k];
        r = 1 / piv;
        pm = pmul(pm, piv, &pe);
        /* e runs over the w x w trailing block */
        for (uint e = id; piv != 0 && e < w * w; e += ls) {
            uint i = k + 1 + e / w;
            uint j = k + 1 + e % w;

            m[i * n + j] -= mult(m[i * n + k], piv, r) * m[k * n + j];
        }
    }
    if (id == 0)
        det[b] = pend(pm, pe, swaps);
}
