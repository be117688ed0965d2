/*
 * autocorr.c - autocorr descriptor, serial variants and typed entry points.
 *
 * Two algorithms, each on both CPU backends (4 variants): direct
 * (autocorr_direct.c, B n^2 m^2 / 2 multiply-adds) and fft
 * (autocorr_fft.c, about 5 P Q log2(P Q) flops per matrix). Their work
 * estimates differ so the dispatcher picks direct for small matrices and
 * fft for large ones; the "algo" parameter forces one. The test oracle is
 * the formula itself, in test_autocorr.c, plus scipy fixtures.
 */
#include <stdint.h>
#include <string.h>

#include <hetero/hetero.h>

#include "autocorr/autocorr.h"
#include "autocorr/autocorr_impl.h"
#include "kernel_api.h"

static const struct hetero_arg_desc autocorr_inputs[] = {
    { "a", "[B,]n,m: a matrix or a batch of matrices (f32, f64)" },
};

static const struct hetero_arg_desc autocorr_outputs[] = {
    { "out", "[B,]2n-1,2m-1: full autocorrelation of each matrix, a's "
             "dtype" },
};

static const struct hetero_param_info autocorr_params[] = {
    { "algo",
      "direct: the sum as written; fft: via |FFT|^2 of the "
      "zero-padded matrix; absent: the faster by the cost model",
      "cost model", "direct|fft" },
};

static int autocorr_unpack(hetero_context *ctx, const struct hetero_call *call,
                           void *args, struct hetero_array *out_specs)
{
    struct hetero_autocorr_args *aa = args;
    const struct hetero_array *a = &call->inputs[0];
    size_t shape[3];
    size_t n;
    size_t m;
    size_t in_bytes;
    size_t out_bytes;
    int algo;
    int ret;

    ret = hetero__check_input(ctx, "autocorr", call, 0, HETERO_DT_REAL, 2, 3);
    if (ret)
        return ret;
    ret = hetero__param_choice(ctx, call, "algo", "direct|fft", 0, &algo);
    if (ret)
        return ret;
    n = a->shape[a->ndim - 2];
    m = a->shape[a->ndim - 1];
    if (a->ndim == 3)
        shape[0] = a->shape[0];
    shape[a->ndim - 2] = 2 * n - 1;
    shape[a->ndim - 1] = 2 * m - 1;
    hetero__spec(&out_specs[0], a->dtype, a->ndim, shape);
    if (n > SIZE_MAX / 4 || m > SIZE_MAX / 4 ||
        hetero_array_nbytes(a, &in_bytes) ||
        hetero_array_nbytes(&out_specs[0], &out_bytes))
        return hetero__errf(ctx, HETERO_EINVAL,
                            "autocorr: output of %zu x %zu matrices is too "
                            "large",
                            n, m);
    ret = hetero__check_outputs(ctx, "autocorr", call, out_specs, 1);
    if (ret)
        return ret;
    if (call->n_outputs && a->data && call->outputs[0].data &&
        (uintptr_t)a->data < (uintptr_t)call->outputs[0].data + out_bytes &&
        (uintptr_t)call->outputs[0].data < (uintptr_t)a->data + in_bytes)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "autocorr: a and out must not overlap");
    if (aa) {
        aa->dtype = a->dtype;
        aa->batch = a->ndim == 3 ? a->shape[0] : 1;
        aa->n = n;
        aa->m = m;
        aa->a = a->data;
        aa->out = call->n_outputs ? call->outputs[0].data : NULL;
    }
    return 0;
}

static int autocorr_input_specs(hetero_context *ctx, int ndim,
                                const size_t *shape, enum hetero_dtype dtype,
                                struct hetero_array *specs)
{
    if (dtype != HETERO_F32 && dtype != HETERO_F64)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "autocorr: dtype must be f32 or f64");
    if (ndim != 2 && ndim != 3)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "autocorr: shape must be BxNxM or NxM");
    hetero__spec(&specs[0], dtype, ndim, shape);
    return 0;
}

static int autocorr_serial_direct(const struct hetero_exec *ex,
                                  const void *args)
{
    const struct hetero_autocorr_args *aa = args;

    return hetero__autocorr_direct_jobs(ex->ctx, aa, 0, aa->batch * aa->n);
}

static int autocorr_serial_fft(const struct hetero_exec *ex, const void *args)
{
    return hetero__autocorr_fft_run(ex, args, false);
}

static const struct hetero_variant autocorr_variants[] = {
    { .backend = HETERO_BACKEND_SERIAL,
      .algo = "direct",
      .run = autocorr_serial_direct,
      .work = hetero__autocorr_direct_work },
    { .backend = HETERO_BACKEND_SERIAL,
      .algo = "fft",
      .run = autocorr_serial_fft,
      .supports = hetero__autocorr_fft_supports,
      .prepare = hetero__autocorr_fft_prepare,
      .release = hetero__autocorr_fft_release,
      .work = hetero__autocorr_fft_work },
    { .backend = HETERO_BACKEND_POOL,
      .algo = "direct",
      .run = hetero__autocorr_pool_direct,
      .work = hetero__autocorr_direct_work },
    { .backend = HETERO_BACKEND_POOL,
      .algo = "fft",
      .run = hetero__autocorr_pool_fft,
      .supports = hetero__autocorr_fft_supports,
      .prepare = hetero__autocorr_fft_prepare,
      .release = hetero__autocorr_fft_release,
      .work = hetero__autocorr_fft_work },
#if HETERO_WITH_OPENCL
    { .backend = HETERO_BACKEND_OPENCL,
      .algo = "direct",
      .run = hetero__autocorr_cl_direct,
      .supports = hetero__autocorr_cl_direct_supports,
      .prepare = hetero__autocorr_cl_direct_prepare,
      .release = hetero__autocorr_cl_direct_release,
      .work = hetero__autocorr_direct_work,
      .cl_program = "autocorr" },
    { .backend = HETERO_BACKEND_OPENCL,
      .algo = "fft",
      .run = hetero__autocorr_cl_fft,
      .supports = hetero__autocorr_cl_fft_supports,
      .prepare = hetero__autocorr_cl_fft_prepare,
      .release = hetero__autocorr_cl_fft_release,
      .work = hetero__autocorr_fft_work,
      .cl_program = "autocorr" },
#endif /* HETERO_WITH_OPENCL */
};

const struct hetero_kernel hetero__kernel_autocorr = {
    .name = "autocorr",
    .summary = "Full 2-D autocorrelation of a batch of matrices "
               "(scipy.signal.correlate2d(a, a)).",
    .default_shape = "30x100x100",
    .shape_help = "BxNxM (batch of NxM matrices) or NxM",
    .version = 1,
    .inputs = autocorr_inputs,
    .n_inputs = HETERO_ARRAY_SIZE(autocorr_inputs),
    .outputs = autocorr_outputs,
    .n_outputs = HETERO_ARRAY_SIZE(autocorr_outputs),
    .params = autocorr_params,
    .n_params = HETERO_ARRAY_SIZE(autocorr_params),
    .args_size = sizeof(struct hetero_autocorr_args),
    .unpack = autocorr_unpack,
    .input_specs = autocorr_input_specs,
    .work = hetero__autocorr_direct_work,
    .variants = autocorr_variants,
    .n_variants = HETERO_ARRAY_SIZE(autocorr_variants),
};

static int autocorr_typed(hetero_context *ctx, enum hetero_dtype dtype,
                          const void *a, void *out, size_t batch, size_t n,
                          size_t m, const char *algo)
{
    struct hetero_array arrays[2] = { { 0 } };
    struct hetero_param param = { "algo", algo };
    struct hetero_call call = { 0 };

    if (!ctx || !a || !out || batch == 0 || n == 0 || m == 0)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "autocorr: NULL pointer or zero size");
    if (n > SIZE_MAX / 4 || m > SIZE_MAX / 4)
        return hetero__errf(ctx, HETERO_EINVAL, "autocorr: size overflows");
    arrays[0] = (struct hetero_array){
        .dtype = dtype, .ndim = 3, .shape = { batch, n, m }, .data = (void *)a
    };
    arrays[1] = (struct hetero_array){ .dtype = dtype,
                                       .ndim = 3,
                                       .shape = { batch, 2 * n - 1, 2 * m - 1 },
                                       .data = out };
    call.inputs = arrays;
    call.n_inputs = 1;
    call.outputs = &arrays[1];
    call.n_outputs = 1;
    call.params = algo ? &param : NULL;
    call.n_params = algo ? 1 : 0;
    return hetero_run(ctx, &hetero__kernel_autocorr, &call, 0);
}

int hetero_autocorr(hetero_context *ctx, const double *a, double *out,
                    size_t batch, size_t n, size_t m, const char *algo)
{
    return autocorr_typed(ctx, HETERO_F64, a, out, batch, n, m, algo);
}

int hetero_autocorr_f32(hetero_context *ctx, const float *a, float *out,
                        size_t batch, size_t n, size_t m, const char *algo)
{
    return autocorr_typed(ctx, HETERO_F32, a, out, batch, n, m, algo);
}
