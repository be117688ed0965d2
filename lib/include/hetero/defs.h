/*
 * defs.h - shared macros of the public headers: export and nodiscard.
 *
 * Thread safety: macros only.
 */
#ifndef HETERO_DEFS_H
#define HETERO_DEFS_H

#include <hetero/hetero_export.h> /* generated: HETERO_API */

#if defined(__GNUC__) || defined(__clang__)
#define HETERO_NODISCARD __attribute__((warn_unused_result))
#else
#define HETERO_NODISCARD
#endif

#define HETERO_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* HETERO_DEFS_H */
