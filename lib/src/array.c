/*
 * array.c - dtypes, overflow-checked shape arithmetic, array allocation.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"

static const struct {
    const char *name;
    const char *alias;
    size_t size;
} dtype_info[HETERO_DTYPE_COUNT] = {
    [HETERO_DTYPE_NONE] = { "none", "none", 0 },
    [HETERO_F32] = { "f32", "float32", 4 },
    [HETERO_F64] = { "f64", "float64", 8 },
    [HETERO_C64] = { "c64", "complex64", 8 },
    [HETERO_C128] = { "c128", "complex128", 16 },
    [HETERO_I32] = { "i32", "int32", 4 },
    [HETERO_I64] = { "i64", "int64", 8 },
};

static bool dtype_valid(enum hetero_dtype d)
{
    /* Unsigned compare: also rejects negative values cast to the enum. */
    return (unsigned)d - 1u < (unsigned)HETERO_DTYPE_COUNT - 1u;
}

size_t hetero_dtype_size(enum hetero_dtype dtype)
{
    return dtype_valid(dtype) ? dtype_info[dtype].size : 0;
}

const char *hetero_dtype_name(enum hetero_dtype dtype)
{
    return dtype_valid(dtype) ? dtype_info[dtype].name : "none";
}

enum hetero_dtype hetero_dtype_from_name(const char *name)
{
    int d;

    if (!name)
        return HETERO_DTYPE_NONE;
    for (d = 1; d < HETERO_DTYPE_COUNT; d++) {
        if (strcmp(name, dtype_info[d].name) == 0 ||
            strcmp(name, dtype_info[d].alias) == 0)
            return (enum hetero_dtype)d;
    }
    return HETERO_DTYPE_NONE;
}

bool hetero_dtype_is_complex(enum hetero_dtype dtype)
{
    return dtype == HETERO_C64 || dtype == HETERO_C128;
}

int hetero_shape_numel(int ndim, const size_t *shape, size_t *out)
{
    size_t n = 1;
    int i;

    if (!out || ndim < 0 || ndim > HETERO_MAX_NDIM || (ndim > 0 && !shape))
        return HETERO_EINVAL;
    for (i = 0; i < ndim; i++) {
        if (hetero__mul_overflow(n, shape[i], &n))
            return HETERO_EINVAL;
    }
    /* A zero dimension makes the product 0, but a later dimension could
     * still be absurd: check the product of the non-zero dims too. */
    if (n == 0) {
        size_t nz = 1;

        for (i = 0; i < ndim; i++) {
            if (shape[i] && hetero__mul_overflow(nz, shape[i], &nz))
                return HETERO_EINVAL;
        }
    }
    *out = n;
    return 0;
}

int hetero_array_numel(const struct hetero_array *a, size_t *out)
{
    if (!a)
        return HETERO_EINVAL;
    return hetero_shape_numel(a->ndim, a->shape, out);
}

int hetero_array_nbytes(const struct hetero_array *a, size_t *out)
{
    size_t n;
    size_t bytes;
    int ret;

    if (!a || !out || !dtype_valid(a->dtype))
        return HETERO_EINVAL;
    ret = hetero_array_numel(a, &n);
    if (ret)
        return ret;
    if (hetero__mul_overflow(n, hetero_dtype_size(a->dtype), &bytes))
        return HETERO_EINVAL;
    *out = bytes;
    return 0;
}

int hetero_array_alloc(hetero_context *ctx, enum hetero_dtype dtype, int ndim,
                       const size_t *shape, struct hetero_array *out)
{
    struct hetero_array a = { 0 };
    hetero_buffer *buf = NULL;
    size_t bytes;
    int ret;

    if (!out || !dtype_valid(dtype) || ndim < 0 || ndim > HETERO_MAX_NDIM ||
        (ndim > 0 && !shape))
        return hetero__errf(ctx, HETERO_EINVAL,
                            "array_alloc: bad dtype, ndim or NULL pointer");
    a.dtype = dtype;
    a.ndim = ndim;
    if (ndim > 0)
        memcpy(a.shape, shape, (size_t)ndim * sizeof(shape[0]));
    if (hetero_array_nbytes(&a, &bytes))
        return hetero__errf(ctx, HETERO_EINVAL,
                            "array_alloc: element or byte count overflows");
    ret = hetero_buffer_create(ctx, bytes ? bytes : 1, &buf);
    if (ret)
        return ret;
    a.buffer = buf;
    a.data = hetero_buffer_data(buf);
    *out = a;
    return 0;
}

void hetero_array_free(struct hetero_array *a)
{
    if (!a)
        return;
    hetero_buffer_release(a->buffer);
    memset(a, 0, sizeof(*a));
}

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

int hetero_array_fill_uniform(struct hetero_array *a, uint64_t seed)
{
    size_t n = 0;
    size_t i;

    if (!a || !dtype_valid(a->dtype) || hetero_array_numel(a, &n) ||
        (n > 0 && !a->data))
        return HETERO_EINVAL;
    if (hetero_dtype_is_complex(a->dtype))
        n *= 2; /* both parts; numel * 2 cannot overflow: bytes fit */
    for (i = 0; i < n; i++) {
        double u = (double)(splitmix64(&seed) >> 11) * 0x1.0p-53 * 2.0 - 1.0;

        switch (a->dtype) {
        case HETERO_F32:
        case HETERO_C64:
            ((float *)a->data)[i] = (float)u;
            break;
        case HETERO_F64:
        case HETERO_C128:
            ((double *)a->data)[i] = u;
            break;
        case HETERO_I32:
            ((int32_t *)a->data)[i] = (int32_t)floor(u * 100.0);
            break;
        case HETERO_I64:
        default:
            ((int64_t *)a->data)[i] = (int64_t)floor(u * 100.0);
            break;
        }
    }
    hetero_buffer_mark_host_dirty(a->buffer);
    return 0;
}

int hetero_shape_parse(const char *text, int *ndim, size_t *shape)
{
    const char *p = text;
    int nd = 0;

    if (!text || !ndim || !shape)
        return hetero__errf(NULL, HETERO_EINVAL, "shape: NULL argument");
    if (!*p)
        return hetero__errf(NULL, HETERO_EINVAL, "shape is empty");
    while (*p) {
        unsigned long long v;
        char *end;

        if (nd == HETERO_MAX_NDIM)
            return hetero__errf(NULL, HETERO_EINVAL,
                                "more than %d dimensions", HETERO_MAX_NDIM);
        if (*p < '0' || *p > '9')
            return hetero__errf(NULL, HETERO_EINVAL,
                                "expected dimensions like 30x100x100");
        errno = 0;
        v = strtoull(p, &end, 10);
        if (errno || v == 0 || v > SIZE_MAX)
            return hetero__errf(NULL, HETERO_EINVAL,
                                "dimensions must be positive integers");
        shape[nd++] = (size_t)v;
        p = end;
        if (*p == 'x' || *p == 'X' || *p == ',') {
            p++;
            if (!*p)
                return hetero__errf(NULL, HETERO_EINVAL,
                                    "trailing separator");
        } else if (*p) {
            return hetero__errf(NULL, HETERO_EINVAL, "unexpected '%c'", *p);
        }
    }
    *ndim = nd;
    return 0;
}
