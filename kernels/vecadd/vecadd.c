/*
 * vecadd.c - vecadd descriptor, serial reference and typed entry points.
 */
#include <string.h>

#include <hetero/hetero.h>

#include "kernel_api.h"
#include "vecadd/vecadd.h"
#include "vecadd/vecadd_impl.h"

static const struct hetero_arg_desc vecadd_inputs[] = {
    { "a", "first addend, any shape" },
    { "b", "second addend, same shape and dtype as a" },
};

static const struct hetero_arg_desc vecadd_outputs[] = {
    { "c", "a + b, shape and dtype of a" },
};

static int vecadd_unpack(hetero_context *ctx, const struct hetero_call *call,
                         void *args, struct hetero_array *out_specs)
{
    struct hetero_vecadd_args *va = args;
    const struct hetero_array *a = &call->inputs[0];
    const struct hetero_array *b = &call->inputs[1];
    size_t n;
    int ret;

    ret = hetero__check_input(ctx, "vecadd", call, 0, HETERO_DT_REAL, 1,
                              HETERO_MAX_NDIM);
    if (ret)
        return ret;
    ret = hetero__check_input(ctx, "vecadd", call, 1, HETERO_DT_REAL, 1,
                              HETERO_MAX_NDIM);
    if (ret)
        return ret;
    if (a->dtype != b->dtype || a->ndim != b->ndim ||
        memcmp(a->shape, b->shape, (size_t)a->ndim * sizeof(a->shape[0])))
        return hetero__errf(ctx, HETERO_EINVAL,
                            "vecadd: a and b differ in dtype or shape");
    hetero__spec(&out_specs[0], a->dtype, a->ndim, a->shape);
    ret = hetero__check_outputs(ctx, "vecadd", call, out_specs, 1);
    if (ret)
        return ret;
    if (hetero_array_numel(a, &n))
        return HETERO_EINVAL; /* checked above */
    if (va) {
        va->dtype = a->dtype;
        va->n = n;
        va->a = a->data;
        va->b = b->data;
        va->c = call->n_outputs ? call->outputs[0].data : NULL;
    }
    return 0;
}

static int vecadd_input_specs(hetero_context *ctx, int ndim,
                              const size_t *shape, enum hetero_dtype dtype,
                              struct hetero_array *specs)
{
    if (dtype != HETERO_F32 && dtype != HETERO_F64)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "vecadd: dtype must be f32 or f64");
    hetero__spec(&specs[0], dtype, ndim, shape);
    hetero__spec(&specs[1], dtype, ndim, shape);
    return 0;
}

static void vecadd_work(const void *args, struct hetero_work *w)
{
    const struct hetero_vecadd_args *va = args;
    double es = va->dtype == HETERO_F32 ? 4.0 : 8.0;

    w->flops = (double)va->n;
    w->bytes = 3.0 * es * (double)va->n;
    w->items = (double)va->n;
}

void hetero__vecadd_range(const struct hetero_vecadd_args *va, size_t begin,
                          size_t end)
{
    size_t i;

    if (va->dtype == HETERO_F64) {
        const double *restrict a = va->a;
        const double *restrict b = va->b;
        double *c = va->c;

        for (i = begin; i < end; i++)
            c[i] = a[i] + b[i];
    } else {
        const float *restrict a = va->a;
        const float *restrict b = va->b;
        float *c = va->c;

        for (i = begin; i < end; i++)
            c[i] = a[i] + b[i];
    }
}

/* The reference: one loop, one thread. */
static int vecadd_serial(const struct hetero_exec *ex, const void *args)
{
    (void)ex;
    hetero__vecadd_range(args, 0, ((const struct hetero_vecadd_args *)args)->n);
    return 0;
}

static const struct hetero_variant vecadd_variants[] = {
    { .backend = HETERO_BACKEND_SERIAL, .run = vecadd_serial },
    { .backend = HETERO_BACKEND_POOL, .run = hetero__vecadd_pool },
#if HETERO_WITH_OPENCL
    { .backend = HETERO_BACKEND_OPENCL, .run = hetero__vecadd_cl,
      .supports = hetero__vecadd_cl_supports,
      .prepare = hetero__vecadd_cl_prepare,
      .release = hetero__vecadd_cl_release, .cl_program = "vecadd" },
#endif /* HETERO_WITH_OPENCL */
};

const struct hetero_kernel hetero__kernel_vecadd = {
    .name = "vecadd",
    .summary = "Element-wise sum c = a + b of two arrays.",
    .default_shape = "10000000",
    .shape_help = "N or any shape (both addends get it)",
    .version = 1,
    .inputs = vecadd_inputs,
    .n_inputs = HETERO_ARRAY_SIZE(vecadd_inputs),
    .outputs = vecadd_outputs,
    .n_outputs = HETERO_ARRAY_SIZE(vecadd_outputs),
    .args_size = sizeof(struct hetero_vecadd_args),
    .unpack = vecadd_unpack,
    .input_specs = vecadd_input_specs,
    .work = vecadd_work,
    .variants = vecadd_variants,
    .n_variants = HETERO_ARRAY_SIZE(vecadd_variants),
};

static int vecadd_typed(hetero_context *ctx, enum hetero_dtype dtype,
                        const void *a, const void *b, void *c, size_t n)
{
    struct hetero_array arrays[3] = { { 0 } };
    struct hetero_call call = { 0 };

    if (!ctx || !a || !b || !c || n == 0)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "vecadd: NULL pointer or n == 0");
    arrays[0] = (struct hetero_array){ .dtype = dtype, .ndim = 1,
                                       .shape = { n }, .data = (void *)a };
    arrays[1] = (struct hetero_array){ .dtype = dtype, .ndim = 1,
                                       .shape = { n }, .data = (void *)b };
    arrays[2] = (struct hetero_array){ .dtype = dtype, .ndim = 1,
                                       .shape = { n }, .data = c };
    call.inputs = arrays;
    call.n_inputs = 2;
    call.outputs = &arrays[2];
    call.n_outputs = 1;
    return hetero_run(ctx, &hetero__kernel_vecadd, &call, 0);
}

int hetero_vecadd(hetero_context *ctx, const double *a, const double *b,
                  double *c, size_t n)
{
    return vecadd_typed(ctx, HETERO_F64, a, b, c, n);
}

int hetero_vecadd_f32(hetero_context *ctx, const float *a, const float *b,
                      float *c, size_t n)
{
    return vecadd_typed(ctx, HETERO_F32, a, b, c, n);
}
