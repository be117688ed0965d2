/*
 * dispatch_cost.c - what the dispatcher's decision costs per call.
 *
 * Times hetero_plan_create + hetero_plan_destroy (validation, candidate
 * listing, one cost-model prediction per candidate, no preparation work:
 * vecadd has none) and, side by side, a forced-serial plan (one candidate)
 * and a full hetero_run of a 16-element vecadd, each as the median of
 * batches of 1000 calls. Run after `hetero-run --calibrate --quick` to time
 * calibrated lookups; without it the defaults are timed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <hetero/hetero.h>

#define BATCH 1000
#define ROUNDS 31

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median_us(hetero_context *ctx, const hetero_kernel *k,
                        struct hetero_call *call, unsigned flags, int run)
{
    double t[ROUNDS];
    int r;
    int i;

    for (r = 0; r < ROUNDS; r++) {
        double t0 = now();

        for (i = 0; i < BATCH; i++) {
            hetero_plan *p = NULL;

            if (run) {
                if (hetero_run(ctx, k, call, flags))
                    exit(1);
                continue;
            }
            if (hetero_plan_create(ctx, k, call, flags, &p))
                exit(1);
            hetero_plan_destroy(p);
        }
        t[r] = (now() - t0) / BATCH * 1e6;
    }
    qsort(t, ROUNDS, sizeof(t[0]), cmp);
    return t[ROUNDS / 2];
}

int main(void)
{
    hetero_context *ctx = NULL;
    const hetero_kernel *k = hetero_kernel_find("vecadd");
    double a[16] = { 0 };
    double c[16];
    struct hetero_array arr[3] = {
        { .dtype = HETERO_F64, .ndim = 1, .shape = { 16 }, .data = a },
        { .dtype = HETERO_F64, .ndim = 1, .shape = { 16 }, .data = a },
        { .dtype = HETERO_F64, .ndim = 1, .shape = { 16 }, .data = c },
    };
    struct hetero_call call = { .inputs = arr, .n_inputs = 2,
                                .outputs = &arr[2], .n_outputs = 1 };
    hetero_plan *p = NULL;
    struct hetero_plan_info info;

    if (hetero_context_create(NULL, &ctx))
        return 1;
    if (hetero_plan_create(ctx, k, &call, 0, &p) || hetero_plan_info(p, &info))
        return 1;
    printf("decision for vecadd n=16 (%zu candidates, %s)\n",
           info.n_candidates,
           info.calibrated ? "calibrated" : "uncalibrated defaults");
    hetero_plan_destroy(p);
    printf("impl,median_us\n");
    printf("plan_create_auto,%.3f\n", median_us(ctx, k, &call, 0, 0));
    printf("plan_create_forced_serial,%.3f\n",
           median_us(ctx, k, &call, HETERO_PLAN_FORCE_SERIAL, 0));
    printf("hetero_run_auto,%.3f\n", median_us(ctx, k, &call, 0, 1));
    hetero_context_destroy(ctx);
    return 0;
}
