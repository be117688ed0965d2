/*
 * kernel.c - kernel lookup and metadata, the generic-call helpers kernels
 * use to validate arrays and parse parameters.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_api.h"

const char *hetero_backend_name(enum hetero_backend b)
{
    switch (b) {
    case HETERO_BACKEND_SERIAL:
        return "serial";
    case HETERO_BACKEND_POOL:
        return "pool";
    case HETERO_BACKEND_OPENCL:
        return "opencl";
    }
    return "unknown";
}

const hetero_kernel *hetero_kernel_find(const char *name)
{
    size_t i;

    if (!name)
        return NULL;
    for (i = 0; i < hetero__n_kernels; i++) {
        if (strcmp(hetero__kernels[i]->name, name) == 0)
            return hetero__kernels[i];
    }
    return NULL;
}

size_t hetero_kernel_count(void)
{
    return hetero__n_kernels;
}

const hetero_kernel *hetero_kernel_at(size_t i)
{
    return i < hetero__n_kernels ? hetero__kernels[i] : NULL;
}

const char *hetero_kernel_name(const hetero_kernel *k)
{
    return k ? k->name : NULL;
}

const char *hetero_kernel_summary(const hetero_kernel *k)
{
    return k ? k->summary : NULL;
}

const char *hetero_kernel_default_shape(const hetero_kernel *k)
{
    return k ? k->default_shape : NULL;
}

const char *hetero_kernel_shape_help(const hetero_kernel *k)
{
    return k ? k->shape_help : NULL;
}

size_t hetero_kernel_n_inputs(const hetero_kernel *k)
{
    return k ? k->n_inputs : 0;
}

const char *hetero_kernel_input_name(const hetero_kernel *k, size_t i)
{
    return k && i < k->n_inputs ? k->inputs[i].name : NULL;
}

size_t hetero_kernel_n_outputs(const hetero_kernel *k)
{
    return k ? k->n_outputs : 0;
}

const char *hetero_kernel_output_name(const hetero_kernel *k, size_t i)
{
    return k && i < k->n_outputs ? k->outputs[i].name : NULL;
}

size_t hetero_kernel_n_params(const hetero_kernel *k)
{
    return k ? k->n_params : 0;
}

int hetero_kernel_param(const hetero_kernel *k, size_t i,
                        struct hetero_param_info *out)
{
    if (!k || !out || i >= k->n_params)
        return HETERO_EINVAL;
    *out = k->params[i];
    return 0;
}

size_t hetero_kernel_n_variants(const hetero_kernel *k)
{
    return k ? k->n_variants : 0;
}

int hetero_kernel_variant(const hetero_kernel *k, size_t i,
                          struct hetero_variant_info *out)
{
    if (!k || !out || i >= k->n_variants)
        return HETERO_EINVAL;
    out->backend = k->variants[i].backend;
    out->algo = k->variants[i].algo;
    return 0;
}

int hetero_kernel_input_specs(hetero_context *ctx, const hetero_kernel *k,
                              int ndim, const size_t *shape,
                              enum hetero_dtype dtype,
                              struct hetero_array *specs)
{
    size_t n;

    if (!k || !specs || (k->n_inputs > 0 && !shape))
        return hetero__errf(ctx, HETERO_EINVAL, "input_specs: NULL argument");
    if (k->n_inputs > 0 && (hetero_shape_numel(ndim, shape, &n) || n == 0))
        return hetero__errf(ctx, HETERO_EINVAL,
                            "%s: shape is empty, has a zero dimension or "
                            "overflows", k->name);
    return k->input_specs(ctx, ndim, shape, dtype, specs);
}

/* Rejects parameters the kernel does not know (a typo must not be ignored). */
static int check_param_names(hetero_context *ctx, const hetero_kernel *k,
                             const struct hetero_call *call)
{
    size_t i;
    size_t j;

    if (call->n_params > 0 && !call->params)
        return hetero__errf(ctx, HETERO_EINVAL, "%s: params is NULL",
                            k->name);
    for (i = 0; i < call->n_params; i++) {
        const struct hetero_param *p = &call->params[i];
        bool known = false;

        if (!p->name || !p->value)
            return hetero__errf(ctx, HETERO_EINVAL,
                                "%s: parameter %zu has a NULL name or value",
                                k->name, i);
        for (j = 0; j < k->n_params; j++)
            known = known || strcmp(k->params[j].name, p->name) == 0;
        if (!known)
            return hetero__errf(ctx, HETERO_EINVAL,
                                "%s: unknown parameter '%s'", k->name,
                                p->name);
    }
    return 0;
}

int hetero__kernel_unpack(hetero_context *ctx, const hetero_kernel *k,
                          const struct hetero_call *call, void *args,
                          struct hetero_array *out_specs)
{
    int ret;

    if (!k || !call || !out_specs)
        return hetero__errf(ctx, HETERO_EINVAL, "NULL kernel or call");
    if (call->n_inputs != k->n_inputs || (k->n_inputs && !call->inputs))
        return hetero__errf(ctx, HETERO_EINVAL,
                            "%s: expects %zu input array(s), got %zu",
                            k->name, k->n_inputs, call->n_inputs);
    if (call->n_outputs != 0 && call->n_outputs != k->n_outputs)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "%s: expects %zu output array(s), got %zu",
                            k->name, k->n_outputs, call->n_outputs);
    if (call->n_outputs && !call->outputs)
        return hetero__errf(ctx, HETERO_EINVAL, "%s: outputs is NULL",
                            k->name);
    ret = check_param_names(ctx, k, call);
    if (ret)
        return ret;
    return k->unpack(ctx, call, args, out_specs);
}

int hetero_kernel_output_specs(hetero_context *ctx, const hetero_kernel *k,
                               const struct hetero_call *call,
                               struct hetero_array *specs)
{
    struct hetero_call c;

    if (!call)
        return hetero__errf(ctx, HETERO_EINVAL, "call is NULL");
    c = *call;
    c.outputs = NULL;
    c.n_outputs = 0;
    return hetero__kernel_unpack(ctx, k, &c, NULL, specs);
}

int hetero_call_alloc_outputs(hetero_context *ctx, const hetero_kernel *k,
                              struct hetero_call *call)
{
    struct hetero_array specs[4];
    size_t i;
    int ret;

    if (!k || !call || !call->outputs)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "alloc_outputs: NULL kernel, call or outputs");
    if (k->n_outputs > HETERO_ARRAY_SIZE(specs))
        return hetero__errf(ctx, HETERO_ENOTSUP, "too many outputs");
    ret = hetero_kernel_output_specs(ctx, k, call, specs);
    if (ret)
        return ret;
    for (i = 0; i < k->n_outputs; i++) {
        ret = hetero_array_alloc(ctx, specs[i].dtype, specs[i].ndim,
                                 specs[i].shape, &call->outputs[i]);
        if (ret) {
            while (i-- > 0)
                hetero_array_free(&call->outputs[i]);
            return ret;
        }
    }
    call->n_outputs = k->n_outputs;
    return 0;
}

/* ---- helpers for unpack() ---- */

const char *hetero__param(const struct hetero_call *call, const char *name)
{
    size_t i;

    for (i = 0; i < call->n_params; i++) {
        if (call->params[i].name && strcmp(call->params[i].name, name) == 0)
            return call->params[i].value;
    }
    return NULL;
}

int hetero__param_u64(hetero_context *ctx, const struct hetero_call *call,
                      const char *name, uint64_t def, uint64_t min,
                      uint64_t max, uint64_t *out)
{
    const char *s = hetero__param(call, name);
    unsigned long long v;
    char *end;

    if (!s) {
        *out = def;
        return 0;
    }
    errno = 0;
    if (s[0] == '-' || s[0] == '\0')
        goto bad;
    v = strtoull(s, &end, 0);
    if (*end == 'e' || *end == 'E' || *end == '.') {
        /* 1e8, 2.5e6: exact integers written in float notation. */
        double d = strtod(s, &end);

        if (*end || !(d >= 0) || d > 1.8e19 || d != floor(d))
            goto bad;
        v = (unsigned long long)d;
    } else if (*end || errno) {
        goto bad;
    }
    if (v < min || v > max)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "parameter %s=%s is out of range [%llu, %llu]",
                            name, s, (unsigned long long)min,
                            (unsigned long long)max);
    *out = v;
    return 0;
bad:
    return hetero__errf(ctx, HETERO_EINVAL,
                        "parameter %s=%s is not a non-negative integer", name,
                        s);
}

int hetero__param_choice(hetero_context *ctx, const struct hetero_call *call,
                         const char *name, const char *choices, int def,
                         int *out)
{
    const char *s = hetero__param(call, name);
    const char *c = choices;
    size_t len;
    int idx = 0;

    if (!s) {
        *out = def;
        return 0;
    }
    len = strlen(s);
    while (*c) {
        const char *bar = strchr(c, '|');
        size_t n = bar ? (size_t)(bar - c) : strlen(c);

        if (n == len && strncmp(c, s, n) == 0) {
            *out = idx;
            return 0;
        }
        idx++;
        c += n + (bar ? 1 : 0);
    }
    return hetero__errf(ctx, HETERO_EINVAL,
                        "parameter %s=%s: expected one of %s", name, s,
                        choices);
}

int hetero__check_input(hetero_context *ctx, const char *kernel,
                        const struct hetero_call *call, size_t i,
                        unsigned dtypes, int min_ndim, int max_ndim)
{
    const struct hetero_array *a = &call->inputs[i];
    size_t bytes;
    int d;

    if ((unsigned)a->dtype >= 32 || !(dtypes & HETERO_DT(a->dtype)) ||
        hetero_dtype_size(a->dtype) == 0)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "%s: input %zu has unsupported dtype %s", kernel,
                            i, hetero_dtype_name(a->dtype));
    if (a->ndim < min_ndim || a->ndim > max_ndim)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "%s: input %zu must have %d..%d dimensions, has "
                            "%d",
                            kernel, i, min_ndim, max_ndim, a->ndim);
    for (d = 0; d < a->ndim; d++) {
        if (a->shape[d] == 0)
            return hetero__errf(ctx, HETERO_EINVAL,
                                "%s: input %zu has a zero dimension", kernel,
                                i);
    }
    if (hetero_array_nbytes(a, &bytes))
        return hetero__errf(ctx, HETERO_EINVAL,
                            "%s: input %zu size overflows", kernel, i);
    return 0;
}

void hetero__spec(struct hetero_array *spec, enum hetero_dtype dtype,
                  int ndim, const size_t *shape)
{
    memset(spec, 0, sizeof(*spec));
    spec->dtype = dtype;
    spec->ndim = ndim;
    memcpy(spec->shape, shape, (size_t)ndim * sizeof(*shape));
}

int hetero__check_outputs(hetero_context *ctx, const char *kernel,
                          const struct hetero_call *call,
                          const struct hetero_array *specs, size_t n)
{
    size_t i;

    if (call->n_outputs == 0)
        return 0;
    for (i = 0; i < n; i++) {
        const struct hetero_array *o = &call->outputs[i];

        if (o->dtype != specs[i].dtype || o->ndim != specs[i].ndim ||
            memcmp(o->shape, specs[i].shape,
                   (size_t)o->ndim * sizeof(o->shape[0])) != 0)
            return hetero__errf(ctx, HETERO_EINVAL,
                                "%s: output %zu has the wrong dtype or shape",
                                kernel, i);
    }
    return 0;
}
