/*
 * version.c - the run-time library version.
 */
#include "internal.h"

const char *hetero_version(void)
{
    return HETERO_VERSION_STRING;
}

unsigned hetero_version_number(void)
{
    return HETERO_VERSION_NUMBER;
}
