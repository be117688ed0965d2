/*
 * mcpi.cl - hits of the Philox4x32-10 sample pairs of mcpi.h, per
 * work-group.
 *
 * Built without REAL, with -DMCPI_W=1|2|4|8|16: the pairs a work-item
 * generates at once, as the lanes of uint vectors (1 on GPUs; CPU devices
 * that prefer vectors get 16, which their SIMD units run side by side).
 * The generator and the hit test use only 32-bit integer operations and
 * mul_hi (64-bit integers only index the pairs and add up the counts), so
 * it runs on every device, fp64 or not.
 *
 * Work-item g counts both samples of the pairs [first + g * per,
 * first + (g + 1) * per), clipped to first + count; per is a multiple of
 * MCPI_W. The work-group adds its items' counts in local memory (a tree:
 * counts are integers, the order cannot change them) and item 0 writes the
 * group's total to parts[group]. The host adds the groups up. The launch
 * covers whole pairs only: a lone last sample (odd samples) is counted on
 * the host.
 */

/* Philox4x32 constants (Random123 philox.h), as mcpi.c. */
#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u
#define PHILOX_ROUNDS 10

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

/* UINTV: MCPI_W uints; LT(a, b): 1 where a < b, else 0, lane by lane;
 * IOTA: 0, 1, ..., MCPI_W - 1. */
#if MCPI_W == 1
#define UINTV uint
#define LT(a, b) ((uint)((a) < (b)))
#define IOTA 0u
#define STOREV(v, p) ((p)[0] = (v))
#else
#define UINTV CAT(uint, MCPI_W)
#define LT(a, b) (CAT(as_, UINTV)((a) < (b)) & 1u)
#define IOTA CAT(vload, MCPI_W)(0, iota)
#define STOREV(v, p) CAT(vstore, MCPI_W)(v, 0, p)
constant uint iota[16] = { 0, 1, 2, 3, 4, 5, 6, 7,
                           8, 9, 10, 11, 12, 13, 14, 15 };
#endif /* MCPI_W == 1 */

/*
 * 1 where X^2 + Y^2 < 2^64, exactly: the 64-bit squares as (hi, lo) words,
 * added with explicit carries; a hit is a sum that does not carry out of
 * bit 63. hi(X^2) <= 2^32 - 2, so the high words plus the low carry carry
 * out at most once.
 */
static inline UINTV is_hit(UINTV x, UINTV y)
{
    UINTV xl = x * x;
    UINTV yl = y * y;
    UINTV xh = mul_hi(x, x);
    UINTV yh = mul_hi(y, y);
    UINTV lo = xl + yl;
    UINTV c0 = LT(lo, xl);
    UINTV hi = xh + yh;
    UINTV c1 = LT(hi, xh);
    UINTV c2 = LT(hi + c0, hi);

    return (c1 | c2) ^ 1u;
}

kernel void mcpi_hits(const uint k0, const uint k1, const ulong first,
                      const ulong count, const ulong per,
                      global ulong *restrict parts, local ulong *acc)
{
    size_t g = get_global_id(0);
    size_t lid = get_local_id(0);
    size_t lsz = get_local_size(0);
    ulong begin = (ulong)g * per;
    ulong hits = 0;
    size_t s;

    if (begin < count) {
        ulong end = count - begin < per ? count : begin + per;
        ulong j = first + begin;
        uint blo = (uint)j; /* the first pair of this step */
        uint bhi = (uint)(j >> 32);
        uint m = (uint)(end - begin); /* per fits 32 bits (mcpi_cl.c) */
        UINTV h = 0;
        uint hs[MCPI_W];
        uint i;

        for (i = 0; i < m; i += MCPI_W) {
            /* Lane pairs (blo + lane, bhi) over 64 bits. */
            UINTV c0 = blo + IOTA;
            UINTV c1 = bhi + LT(c0, IOTA);
            UINTV c2 = 0;
            UINTV c3 = 0;
            uint a0 = k0;
            uint a1 = k1;
            int r;

            for (r = 0; r < PHILOX_ROUNDS; r++) {
                UINTV p0h = mul_hi((UINTV)PHILOX_M0, c0);
                UINTV p0l = PHILOX_M0 * c0;
                UINTV p1h = mul_hi((UINTV)PHILOX_M1, c2);
                UINTV p1l = PHILOX_M1 * c2;

                c0 = p1h ^ c1 ^ a0;
                c1 = p1l;
                c2 = p0h ^ c3 ^ a1;
                c3 = p0l;
                a0 += PHILOX_W0;
                a1 += PHILOX_W1;
            }
            /* Lanes past the item's last pair count nothing. */
            h += LT(i + IOTA, m) * (is_hit(c0, c1) + is_hit(c2, c3));
            blo += MCPI_W;
            bhi += blo < MCPI_W;
        }
        STOREV(h, hs);
        for (i = 0; i < MCPI_W; i++)
            hits += hs[i];
    }
    acc[lid] = hits;
    barrier(CLK_LOCAL_MEM_FENCE);
    /* Tree over any group size: s starts at the largest power of two below
     * lsz. */
    for (s = 1; s < lsz; s <<= 1)
        ;
    for (s >>= 1; s > 0; s >>= 1) {
        if (lid < s && lid + s < lsz)
            acc[lid] += acc[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0)
        parts[get_group_id(0)] = acc[0];
}
