/*
 * hetero-run - run any libhetero kernel on any device from the shell.
 *
 * DESIGN: built on the public API alone. The kernel's descriptor says how
 * many arrays it takes and which parameters it knows, so this program
 * drives every kernel the same way: inputs come from .npy files (--input,
 * in the kernel's argument order) or are generated from --shape with a
 * seeded generator; the call is planned once (--device picks the flags) and
 * executed --warmup + --repeat times; the median/min/max time is reported,
 * as text or one JSON object. Usage errors exit 2, runtime errors exit 1.
 */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hetero/hetero.h>

#include "cli.h"

#define MAX_ARR 4
#define MAX_PARAMS 16
#define EXIT_USAGE CLI_EXIT_USAGE
#define PROG "hetero-run"
#define EXIT_RUNTIME 1

struct options {
    const char *kernel;
    const char *device;
    const char *shape;
    const char *dtype;
    size_t threads;
    long repeat;
    long warmup;
    uint64_t seed;
    const char *inputs[MAX_ARR];
    size_t n_inputs;
    const char *outputs[MAX_ARR];
    size_t n_outputs;
    struct hetero_param params[MAX_PARAMS];
    size_t n_params;
    int verify;
    int json;
    int explain;
    int list;
    int calibrate;
    int quick;
    int crossover;
};

static int runtime_error(hetero_context *ctx, int err, const char *what)
{
    const char *detail = hetero_context_errmsg(ctx);

    fprintf(stderr, "hetero-run: error: %s: %s%s%s\n", what,
            hetero_strerror(err), detail[0] ? ": " : "", detail);
    return EXIT_RUNTIME;
}

static void print_help(void)
{
    printf(
        "Usage: hetero-run [OPTIONS]\n"
        "Run a libhetero kernel on a device and time it.\n\n"
        "  -k, --kernel K        kernel to run (default: autocorr; see --list)\n"
        "  -d, --device D        serial | cpu | gpu | auto (default: "
        "$HETERO_DEVICE or auto)\n"
        "  -s, --shape S         workload shape, e.g. 30x100x100 (default: the"
        " kernel's)\n"
        "  -t, --dtype T         f64 (default) or f32\n"
        "  -j, --threads N       pool threads for --device cpu (default: the "
        "model's choice)\n"
        "  -r, --repeat R        timed executions (default 5)\n"
        "  -w, --warmup W        untimed executions first (default 1)\n"
        "      --seed S          seed of the generated inputs (default 42)\n"
        "  -i, --input FILE      .npy input, repeat in the kernel's argument "
        "order\n"
        "  -o, --output FILE     write output(s) as .npy, repeat for several\n"
        "  -p, --param NAME=VAL  kernel parameter, repeatable (e.g. algo=fft)\n"
        "      --verify          compare with the serial reference\n"
        "      --explain         print every candidate the dispatcher "
        "considered\n"
        "      --json            print one JSON object instead of text\n"
        "      --calibrate       measure every variant and store the cost "
        "model\n"
        "                        (all kernels, or --kernel K; --quick: "
        "fewer sizes)\n"
        "      --crossover       from the cost model: the batch size (the "
        "leading\n"
        "                        dimension of --shape, swept up to its "
        "value) at\n"
        "                        which each variant overtakes serial\n"
        "      --list            list kernels, their parameters and the "
        "devices\n"
        "  -h, --help            this help\n"
        "  -V, --version         print the version\n\n"
        "Exit status: 0 ok, 1 runtime error, 2 usage error.\n"
        "Environment: HETERO_NUM_THREADS, HETERO_DEVICE, HETERO_CL_DEVICE, "
        "XDG_CACHE_HOME.\n");
}

static void print_cl_devices(void)
{
    hetero_context *ctx = NULL;
    size_t n = 0;
    size_t i;
    int ret;

    printf("\nOpenCL devices:\n");
    ret = hetero_context_create(NULL, &ctx);
    if (ret == 0)
        ret = hetero_device_count(ctx, &n);
    if (ret || n == 0) {
        printf("  none (%s)\n",
               ret ? hetero_context_errmsg(ctx) : "no OpenCL platform");
        hetero_context_destroy(ctx);
        return;
    }
    for (i = 0; i < n; i++) {
        struct hetero_device_info d;

        if (hetero_device_info(ctx, i, &d))
            continue;
        printf("  %u:%u %s%s\n", d.platform, d.device, d.name,
               d.selected ? "   <- --device gpu" : "");
        printf("       platform %s, vendor %s, driver %s, %s\n",
               d.platform_name, d.vendor, d.driver_version, d.version);
        printf("       type %s, %u compute units, global memory %.1f GiB, "
               "local memory %llu KiB, fp64 %s, unified host memory %s\n",
               d.type, d.compute_units,
               (double)d.global_mem / (1024.0 * 1024.0 * 1024.0),
               d.local_mem / 1024, d.fp64 ? "yes" : "no",
               d.unified_memory ? "yes" : "no");
    }
    hetero_context_destroy(ctx);
}

static void print_list(void)
{
    size_t i;
    size_t j;

    printf("Kernels:\n");
    for (i = 0; i < hetero_kernel_count(); i++) {
        const hetero_kernel *k = hetero_kernel_at(i);

        printf("  %-9s %s\n", hetero_kernel_name(k), hetero_kernel_summary(k));
        printf("            shape: %s (default %s)\n",
               hetero_kernel_shape_help(k), hetero_kernel_default_shape(k));
        printf("            variants:");
        for (j = 0; j < hetero_kernel_n_variants(k); j++) {
            struct hetero_variant_info vi;

            if (hetero_kernel_variant(k, j, &vi) == 0)
                printf(" %s%s%s", hetero_backend_name(vi.backend),
                       vi.algo ? "/" : "", vi.algo ? vi.algo : "");
        }
        printf("\n");
        for (j = 0; j < hetero_kernel_n_params(k); j++) {
            struct hetero_param_info pi;

            if (hetero_kernel_param(k, j, &pi) == 0)
                printf("            --param %s=%s  %s (default %s)\n",
                       pi.name, pi.choices ? pi.choices : "N", pi.help,
                       pi.default_value ? pi.default_value : "required");
        }
    }
    printf("\nDevices:\n"
           "  serial    one thread, the reference implementation\n"
           "  cpu       the pthreads pool\n"
           "  gpu       the OpenCL device (the first GPU, else the first "
           "accelerator, else the first CPU device; HETERO_CL_DEVICE "
           "overrides)\n"
           "  auto      chosen per call by the cost model\n");
    print_cl_devices();
}

static long parse_long(const char *opt, const char *s, long min, long max)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        cli_usage_error(PROG, "%s: '%s' is not an integer in [%ld, %ld]", opt, s, min,
                    max);
    return v;
}

static void parse_args(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        { "kernel", required_argument, NULL, 'k' },
        { "device", required_argument, NULL, 'd' },
        { "shape", required_argument, NULL, 's' },
        { "dtype", required_argument, NULL, 't' },
        { "threads", required_argument, NULL, 'j' },
        { "repeat", required_argument, NULL, 'r' },
        { "warmup", required_argument, NULL, 'w' },
        { "seed", required_argument, NULL, 'S' },
        { "input", required_argument, NULL, 'i' },
        { "output", required_argument, NULL, 'o' },
        { "param", required_argument, NULL, 'p' },
        { "verify", no_argument, NULL, 'v' },
        { "json", no_argument, NULL, 'J' },
        { "explain", no_argument, NULL, 'E' },
        { "list", no_argument, NULL, 'l' },
        { "calibrate", no_argument, NULL, 'C' },
        { "quick", no_argument, NULL, 'Q' },
        { "crossover", no_argument, NULL, 'X' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":k:d:s:t:j:r:w:i:o:p:hV", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'k':
            o->kernel = optarg;
            break;
        case 'd':
            o->device = optarg;
            break;
        case 's':
            o->shape = optarg;
            break;
        case 't':
            o->dtype = optarg;
            break;
        case 'j':
            o->threads = (size_t)parse_long("--threads", optarg, 1,
                                            HETERO_POOL_MAX_THREADS);
            break;
        case 'r':
            o->repeat = parse_long("--repeat", optarg, 1, 1000000);
            break;
        case 'w':
            o->warmup = parse_long("--warmup", optarg, 0, 1000000);
            break;
        case 'S':
            o->seed = (uint64_t)parse_long("--seed", optarg, 0, LONG_MAX);
            break;
        case 'i':
            if (o->n_inputs == MAX_ARR)
                cli_usage_error(PROG, "too many --input files");
            o->inputs[o->n_inputs++] = optarg;
            break;
        case 'o':
            if (o->n_outputs == MAX_ARR)
                cli_usage_error(PROG, "too many --output files");
            o->outputs[o->n_outputs++] = optarg;
            break;
        case 'p': {
            char *eq = strchr(optarg, '=');

            if (!eq || eq == optarg || !eq[1])
                cli_usage_error(PROG, "--param '%s': expected NAME=VALUE", optarg);
            if (o->n_params == MAX_PARAMS)
                cli_usage_error(PROG, "too many --param options");
            *eq = '\0';
            o->params[o->n_params].name = optarg;
            o->params[o->n_params].value = eq + 1;
            o->n_params++;
            break;
        }
        case 'v':
            o->verify = 1;
            break;
        case 'J':
            o->json = 1;
            break;
        case 'E':
            o->explain = 1;
            break;
        case 'l':
            o->list = 1;
            break;
        case 'C':
            o->calibrate = 1;
            break;
        case 'Q':
            o->quick = 1;
            break;
        case 'X':
            o->crossover = 1;
            break;
        case 'h':
            print_help();
            exit(0);
        case 'V':
            printf("hetero-run (libhetero) %s\n", hetero_version());
            exit(0);
        case ':':
            cli_usage_error(PROG, "option '%s' needs a value", argv[optind - 1]);
        default:
            cli_usage_error(PROG, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        cli_usage_error(PROG, "unexpected argument '%s'", argv[optind]);
}

static unsigned device_flags(const char *dev)
{
    if (strcmp(dev, "serial") == 0)
        return HETERO_PLAN_FORCE_SERIAL;
    if (strcmp(dev, "cpu") == 0)
        return HETERO_PLAN_FORCE_POOL;
    if (strcmp(dev, "gpu") == 0)
        return HETERO_PLAN_FORCE_OPENCL;
    if (strcmp(dev, "auto") == 0)
        return HETERO_PLAN_ESTIMATE;
    cli_usage_error(PROG, "--device '%s': expected serial, cpu, gpu or auto", dev);
}



static double elem(const struct hetero_array *a, size_t i)
{
    switch (a->dtype) {
    case HETERO_F32:
    case HETERO_C64:
        return ((const float *)a->data)[i];
    case HETERO_F64:
    case HETERO_C128:
        return ((const double *)a->data)[i];
    case HETERO_I32:
        return ((const int32_t *)a->data)[i];
    case HETERO_I64:
        return (double)((const int64_t *)a->data)[i];
    default:
        return NAN;
    }
}

static size_t numel_scalars(const struct hetero_array *a)
{
    size_t n = 0;

    if (hetero_array_numel(a, &n))
        return 0;
    return hetero_dtype_is_complex(a->dtype) ? 2 * n : n;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

static void shape_str(const struct hetero_array *a, char *buf, size_t n)
{
    size_t used = 0;
    int d;

    buf[0] = '\0';
    for (d = 0; d < a->ndim && used < n; d++)
        used += (size_t)snprintf(buf + used, n - used, "%s%zu", d ? "x" : "",
                                 a->shape[d]);
    if (a->ndim == 0)
        snprintf(buf, n, "scalar");
}

struct report {
    struct hetero_plan_info info;
    double plan_s;
    double med;
    double min;
    double max;
    double err_abs;
    double err_rel;
    int verified;
};

static void print_candidates(const hetero_plan *plan, int json)
{
    struct hetero_plan_info info;
    size_t i;

    if (hetero_plan_info(plan, &info))
        return;
    if (!json)
        printf("candidates (%s):\n", info.reason);
    for (i = 0; i < info.n_candidates; i++) {
        struct hetero_candidate c;
        char name[64];

        if (hetero_plan_candidate(plan, i, &c))
            continue;
        snprintf(name, sizeof(name), "%s%s%s", hetero_backend_name(c.backend),
                 c.algo ? "/" : "", c.algo ? c.algo : "");
        if (json) {
            printf("%s{\"variant\":\"%s\",\"threads\":%zu,\"predicted_s\":%.9g,"
                   "\"overhead_s\":%.9g,\"compute_s\":%.9g,"
                   "\"transfer_s\":%.9g,\"calibrated\":%s,\"eligible\":%s,"
                   "\"reason\":\"%s\"}",
                   i ? "," : "", name, c.num_threads, c.predicted_s,
                   c.overhead_s, c.compute_s, c.transfer_s,
                   c.calibrated ? "true" : "false",
                   c.eligible ? "true" : "false", c.reason);
        } else {
            printf("  %-14s threads=%-3zu predicted %10.4g ms (overhead "
                   "%.4g, compute %.4g, transfer %.4g)%s%s%s%s\n",
                   name, c.num_threads, c.predicted_s * 1e3,
                   c.overhead_s * 1e3, c.compute_s * 1e3, c.transfer_s * 1e3,
                   c.calibrated ? "" : " [uncalibrated]",
                   c.eligible ? "" : " [not eligible: ",
                   c.eligible ? "" : c.reason, c.eligible ? "" : "]");
        }
    }
}

/* --crossover: the model's crossover sizes for the --shape family. */
static int print_crossover(hetero_context *ctx, const hetero_kernel *k,
                           const struct hetero_call *call, size_t max_size)
{
    struct hetero_crossover cx[64];
    struct hetero_call tmpl = *call;
    struct hetero_param_info pi;
    size_t n = 0;
    size_t i;
    int ret;

    if (max_size == 0) {
        /* No arrays: sweep the first parameter up to its value. */
        const char *v = NULL;

        if (hetero_kernel_param(k, 0, &pi))
            return runtime_error(ctx, HETERO_EINVAL, "nothing to sweep");
        v = pi.default_value;
        for (i = 0; i < call->n_params; i++) {
            if (strcmp(call->params[i].name, pi.name) == 0)
                v = call->params[i].value;
        }
        max_size = v ? (size_t)strtod(v, NULL) : 0;
        tmpl.params = NULL;
        tmpl.n_params = 0;
    }
    ret = hetero_crossover(ctx, k, &tmpl, max_size, cx, 64, &n);
    if (ret)
        return runtime_error(ctx, ret, "crossover failed");
    printf("crossover for %s, leading size 1..%zu (model predictions):\n",
           hetero_kernel_name(k), max_size);
    for (i = 0; i < n; i++) {
        char name[64];

        if (cx[i].backend == HETERO_BACKEND_SERIAL)
            continue;
        snprintf(name, sizeof(name), "%s%s%s x%zu",
                 hetero_backend_name(cx[i].backend), cx[i].algo ? "/" : "",
                 cx[i].algo ? cx[i].algo : "", cx[i].num_threads);
        if (cx[i].size)
            printf("  %-20s overtakes serial from %zu (%.2fx serial's time "
                   "at %zu)%s\n",
                   name, cx[i].size, cx[i].ratio, max_size,
                   cx[i].calibrated ? "" : " [uncalibrated]");
        else
            printf("  %-20s never within 1..%zu (%.2fx serial's time at "
                   "%zu)%s\n",
                   name, max_size, cx[i].ratio, max_size,
                   cx[i].calibrated ? "" : " [uncalibrated]");
    }
    return 0;
}

/* Runs the kernel's reference: its first variant (serial, first
 * algorithm), whatever the call's algo parameter says. */
static int run_reference(hetero_context *ctx, const hetero_kernel *k,
                         struct hetero_call *call)
{
    struct hetero_plan_opts o = { .flags = HETERO_PLAN_FORCE_SERIAL };
    struct hetero_variant_info vi;
    hetero_plan *p = NULL;
    int ret;

    if (hetero_kernel_variant(k, 0, &vi) == 0)
        o.algo = vi.algo;
    ret = hetero_plan_create_opts(ctx, k, call, &o, &p);
    if (ret == 0)
        ret = hetero_plan_execute(p, call);
    hetero_plan_destroy(p);
    return ret;
}

static int run_main(struct options *o)
{
    hetero_context *ctx = NULL;
    const hetero_kernel *k;
    struct hetero_array in[MAX_ARR] = { { 0 } };
    struct hetero_array out[MAX_ARR] = { { 0 } };
    struct hetero_array ref[MAX_ARR] = { { 0 } };
    struct hetero_call call = { 0 };
    struct hetero_plan_opts popts = { 0 };
    struct report rep = { 0 };
    hetero_plan *plan = NULL;
    enum hetero_dtype dtype;
    size_t shape[HETERO_MAX_NDIM];
    double *times = NULL;
    size_t n_in;
    size_t i;
    int ndim = 0;
    int rc = EXIT_RUNTIME;
    int ret;
    long r;

    k = hetero_kernel_find(o->kernel);
    if (!k)
        cli_usage_error(PROG, "unknown kernel '%s' (see --list)", o->kernel);
    dtype = hetero_dtype_from_name(o->dtype);
    if (dtype != HETERO_F64 && dtype != HETERO_F32)
        cli_usage_error(PROG, "--dtype '%s': expected f64 or f32", o->dtype);
    popts.flags = device_flags(o->device);
    popts.num_threads = o->threads;
    n_in = hetero_kernel_n_inputs(k);
    if (o->n_inputs && o->n_inputs != n_in)
        cli_usage_error(PROG, "kernel %s takes %zu input(s), %zu --input given",
                    o->kernel, n_in, o->n_inputs);
    if (o->n_outputs > hetero_kernel_n_outputs(k))
        cli_usage_error(PROG, "kernel %s has %zu output(s), %zu --output given",
                    o->kernel, hetero_kernel_n_outputs(k), o->n_outputs);
    if (o->n_inputs && o->shape)
        cli_usage_error(PROG, "--shape and --input exclude each other");
    if (n_in == 0 && o->shape)
        cli_usage_error(PROG, "kernel %s takes no input arrays: drop --shape (see "
                    "--list for its parameters)",
                    o->kernel);
    if (!o->n_inputs && n_in) {
        const char *text = o->shape ? o->shape : hetero_kernel_default_shape(k);

        if (hetero_shape_parse(text, &ndim, shape))
            cli_usage_error(PROG, "--shape '%s': %s", text, hetero_context_errmsg(NULL));
    }

    ret = hetero_context_create(NULL, &ctx);
    if (ret)
        return runtime_error(NULL, ret, "cannot create the context");

    if (o->n_inputs) {
        for (i = 0; i < n_in; i++) {
            ret = hetero_npy_read(ctx, o->inputs[i], &in[i]);
            if (ret) {
                char what[512];

                snprintf(what, sizeof(what), "cannot read '%s'",
                         o->inputs[i]);
                rc = runtime_error(ctx, ret, what);
                goto out;
            }
        }
    } else if (n_in) {
        ret = hetero_kernel_input_specs(ctx, k, ndim, shape, dtype, in);
        if (ret) {
            fprintf(stderr, "hetero-run: error: --shape: %s\n",
                    hetero_context_errmsg(ctx));
            rc = EXIT_USAGE;
            goto out;
        }
        for (i = 0; i < n_in; i++) {
            struct hetero_array spec = in[i];

            ret = hetero_array_alloc(ctx, spec.dtype, spec.ndim, spec.shape,
                                     &in[i]);
            if (ret == 0)
                ret = hetero_array_fill_uniform(&in[i], o->seed + 0x1000 * i);
            if (ret) {
                rc = runtime_error(ctx, ret, "cannot allocate the inputs");
                goto out;
            }
        }
    }
    call.inputs = in;
    call.n_inputs = n_in;
    call.params = o->params;
    call.n_params = o->n_params;
    if (o->crossover) {
        rc = print_crossover(ctx, k, &call, n_in ? in[0].shape[0] : 0);
        goto out;
    }
    call.outputs = out;
    ret = hetero_call_alloc_outputs(ctx, k, &call);
    if (ret) {
        fprintf(stderr, "hetero-run: error: %s\n",
                hetero_context_errmsg(ctx)[0] ? hetero_context_errmsg(ctx)
                                              : hetero_strerror(ret));
        rc = ret == HETERO_EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
        goto out;
    }

    {
        struct timespec t0;
        struct timespec t1;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        ret = hetero_plan_create_opts(ctx, k, &call, &popts, &plan);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        rep.plan_s = (double)(t1.tv_sec - t0.tv_sec) +
                     1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    }
    if (ret) {
        rc = runtime_error(ctx, ret, "cannot plan the call");
        goto out;
    }
    times = calloc((size_t)o->repeat, sizeof(*times));
    if (!times) {
        rc = runtime_error(ctx, HETERO_ENOMEM, "out of memory");
        goto out;
    }
    for (r = 0; r < o->warmup + o->repeat; r++) {
        struct timespec t0;
        struct timespec t1;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        ret = hetero_plan_execute(plan, &call);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (ret) {
            rc = runtime_error(ctx, ret, "execution failed");
            goto out;
        }
        if (r >= o->warmup)
            times[r - o->warmup] = (double)(t1.tv_sec - t0.tv_sec) +
                                   1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    }
    qsort(times, (size_t)o->repeat, sizeof(*times), cmp_double);
    rep.min = times[0];
    rep.max = times[o->repeat - 1];
    rep.med = o->repeat % 2 ? times[o->repeat / 2]
                            : 0.5 * (times[o->repeat / 2 - 1] +
                                     times[o->repeat / 2]);
    if (hetero_plan_info(plan, &rep.info))
        goto out;

    if (o->verify) {
        struct hetero_call rc_call = call;
        size_t j;

        rc_call.outputs = ref;
        rc_call.n_outputs = 0;
        ret = hetero_call_alloc_outputs(ctx, k, &rc_call);
        if (ret == 0)
            ret = run_reference(ctx, k, &rc_call);
        if (ret) {
            rc = runtime_error(ctx, ret, "serial reference failed");
            goto out;
        }
        for (i = 0; i < hetero_kernel_n_outputs(k); i++) {
            size_t n = numel_scalars(&out[i]);

            for (j = 0; j < n; j++) {
                double a = elem(&out[i], j);
                double b = elem(&ref[i], j);
                double d = fabs(a - b);

                if (isnan(a) && isnan(b))
                    continue;
                if (isnan(a) || isnan(b))
                    d = INFINITY;
                if (d > rep.err_abs)
                    rep.err_abs = d;
                if (d / fmax(fabs(b), 1e-300) > rep.err_rel && d > 0)
                    rep.err_rel = d / fmax(fabs(b), 1e-300);
            }
        }
        rep.verified = 1;
    }

    for (i = 0; i < o->n_outputs; i++) {
        ret = hetero_npy_write(ctx, o->outputs[i], &out[i]);
        if (ret) {
            char what[512];

            snprintf(what, sizeof(what), "cannot write '%s'", o->outputs[i]);
            rc = runtime_error(ctx, ret, what);
            goto out;
        }
    }

    {
        char shp[128] = "";
        char variant[64];

        if (n_in)
            shape_str(&in[0], shp, sizeof(shp));
        else
            snprintf(shp, sizeof(shp), "-");
        snprintf(variant, sizeof(variant), "%s%s%s",
                 hetero_backend_name(rep.info.backend),
                 rep.info.algo ? "/" : "", rep.info.algo ? rep.info.algo : "");
        if (o->json) {
            printf("{\"kernel\":\"%s\",\"device\":\"%s\",\"variant\":\"%s\","
                   "\"backend\":\"%s\",\"algo\":%s%s%s,\"threads\":%zu,"
                   "\"device_name\":\"%s\",\"shape\":\"%s\",\"dtype\":\"%s\","
                   "\"repeat\":%ld,\"warmup\":%ld,\"plan_s\":%.9g,"
                   "\"time_s\":{\"median\":%.9g,\"min\":%.9g,\"max\":%.9g},"
                   "\"predicted_s\":%.9g,\"calibrated\":%s,\"fell_back\":%s,"
                   "\"reason\":\"%s\"",
                   o->kernel, o->device, variant,
                   hetero_backend_name(rep.info.backend),
                   rep.info.algo ? "\"" : "",
                   rep.info.algo ? rep.info.algo : "null",
                   rep.info.algo ? "\"" : "", rep.info.num_threads,
                   rep.info.device, shp, hetero_dtype_name(dtype), o->repeat,
                   o->warmup, rep.plan_s, rep.med, rep.min, rep.max,
                   rep.info.predicted_s,
                   rep.info.calibrated ? "true" : "false",
                   rep.info.fell_back ? "true" : "false", rep.info.reason);
            printf(",\"last_run_split_s\":{\"overhead\":%.9g,"
                   "\"transfer\":%.9g,\"compute\":%.9g}",
                   rep.info.measured_overhead_s, rep.info.measured_transfer_s,
                   rep.info.measured_compute_s);
            if (rep.verified)
                printf(",\"verify\":{\"max_abs_err\":%.6g,"
                       "\"max_rel_err\":%.6g}",
                       rep.err_abs, rep.err_rel);
            if (o->explain) {
                printf(",\"candidates\":[");
                print_candidates(plan, 1);
                printf("]");
            }
            printf("}\n");
        } else {
            printf("kernel   %s\n", o->kernel);
            printf("device   %s -> %s (%s, %zu thread%s)%s\n", o->device,
                   variant, rep.info.device, rep.info.num_threads,
                   rep.info.num_threads == 1 ? "" : "s",
                   rep.info.fell_back ? " [fell back to CPU]" : "");
            printf("shape    %s %s\n", shp,
                   n_in ? hetero_dtype_name(in[0].dtype) : "");
            printf("plan     %.3f ms (%s)\n", rep.plan_s * 1e3,
                   rep.info.reason);
            printf("time     median %.4g ms, min %.4g ms, max %.4g ms over "
                   "%ld run(s)\n",
                   rep.med * 1e3, rep.min * 1e3, rep.max * 1e3, o->repeat);
            if (rep.info.backend == HETERO_BACKEND_OPENCL)
                printf("split    last run: overhead %.4g ms, transfer %.4g "
                       "ms, kernels %.4g ms (device profiling)\n",
                       rep.info.measured_overhead_s * 1e3,
                       rep.info.measured_transfer_s * 1e3,
                       rep.info.measured_compute_s * 1e3);
            for (i = 0; i < hetero_kernel_n_outputs(k); i++) {
                size_t n = numel_scalars(&out[i]);
                size_t j;

                if (n > 4)
                    continue;
                printf("%-8s", hetero_kernel_output_name(k, i));
                for (j = 0; j < n; j++)
                    printf(" %.17g", elem(&out[i], j));
                printf("\n");
            }
            if (rep.verified)
                printf("verify   max abs err %.3g, max rel err %.3g "
                       "(vs the serial reference)\n",
                       rep.err_abs, rep.err_rel);
            if (o->explain)
                print_candidates(plan, 0);
        }
    }
    rc = 0;
out:
    free(times);
    hetero_plan_destroy(plan);
    for (i = 0; i < MAX_ARR; i++) {
        hetero_array_free(&in[i]);
        hetero_array_free(&out[i]);
        hetero_array_free(&ref[i]);
    }
    hetero_context_destroy(ctx);
    return rc;
}

static void progress_bar(void *user, double fraction, const char *what)
{
    (void)user;
    cli_progress_draw(fraction, what);
    if (fraction >= 1.0)
        fputc('\n', stderr);
}

static int run_calibrate(const struct options *o)
{
    struct hetero_calibrate_opts copts = { 0 };
    hetero_context *ctx = NULL;
    double t0;
    struct timespec ts;
    int ret;

    if (o->kernel) { /* else every kernel */
        copts.kernel = hetero_kernel_find(o->kernel);
        if (!copts.kernel)
            cli_usage_error(PROG, "unknown kernel '%s' (see --list)", o->kernel);
    }
    copts.quick = o->quick != 0;
    if (isatty(STDERR_FILENO))
        copts.progress = progress_bar;
    ret = hetero_context_create(NULL, &ctx);
    if (ret)
        return runtime_error(NULL, ret, "cannot create the context");
    clock_gettime(CLOCK_MONOTONIC, &ts);
    t0 = (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
    ret = hetero_calibrate(ctx, &copts);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (ret) {
        ret = runtime_error(ctx, ret, "calibration failed");
        hetero_context_destroy(ctx);
        return ret;
    }
    printf("calibrated %zu model entries in %.1f s -> %s\n",
           hetero_calibration_entries(ctx),
           (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec - t0,
           hetero_calibration_path(ctx));
    hetero_context_destroy(ctx);
    return 0;
}

int main(int argc, char **argv)
{
    struct options o = { 0 };
    const char *env_dev = getenv("HETERO_DEVICE");

    o.device = env_dev && env_dev[0] ? env_dev : "auto";
    o.dtype = "f64";
    o.repeat = 5;
    o.warmup = 1;
    o.seed = 42;
    parse_args(argc, argv, &o);
    if (o.calibrate)
        return run_calibrate(&o);
    if (!o.kernel)
        o.kernel = "autocorr";
    if (o.list) {
        print_list();
        return 0;
    }
    return run_main(&o);
}
