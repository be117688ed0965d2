/*
 * internal.h - library-internal helpers shared by lib/src and kernels/:
 * the replaceable allocator, error recording, checked arithmetic, time.
 *
 * Internal non-static names carry the hetero__ prefix and are hidden from the
 * shared library's symbol table (they are visible in the static test build).
 */
#ifndef HETERO_INTERNAL_H
#define HETERO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hetero/hetero.h>

/* ---- allocation (all library allocation goes through these) ---- */

void *hetero__malloc(size_t n);
void *hetero__calloc(size_t count, size_t size);
void *hetero__realloc(void *p, size_t n);
void hetero__free(void *p);
/* Aligned allocation; `align` is a power of two >= sizeof(void *).
 * Free with hetero__aligned_free. */
void *hetero__aligned_alloc(size_t align, size_t n);
void hetero__aligned_free(void *p);
char *hetero__strdup(const char *s);

/*
 * Fault injection for tests: after hetero__alloc_fail_after(k) the (k+1)-th
 * following allocation fails (k = 0: the next one), and every later one
 * succeeds again. k < 0 disables. Returns true if a fault was injected since
 * the last call to hetero__alloc_fault_reset().
 */
void hetero__alloc_fail_after(long k);
bool hetero__alloc_fault_hit(void);
void hetero__alloc_fault_reset(void);

/* ---- errors ---- */

/* Records a printf-style detail for the calling thread and `ctx` (may be
 * NULL), passes it to the context's log callback at ERROR level, and returns
 * `code` so that callers can write `return hetero__errf(ctx, code, ...)`. */
int hetero__errf(const hetero_context *ctx, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Logs at `level` through the context's callback if it is enabled. */
void hetero__logf(const hetero_context *ctx, enum hetero_log_level level,
                  const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* ---- checked arithmetic ---- */

static inline bool hetero__mul_overflow(size_t a, size_t b, size_t *out)
{
    return __builtin_mul_overflow(a, b, out);
}

static inline bool hetero__add_overflow(size_t a, size_t b, size_t *out)
{
    return __builtin_add_overflow(a, b, out);
}

/* ---- time ---- */

/* Monotonic clock in seconds. */
double hetero__now(void);

#endif /* HETERO_INTERNAL_H */
