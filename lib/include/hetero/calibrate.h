/*
 * calibrate.h - calibration of the dispatcher's cost model.
 *
 * hetero_calibrate() times every variant of a kernel (every pool thread
 * count, every algorithm, the OpenCL device if there is one) at a spread of
 * sizes, fits t = a + b * w per variant by least squares on the medians,
 * and stores the fit in the context's cache directory
 * (calibration-v1.txt: one versioned text file keyed by machine identity;
 * each line by kernel implementation version and device identity, so a
 * changed kernel or driver invalidates only its own lines). Later contexts
 * load it and plans say "calibrated" instead of "uncalibrated defaults".
 *
 * Thread safety: hetero_calibrate may run while other threads use the
 * context (it takes the model lock only to publish its results). Several
 * processes may calibrate at once: the file is rewritten atomically.
 */
#ifndef HETERO_CALIBRATE_H
#define HETERO_CALIBRATE_H

#include <stdbool.h>
#include <stddef.h>

#include <hetero/defs.h>
#include <hetero/kernel.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hetero_context hetero_context;

/** Progress callback: fraction in [0, 1] and what is being measured. */
typedef void (*hetero_progress_fn)(void *user, double fraction,
                                   const char *what);

/** Options; zero means default, NULL means all defaults. */
struct hetero_calibrate_opts {
    const hetero_kernel *kernel; /* NULL: every kernel */
    bool quick;                  /* fewer sizes and repeats (< 20 s total) */
    hetero_progress_fn progress;
    void *progress_user;
};

/**
 * Calibrates and saves the model. Errors: HETERO_EINVAL, HETERO_ENOMEM,
 * HETERO_EIO (cannot write the file), kernel errors.
 */
HETERO_API HETERO_NODISCARD int
hetero_calibrate(hetero_context *ctx, const struct hetero_calibrate_opts *opts);

/** Path of the calibration file this context reads and writes (borrowed,
 *  valid as long as the context). */
HETERO_API const char *hetero_calibration_path(hetero_context *ctx);

/**
 * Loads the calibration file again (also done lazily on first use).
 * Returns 0 if it was loaded, HETERO_ENOENT if there is none,
 * HETERO_ECALIB if it is corrupt or from another machine or library version
 * (detail in errmsg; the built-in defaults are used).
 */
HETERO_API HETERO_NODISCARD int hetero_calibration_load(hetero_context *ctx);

/** Number of fitted entries in use (0 when uncalibrated). */
HETERO_API size_t hetero_calibration_entries(hetero_context *ctx);

#ifdef __cplusplus
}
#endif

#endif /* HETERO_CALIBRATE_H */
