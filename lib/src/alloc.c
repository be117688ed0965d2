/*
 * alloc.c - the library's one allocator, with fault injection for tests.
 *
 * DESIGN: every allocation of the library goes through hetero__malloc and
 * friends so that tests can make the k-th allocation fail and prove that
 * each error path unwinds without leaks (the libuv test-loop-oom pattern).
 * The fault counter is a process-wide atomic: it is a test hook, not state a
 * user can observe, and it is disabled (negative) by default.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static atomic_long fail_countdown = -1;
static atomic_bool fault_hit = false;

void hetero__alloc_fail_after(long k)
{
    atomic_store(&fail_countdown, k < 0 ? -1 : k);
}

bool hetero__alloc_fault_hit(void)
{
    return atomic_load(&fault_hit);
}

void hetero__alloc_fault_reset(void)
{
    atomic_store(&fault_hit, false);
    atomic_store(&fail_countdown, -1);
}

/* True if this allocation must fail. */
static bool inject_fault(void)
{
    long c = atomic_load(&fail_countdown);

    while (c >= 0) {
        if (atomic_compare_exchange_weak(&fail_countdown, &c, c - 1)) {
            if (c == 0) {
                atomic_store(&fault_hit, true);
                return true;
            }
            return false;
        }
    }
    return false;
}

void *hetero__malloc(size_t n)
{
    if (inject_fault())
        return NULL;
    return malloc(n ? n : 1);
}

void *hetero__calloc(size_t count, size_t size)
{
    if (inject_fault())
        return NULL;
    if (count == 0 || size == 0)
        return calloc(1, 1);
    return calloc(count, size);
}

void *hetero__realloc(void *p, size_t n)
{
    if (inject_fault())
        return NULL;
    return realloc(p, n ? n : 1);
}

void hetero__free(void *p)
{
    free(p);
}

void *hetero__aligned_alloc(size_t align, size_t n)
{
    void *p = NULL;

    if (inject_fault())
        return NULL;
    if (posix_memalign(&p, align, n ? n : 1) != 0)
        return NULL;
    return p;
}

void hetero__aligned_free(void *p)
{
    free(p);
}

char *hetero__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = hetero__malloc(n);

    if (d)
        memcpy(d, s, n);
    return d;
}
