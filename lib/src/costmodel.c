/*
 * costmodel.c - the dispatcher's model of time.
 *
 * DESIGN: t(w) = a + b * flops + c * bytes (+ transfer bytes / bandwidth
 * for discrete OpenCL devices). Without calibration the model uses
 * conservative built-in constants for this class of machine and says so
 * (calibrated = false): they favour serial for small work, so an
 * uncalibrated library never pays for parallelism that obviously loses.
 */
#include "costmodel.h"

/* Built-in defaults: a 2..4 GHz x86 core. */
#define DEF_SERIAL_OVERHEAD 0.2e-6
#define DEF_POOL_OVERHEAD 4e-6     /* wake-up + join of a parallel_for */
#define DEF_POOL_PER_THREAD 1e-6
#define DEF_CL_OVERHEAD 60e-6      /* enqueue + launch + finish */
#define DEF_FLOP_RATE 2e9          /* per thread */
#define DEF_BYTE_RATE 8e9          /* per thread, saturating at 2 */
#define DEF_CL_FLOP_RATE 4e9
#define DEF_PCIE_RATE 8e9

void hetero__cost_predict(hetero_context *ctx, const struct hetero_kernel *k,
                          const struct hetero_variant *v, size_t threads,
                          bool unified, const struct hetero_work *w,
                          struct hetero__prediction *p)
{
    double t = threads ? (double)threads : 1.0;
    double mem_par = t < 2.0 ? t : 2.0;

    (void)ctx;
    (void)k;
    p->calibrated = false;
    p->transfer_s = 0.0;
    switch (v->backend) {
    case HETERO_BACKEND_SERIAL:
        p->overhead_s = DEF_SERIAL_OVERHEAD;
        p->compute_s = w->flops / DEF_FLOP_RATE + w->bytes / DEF_BYTE_RATE;
        break;
    case HETERO_BACKEND_POOL:
        p->overhead_s = threads > 1
                            ? DEF_POOL_OVERHEAD + DEF_POOL_PER_THREAD * t
                            : DEF_SERIAL_OVERHEAD;
        p->compute_s = w->flops / (DEF_FLOP_RATE * t) +
                       w->bytes / (DEF_BYTE_RATE * mem_par);
        break;
    case HETERO_BACKEND_OPENCL:
    default:
        p->overhead_s = DEF_CL_OVERHEAD;
        p->compute_s = w->flops / DEF_CL_FLOP_RATE + w->bytes / DEF_BYTE_RATE;
        p->transfer_s = unified ? 0.0 : w->bytes / DEF_PCIE_RATE;
        break;
    }
    p->total_s = p->overhead_s + p->compute_s + p->transfer_s;
}

void hetero__cost_observe(hetero_context *ctx, const struct hetero_kernel *k,
                          const struct hetero_variant *v, size_t threads,
                          const struct hetero_work *w, double seconds)
{
    (void)ctx;
    (void)k;
    (void)v;
    (void)threads;
    (void)w;
    (void)seconds;
}
