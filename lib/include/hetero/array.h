/*
 * array.h - dense, C-ordered (row-major) n-dimensional arrays and .npy I/O.
 *
 * struct hetero_array is a view: dtype, shape and a data pointer. It may own
 * a reference to a shared buffer (`buffer`, see buffer.h) when the library
 * allocated it (hetero_array_alloc); otherwise `buffer` is NULL and the data
 * belongs to the caller. All shape arithmetic is overflow-checked: a shape
 * whose element or byte count does not fit a size_t is HETERO_EINVAL.
 *
 * Thread safety: the functions are reentrant; an array must not be freed by
 * one thread while another uses it.
 */
#ifndef HETERO_ARRAY_H
#define HETERO_ARRAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hetero/defs.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hetero_context hetero_context;
typedef struct hetero_buffer hetero_buffer;

/** Element types. Complex types are interleaved (re, im) pairs. */
enum hetero_dtype {
    HETERO_DTYPE_NONE = 0,
    HETERO_F32 = 1, /* float,  npy "<f4"  */
    HETERO_F64,     /* double, npy "<f8"  */
    HETERO_C64,     /* 2 x float,  "<c8"  */
    HETERO_C128,    /* 2 x double, "<c16" */
    HETERO_I32,     /* int32_t, "<i4"     */
    HETERO_I64,     /* int64_t, "<i8"     */
};
#define HETERO_DTYPE_COUNT 7

#define HETERO_MAX_NDIM 8

struct hetero_array {
    enum hetero_dtype dtype;
    int ndim;                       /* 0..HETERO_MAX_NDIM; 0 is a scalar */
    size_t shape[HETERO_MAX_NDIM];  /* shape[0..ndim-1] */
    void *data;                     /* C-ordered elements, may be NULL */
    hetero_buffer *buffer;          /* owning reference or NULL */
};

/** Bytes per element of `dtype`, 0 if it is not a valid dtype. */
HETERO_API size_t hetero_dtype_size(enum hetero_dtype dtype);

/** Short name ("f64", "c128", ...); "none" for an invalid dtype. */
HETERO_API const char *hetero_dtype_name(enum hetero_dtype dtype);

/** Parses "f32", "f64", "c64", "c128", "i32", "i64" (also "float32",
 *  "float64", "complex64", "complex128", "int32", "int64").
 *  Returns HETERO_DTYPE_NONE if the name is unknown or NULL. */
HETERO_API enum hetero_dtype hetero_dtype_from_name(const char *name);

/** True for HETERO_C64 and HETERO_C128. */
HETERO_API bool hetero_dtype_is_complex(enum hetero_dtype dtype);

/**
 * Element count of a shape into *out (1 for ndim 0).
 * Returns 0, or HETERO_EINVAL if ndim is out of range, shape or out is NULL,
 * or the product overflows size_t. A zero dimension gives *out = 0.
 */
HETERO_API HETERO_NODISCARD int hetero_shape_numel(int ndim,
                                                   const size_t *shape,
                                                   size_t *out);

/** Element count of `a`; errors as hetero_shape_numel(). */
HETERO_API HETERO_NODISCARD int hetero_array_numel(const struct hetero_array *a,
                                                   size_t *out);

/** Byte count of `a` (numel * dtype size, overflow-checked); HETERO_EINVAL
 *  also for an invalid dtype. */
HETERO_API HETERO_NODISCARD int hetero_array_nbytes(const struct hetero_array *a,
                                                    size_t *out);

/**
 * Allocates a zero-filled array of the given dtype and shape in a new shared
 * buffer (64-byte aligned, page-aligned when large). On success fills *out
 * (out->buffer holds the one reference); on failure *out is left untouched.
 * `ctx` may be NULL. Errors: HETERO_EINVAL (bad dtype/shape, overflow),
 * HETERO_ENOMEM.
 */
HETERO_API HETERO_NODISCARD int hetero_array_alloc(hetero_context *ctx,
                                                   enum hetero_dtype dtype,
                                                   int ndim,
                                                   const size_t *shape,
                                                   struct hetero_array *out);

/** Drops the array's buffer reference (if any) and clears *a. NULL is a
 *  no-op. Caller-owned data (buffer == NULL) is not freed. */
HETERO_API void hetero_array_free(struct hetero_array *a);

/**
 * Parses a shape written like "30x100x100" (separators 'x', 'X' or ',';
 * 1 to HETERO_MAX_NDIM positive dimensions) into shape[] and *ndim.
 * Errors: HETERO_EINVAL, with the reason in hetero_context_errmsg(NULL):
 * empty, not a number, zero or too large a dimension, trailing separator,
 * unexpected character, too many dimensions.
 */
HETERO_API HETERO_NODISCARD int hetero_shape_parse(const char *text,
                                                   int *ndim,
                                                   size_t *shape);

/**
 * Fills `a` with seeded pseudo-random values: uniform in [-1, 1) for real
 * and complex dtypes (both parts), integers uniform in [-100, 100) for i32
 * and i64. The same (seed, dtype, shape) gives the same values on every
 * machine (splitmix64, no libc generator). Errors: HETERO_EINVAL (NULL,
 * bad dtype or shape, data NULL with elements).
 */
HETERO_API HETERO_NODISCARD int
hetero_array_fill_uniform(struct hetero_array *a, uint64_t seed);

/**
 * Reads a .npy file (format 1.0, 2.0 or 3.0; little-endian <f4 <f8 <c8 <c16
 * <i4 <i8; C order) into a newly allocated array *out. Errors:
 * HETERO_EINVAL (NULL args), HETERO_ENOENT / HETERO_EIO (cannot open/read),
 * HETERO_EFORMAT (truncated, corrupt, Fortran order, big-endian, object or
 * unsupported dtype, shape overflow), HETERO_ENOMEM. The detail is kept in
 * hetero_context_errmsg(ctx); ctx may be NULL (then hetero_context_errmsg(NULL)).
 */
HETERO_API HETERO_NODISCARD int hetero_npy_read(hetero_context *ctx,
                                                const char *path,
                                                struct hetero_array *out);

/** As hetero_npy_read() but parses `len` bytes in memory. `bytes` is
 *  borrowed. */
HETERO_API HETERO_NODISCARD int hetero_npy_parse(hetero_context *ctx,
                                                 const void *bytes,
                                                 size_t len,
                                                 struct hetero_array *out);

/**
 * Writes `a` as a .npy file (version 1.0, or 2.0 when the header needs it),
 * atomically: a temporary file in the same directory is renamed over `path`.
 * Errors: HETERO_EINVAL (NULL, bad dtype/shape, data NULL with numel > 0),
 * HETERO_ENOMEM, HETERO_EIO.
 */
HETERO_API HETERO_NODISCARD int hetero_npy_write(hetero_context *ctx,
                                                 const char *path,
                                                 const struct hetero_array *a);

#ifdef __cplusplus
}
#endif

#endif /* HETERO_ARRAY_H */
