/*
 * hetero.h - umbrella header of libhetero.
 *
 * libhetero runs a documented set of compute kernels serially, on a pthreads
 * pool, or through OpenCL, and picks the device per call from a calibrated
 * cost model. See each header for thread-safety rules.
 */
#ifndef HETERO_H
#define HETERO_H

#include <hetero/array.h>
#include <hetero/buffer.h>
#include <hetero/calibrate.h>
#include <hetero/context.h>
#include <hetero/defs.h>
#include <hetero/device.h>
#include <hetero/error.h>
#include <hetero/kernel.h>
#include <hetero/kernels.h>
#include <hetero/plan.h>
#include <hetero/pool.h>
#include <hetero/version.h>

#endif /* HETERO_H */
