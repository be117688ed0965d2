/*
 * sum.cl - the block partials of sum.h.
 *
 * Built with -DREAL=double (the accumulators; the runtime enables fp64),
 * -DSUM_X=float|double (the elements), -DSUM_BLOCK and -DSUM_LANES
 * (HETERO_SUM_BLOCK and HETERO_SUM_LANES of sum.h) and -DSUM_LPI, the
 * lanes each work-item keeps (1, 2, 4, 8 or 16, dividing SUM_LANES).
 *
 * The SUM_LANES / SUM_LPI work-items of a block are consecutive; item q of
 * block b keeps lanes q * SUM_LPI .. (q + 1) * SUM_LPI - 1 as one vector and
 * adds, for j = 0, 1, ..., the SUM_LPI consecutive elements at
 * j * SUM_LANES + q * SUM_LPI of its block to them with TwoSum, starting
 * from (+0, +0): each lane sees the elements of the serial lane, in the
 * same order. With SUM_LPI = 1 (GPUs) neighbouring work-items read
 * neighbouring elements, so the loads coalesce; with SUM_LPI = SUM_LANES
 * (CPU-like devices that want vectors) a work-item carries sixteen
 * independent TwoSum chains, as the CPU code does.
 *
 * The work-group size is a multiple of the items per block, so a block's
 * lanes meet in one group: its first item then folds lanes 1 .. SUM_LANES-1
 * into lane 0 in lane order, through local memory, and writes the block's
 * (S, C) to parts[2b], parts[2b + 1]. The host combines the blocks in block
 * order.
 *
 * The tail block: elements past its end count as +0, which leaves (s, c)
 * as they are: s + 0 = s exactly (s is never -0: it starts at +0, and
 * x + y is -0 in round-to-nearest only if both are -0), so t - s, the
 * error terms and c's increment are all +0; if s is Inf or NaN, c is NaN
 * already and the result is S alone (sum.h). So every device computes the
 * serial partials bit for bit: only IEEE additions and subtractions of
 * doubles (nothing to contract into an FMA, no fast-math option).
 * Work-items past the last block still reach the barrier.
 */

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

#if SUM_LPI == 1
#define REALV REAL
#define LOADV(i, p) ((REAL)(p)[i])
#define STOREV(v, i, p) ((p)[i] = (v))
#else
#define REALV CAT(REAL, SUM_LPI)
#define LOADV(i, p) CAT(convert_, REALV)(CAT(vload, SUM_LPI)(i, p))
#define STOREV(v, i, p) CAT(vstore, SUM_LPI)(v, i, p)
#endif /* SUM_LPI == 1 */

/* Work-items per block. */
#define SUM_IPB (SUM_LANES / SUM_LPI)

/* (s, c) += v lane by lane, Knuth's TwoSum as in sum.h. */
static inline void two_sum(REALV *s, REALV *c, REALV v)
{
    REALV t = *s + v;
    REALV z = t - *s;

    *c += (*s - (t - z)) + (v - z);
    *s = t;
}

/*
 * (S, C) += (ps, pc): TwoSum of the plain sums, its error and pc into C.
 * The same operations in the same order as hetero__sum_combine (down to
 * the sign of a zero C).
 */
static inline void combine(REAL *S, REAL *C, REAL ps, REAL pc)
{
    REAL t = *S + ps;
    REAL z = t - *S;
    REAL e = (*S - (t - z)) + (ps - z);

    *C += e + pc;
    *S = t;
}

kernel void sum_blocks(global const SUM_X *restrict x, const ulong n,
                       const ulong nblocks, global REAL *restrict parts,
                       local REAL *ls, local REAL *lc)
{
    size_t g = get_global_id(0);
    size_t lid = get_local_id(0);
    ulong b = g / SUM_IPB;
    uint q = (uint)(g % SUM_IPB);
    global const SUM_X *p = x;
    uint len = 0;
    REALV s = 0.0;
    REALV c = 0.0;
    uint j;

    if (b < nblocks) {
        p = x + b * SUM_BLOCK + q * SUM_LPI;
        len = n - b * SUM_BLOCK < SUM_BLOCK ? (uint)(n - b * SUM_BLOCK)
                                            : SUM_BLOCK;
    }
    if (len == SUM_BLOCK) {
        for (j = 0; j < SUM_BLOCK / SUM_LANES; j++)
            two_sum(&s, &c, LOADV(0, p + j * SUM_LANES));
    } else if (len > 0) {
        /* The tail block: the elements of this item, +0 past the end. */
        for (j = 0; j < SUM_BLOCK / SUM_LANES; j++) {
            REAL v[SUM_LPI];
            uint first = j * SUM_LANES + q * SUM_LPI;
            uint i;

            for (i = 0; i < SUM_LPI; i++)
                v[i] = first + i < len ? (REAL)p[j * SUM_LANES + i] : 0.0;
            two_sum(&s, &c, LOADV(0, v));
        }
    }
    STOREV(s, lid, ls);
    STOREV(c, lid, lc);
    barrier(CLK_LOCAL_MEM_FENCE);
    if (q == 0 && b < nblocks) {
        local const REAL *bs = ls + lid * SUM_LPI;
        local const REAL *bc = lc + lid * SUM_LPI;
        REAL S = bs[0];
        REAL C = bc[0];
        uint l;

        for (l = 1; l < SUM_LANES; l++)
            combine(&S, &C, bs[l], bc[l]);
        parts[2 * b] = S;
        parts[2 * b + 1] = C;
    }
}
