/*
 * version.h - the libhetero version, at compile time and at run time.
 *
 * Thread safety: pure functions.
 */
#ifndef HETERO_VERSION_H
#define HETERO_VERSION_H

#include <hetero/defs.h>
#include <hetero/version_config.h> /* generated: HETERO_VERSION_MAJOR ... */

#ifdef __cplusplus
extern "C" {
#endif

#define HETERO_VERSION_NUMBER                                                  \
    (HETERO_VERSION_MAJOR * 10000 + HETERO_VERSION_MINOR * 100 +              \
     HETERO_VERSION_PATCH)

/** The run-time library version as "major.minor.patch". */
HETERO_API const char *hetero_version(void);

/** The run-time version as major*10000 + minor*100 + patch. */
HETERO_API unsigned hetero_version_number(void);

#ifdef __cplusplus
}
#endif

#endif /* HETERO_VERSION_H */
