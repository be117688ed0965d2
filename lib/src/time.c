/*
 * time.c - the library's clock.
 */
#include <time.h>

#include "internal.h"

double hetero__now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
