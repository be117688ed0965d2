/*
 * hetero-bench - crossover sweeps: at which size does each device overtake
 * the serial reference, and how close does `auto` come to the best device?
 *
 * DESIGN: built on the public API alone, like hetero-run: the kernel's
 * descriptor gives its default shape and input specs, so one loop drives
 * every kernel. A sweep is a list of sizes; each size replaces the leading
 * dimension of the shape template (or a size parameter such as mcpi's
 * `samples`). At each size the inputs are made once (seeded), then every
 * series (serial, cpu at each thread count, gpu, auto, and for fft2 FFTW's
 * own threaded plan) is planned (timed: plan_s) and run once untimed. Then
 * the series are timed in rounds: each runs once per round, round r starting
 * at series r mod n_series and going on with a stride that changes every
 * n_series rounds (round_stride). So the machine's slow phases (a shared
 * 2-core box has seconds-long ones) hit every series alike rather than
 * whichever was timed then, and no series always runs right after the same
 * other one. There are at least --repeat rounds (7), and more while the
 * point's total timed time is below --target-time (0.25 s), up to
 * --max-repeat (41); --max-time stops a point early (after 3 rounds). Each
 * series' median, quartiles, min and max go to one CSV row. A device that
 * cannot run the kernel (no OpenCL variant, no device) gives a row with
 * empty times, never a failure; one whose execution fails drops out of the
 * later rounds. At the end the crossover sizes are printed: for each series
 * the smallest size from which its median beats serial's at that size and at
 * every larger one; and for auto the worst ratio of its median to the best
 * forced device's, and the worst ratio of its forced twin's (the forced
 * series running what auto picked) to the best: the cost of the decision
 * alone.
 *
 * Named suites (--suite) fix kernel, shape, sizes and devices for the
 * committed report; each writes <out-dir>/<name>.csv.
 */
#include <errno.h>
#include <fftw3.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hetero/hetero.h>

#include "cli.h"

#define MAX_SIZES 256
#define MAX_SERIES 24
#define MAX_THREAD_COUNTS 16
#define MAX_PARAMS 16
#define MAX_ARR 4
#define EXIT_USAGE CLI_EXIT_USAGE
#define PROG "hetero-bench"
#define EXIT_RUNTIME 1

#define CSV_HEADER                                                             \
    "kernel,algo,device,threads,size,shape,variant,chosen_threads,median_s,"   \
    "min_s,max_s,plan_s,first_plan,calibrated,pred_overhead_s,"                \
    "pred_compute_s,pred_transfer_s,meas_overhead_s,meas_transfer_s,"          \
    "meas_compute_s,rounds,p25_s,p75_s\n"

enum device_kind {
    DEV_SERIAL,
    DEV_CPU,
    DEV_GPU,
    DEV_AUTO,
    DEV_FFTW, /* peer: FFTW's threaded plan, fft2 only */
};

static const char *const device_names[] = {
    "serial", "cpu", "gpu", "auto", "fftw-threads",
};

/* One sweep: what a --kernel command line or one suite entry describes. */
struct sweep_opts {
    const char *kernel;
    const char *sweep;
    const char *devices;
    const char *threads;
    const char *shape;
    const char *algo;
    const char *dtype;
    const char *size_param;
    const struct hetero_param *params;
    size_t n_params;
    long repeat;     /* rounds at least */
    long max_repeat; /* rounds at most, while below target_time */
    double target_time;
    double max_time;
    bool quick;
    uint64_t seed;
};

/* A series: one line of the plot (device, and thread count for cpu). */
struct series {
    enum device_kind dev;
    size_t threads; /* cpu, fftw-threads: requested; else 0 */
};

/* One measurement (one CSV row). */
struct result {
    bool ok;
    char shape[64];
    char variant[48];
    size_t chosen_threads;
    double median_s;
    double min_s;
    double max_s;
    double p25_s;
    double p75_s;
    size_t rounds; /* timed runs */
    double plan_s;
    bool first_plan;
    bool calibrated;
    bool have_pred;
    double pred_overhead_s;
    double pred_compute_s;
    double pred_transfer_s;
    bool have_meas; /* median of the runs' measured split (plan_info) */
    double meas_overhead_s;
    double meas_transfer_s;
    double meas_compute_s;
};

/* What one sweep measured, for the summary. */
struct sweep {
    const char *kernel;
    const char *algo;
    size_t sizes[MAX_SIZES];
    size_t n_sizes;
    struct series series[MAX_SERIES];
    size_t n_series;
    struct result *res; /* [size][series] */
    /* Variants already planned once in this context: first_plan. */
    char seen[MAX_SERIES * 4][64];
    size_t n_seen;
};

/* A named suite: one entry per sweep; entries sharing `name` share a CSV. */
struct suite {
    const char *name;
    const char *kernel;
    const char *shape;
    const char *sweep;
    const char *quick_sweep;
    const char *algo;
    const char *dtype;
    const char *threads;
    const char *devices;
};

/*
 * The committed suites. Sizes are log-spaced; the largest take most of the
 * time (about 2 minutes for all of them on 2 cores).
 */
static const struct suite suites[] = {
    { "fft2", "fft2", "1x100x100", "1:500:16", "1,4,16", NULL, "c128", "1,2",
      "serial,cpu,gpu,auto,fftw-threads" },
    { "autocorr", "autocorr", "1x100x100", "1:30:12", "1,2,4", "direct", "f64",
      "1,2", "serial,cpu,gpu,auto" },
    { "autocorr", "autocorr", "1x100x100", "1:30:12", "1,2,4", "fft", "f64",
      "1,2", "serial,cpu,gpu,auto" },
    { "sum", "sum", NULL, "1:100000000:17", "1,1000,1000000", NULL, "f64",
      "1,2,3,4", "serial,cpu,gpu,auto" },
    { "rbf", "rbf", "100x3", "100:4000:12", "100,300", NULL, "f64", "1,2",
      "serial,cpu,gpu,auto" },
    { "det", "det", "1x10x10", "10:100000:17", "10,1000,10000", NULL, "f64",
      "1,2", "serial,cpu,gpu,auto" },
    { "mcpi", "mcpi", NULL, "1000:100000000:16", "1000,100000,1000000", NULL,
      "f64", "1,2", "serial,cpu,gpu,auto" },
    { "vecadd", "vecadd", NULL, "1000:100000000:16", "1000,100000,1000000",
      NULL, "f64", "1,2", "serial,cpu,gpu,auto" },
};

static bool progress_on;
static bool progress_dirty;

/* A message on stderr that does not collide with the progress bar. */
static void note(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

static void note(const char *fmt, ...)
{
    va_list ap;

    if (progress_dirty) {
        fputs("\r\033[K", stderr);
        progress_dirty = false;
    }
    fputs("hetero-bench: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void progress(double fraction, const char *what)
{
    if (!progress_on)
        return;
    cli_progress_draw(fraction, what);
    progress_dirty = true;
}

static void progress_done(void)
{
    if (progress_dirty) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        progress_dirty = false;
    }
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a;
    size_t y = *(const size_t *)b;

    return (x > y) - (x < y);
}

static void print_help(void)
{
    size_t i;

    printf(
        "Usage: hetero-bench --kernel K --sweep SPEC [OPTIONS]\n"
        "       hetero-bench --suite NAME|all [--out-dir DIR] [--quick]\n"
        "Time a kernel on every device over a range of sizes; write CSV and "
        "print\nthe crossover sizes.\n\n"
        "  -k, --kernel K        kernel (see hetero-run --list)\n"
        "  -s, --sweep SPEC      sizes: LO:HI:N (N log-spaced integers, "
        "deduplicated)\n"
        "                        or a list 1,10,100 (1e6 accepted); a size "
        "replaces the\n"
        "                        leading dimension of the shape (mcpi: the "
        "samples)\n"
        "  -d, --devices LIST    serial,cpu,gpu,auto (default), and "
        "fftw-threads for fft2\n"
        "  -j, --threads LIST    pool thread counts for cpu (default 1,<online "
        "CPUs>)\n"
        "  -r, --repeat R        rounds at least (default 7): after one "
        "untimed run of\n"
        "                        each, every series is timed once per round, "
        "in an\n"
        "                        order that changes every round\n"
        "      --target-time S   add rounds while a point's timed runs took "
        "less than\n"
        "                        S seconds in all (default 0.25; 0: "
        "exactly R rounds)\n"
        "      --max-repeat M    rounds at most with --target-time (default "
        "41)\n"
        "      --max-time S      stop once a point's timed runs took S "
        "seconds (at\n"
        "                        least 3 rounds; default: no limit)\n"
        "  -o, --csv FILE        write the CSV there (default: stdout)\n"
        "  -p, --param NAME=VAL  kernel parameter, repeatable\n"
        "  -a, --algo A          force an algorithm (autocorr: direct|fft)\n"
        "      --shape T         shape template, e.g. 1x100x100 (default: "
        "the kernel's)\n"
        "  -t, --dtype T         f64 (default), f32, c128, c64\n"
        "      --size-param P    the size is parameter P (default for "
        "kernels without\n"
        "                        inputs: samples)\n"
        "      --seed S          seed of the generated inputs (default 42)\n"
        "      --quick           3 rounds (target time 0), at most 4 sizes up "
        "to 1/100\n"
        "                        of the largest\n"
        "      --suite NAME      a named suite, or all (one CSV each in "
        "--out-dir)\n"
        "      --out-dir DIR     where suites write (default .)\n"
        "  -h, --help            this help\n\n"
        "CSV columns: %s"
        "Exit status: 0 ok, 1 runtime error, 2 usage error.\n\nSuites:",
        CSV_HEADER);
    for (i = 0; i < HETERO_ARRAY_SIZE(suites); i++) {
        if (i == 0 || strcmp(suites[i].name, suites[i - 1].name) != 0)
            printf(" %s", suites[i].name);
    }
    printf("\n");
}

/* ---- parsing ---- */

static size_t parse_size(const char *opt, const char *s)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= 1.0) || v > 9007199254740992.0 ||
        v != floor(v))
        cli_usage_error(PROG, "%s: '%s' is not a positive integer", opt, s);
    return (size_t)v;
}

static double parse_seconds(const char *opt, const char *s)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= 0) || !isfinite(v))
        cli_usage_error(PROG, "%s '%s': expected seconds", opt, s);
    return v;
}

static size_t dedupe_sizes(size_t *v, size_t n)
{
    size_t i;
    size_t m = 0;

    qsort(v, n, sizeof(*v), cmp_size);
    for (i = 0; i < n; i++) {
        if (m == 0 || v[m - 1] != v[i])
            v[m++] = v[i];
    }
    return m;
}

/* Splits `s` at commas into `parts` (at most `max`); modifies a copy. */
static size_t split_list(char *s, char **parts, size_t max, const char *opt)
{
    size_t n = 0;
    char *save = NULL;
    char *tok;

    for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (n == max)
            cli_usage_error(PROG, "%s: more than %zu items", opt, max);
        parts[n++] = tok;
    }
    if (n == 0)
        cli_usage_error(PROG, "%s is empty", opt);
    return n;
}

static size_t parse_sweep(const char *spec, size_t *sizes)
{
    char buf[256];
    char *parts[MAX_SIZES];
    size_t n;
    size_t i;

    if (strlen(spec) >= sizeof(buf))
        cli_usage_error(PROG, "--sweep '%s': too long", spec);
    snprintf(buf, sizeof(buf), "%s", spec);
    if (strchr(buf, ':')) {
        char *c1 = strchr(buf, ':');
        char *c2 = strchr(c1 + 1, ':');
        size_t lo;
        size_t hi;
        size_t count;

        if (!c2)
            cli_usage_error(PROG, "--sweep '%s': expected LO:HI:N", spec);
        *c1 = '\0';
        *c2 = '\0';
        lo = parse_size("--sweep", buf);
        hi = parse_size("--sweep", c1 + 1);
        count = parse_size("--sweep", c2 + 1);
        if (hi < lo || count > MAX_SIZES)
            cli_usage_error(PROG, "--sweep '%s': need LO <= HI and N <= %d", spec,
                        MAX_SIZES);
        for (i = 0; i < count; i++) {
            double f = count > 1 ? (double)i / (double)(count - 1) : 0.0;
            double v =
                exp(log((double)lo) + f * (log((double)hi) - log((double)lo)));

            sizes[i] = (size_t)llround(v);
            if (sizes[i] < lo)
                sizes[i] = lo;
            if (sizes[i] > hi)
                sizes[i] = hi;
        }
        return dedupe_sizes(sizes, count);
    }
    n = split_list(buf, parts, MAX_SIZES, "--sweep");
    for (i = 0; i < n; i++)
        sizes[i] = parse_size("--sweep", parts[i]);
    return dedupe_sizes(sizes, n);
}

/* --quick: the sizes up to 1/100 of the largest, at most 4 of them. */
static size_t quick_sizes(size_t *sizes, size_t n)
{
    size_t cap = sizes[n - 1] / 100;
    size_t m = 0;
    size_t out[4];
    size_t n_out;
    size_t i;

    while (m < n && sizes[m] <= (cap > sizes[0] ? cap : sizes[0]))
        m++;
    n_out = m < 4 ? m : 4;
    for (i = 0; i < n_out; i++)
        out[i] = sizes[n_out > 1 ? i * (m - 1) / (n_out - 1) : 0];
    memcpy(sizes, out, n_out * sizeof(*out));
    return dedupe_sizes(sizes, n_out);
}

static size_t parse_threads(const char *spec, size_t *threads)
{
    char buf[256];
    char *parts[MAX_THREAD_COUNTS];
    size_t n;
    size_t i;

    if (strlen(spec) >= sizeof(buf))
        cli_usage_error(PROG, "--threads '%s': too long", spec);
    snprintf(buf, sizeof(buf), "%s", spec);
    n = split_list(buf, parts, MAX_THREAD_COUNTS, "--threads");
    for (i = 0; i < n; i++) {
        threads[i] = parse_size("--threads", parts[i]);
        if (threads[i] > HETERO_POOL_MAX_THREADS)
            cli_usage_error(PROG, "--threads: at most %d", HETERO_POOL_MAX_THREADS);
    }
    return dedupe_sizes(threads, n);
}

/* Builds the series list from --devices and --threads. */
static size_t make_series(const char *devices, const size_t *threads,
                          size_t n_threads, const char *kernel,
                          struct series *out)
{
    char buf[256];
    char *parts[MAX_SERIES];
    size_t n;
    size_t i;
    size_t m = 0;

    if (strlen(devices) >= sizeof(buf))
        cli_usage_error(PROG, "--devices '%s': too long", devices);
    snprintf(buf, sizeof(buf), "%s", devices);
    n = split_list(buf, parts, 8, "--devices");
    for (i = 0; i < n; i++) {
        size_t d;
        size_t t;

        for (d = 0; d < HETERO_ARRAY_SIZE(device_names); d++) {
            if (strcmp(parts[i], device_names[d]) == 0)
                break;
        }
        if (d == HETERO_ARRAY_SIZE(device_names))
            cli_usage_error(PROG, "--devices: unknown device '%s' (serial, cpu, gpu, "
                        "auto, fftw-threads)",
                        parts[i]);
        if (d == DEV_FFTW && strcmp(kernel, "fft2") != 0)
            cli_usage_error(PROG, "--devices: fftw-threads is a peer of fft2 only");
        if (d == DEV_CPU) {
            for (t = 0; t < n_threads && m < MAX_SERIES; t++) {
                out[m].dev = DEV_CPU;
                out[m++].threads = threads[t];
            }
        } else if (m < MAX_SERIES) {
            out[m].dev = (enum device_kind)d;
            out[m++].threads =
                d == DEV_FFTW ? threads[n_threads - 1] : (d == DEV_SERIAL);
        }
    }
    return m;
}

/* ---- inputs ---- */

/* The call of one size: inputs, outputs, parameters. */
struct point {
    struct hetero_array in[MAX_ARR];
    struct hetero_array out[MAX_ARR];
    struct hetero_param params[MAX_PARAMS + 1];
    char size_text[32];
    struct hetero_call call;
    char shape[64];
};

static void point_free(struct point *p)
{
    size_t i;

    for (i = 0; i < MAX_ARR; i++) {
        hetero_array_free(&p->in[i]);
        hetero_array_free(&p->out[i]);
    }
}

static void shape_text(const struct hetero_array *a, char *buf, size_t n)
{
    size_t used = 0;
    int d;

    buf[0] = '\0';
    for (d = 0; d < a->ndim && used < n; d++)
        used += (size_t)snprintf(buf + used, n - used, "%s%zu", d ? "x" : "",
                                 a->shape[d]);
}

/* Prepares the call for `size`. Returns 0 or a negative code (then
 * everything allocated is freed). */
static int point_make(hetero_context *ctx, const hetero_kernel *k,
                      const struct sweep_opts *o, const char *size_param,
                      int ndim, const size_t *tmpl, size_t size,
                      struct point *p)
{
    size_t n_in = hetero_kernel_n_inputs(k);
    size_t shape[HETERO_MAX_NDIM];
    size_t i;
    size_t np = 0;
    int ret;

    memset(p, 0, sizeof(*p));
    for (i = 0; i < o->n_params; i++) {
        if (size_param && strcmp(o->params[i].name, size_param) == 0)
            continue;
        p->params[np++] = o->params[i];
    }
    if (size_param) {
        snprintf(p->size_text, sizeof(p->size_text), "%zu", size);
        p->params[np].name = size_param;
        p->params[np++].value = p->size_text;
        snprintf(p->shape, sizeof(p->shape), "%s=%zu", size_param, size);
    }
    if (n_in) {
        enum hetero_dtype dt = hetero_dtype_from_name(o->dtype);
        struct hetero_array specs[MAX_ARR];

        memcpy(shape, tmpl, (size_t)ndim * sizeof(*shape));
        if (!size_param)
            shape[0] = size;
        ret = hetero_kernel_input_specs(ctx, k, ndim, shape, dt, specs);
        if (ret)
            return ret;
        for (i = 0; i < n_in; i++) {
            ret = hetero_array_alloc(ctx, specs[i].dtype, specs[i].ndim,
                                     specs[i].shape, &p->in[i]);
            if (ret == 0)
                ret =
                    hetero_array_fill_uniform(&p->in[i], o->seed + 0x1000 * i);
            if (ret) {
                point_free(p);
                return ret;
            }
        }
        if (!size_param)
            shape_text(&p->in[0], p->shape, sizeof(p->shape));
    }
    p->call.inputs = p->in;
    p->call.n_inputs = n_in;
    p->call.params = p->params;
    p->call.n_params = np;
    p->call.outputs = p->out;
    ret = hetero_call_alloc_outputs(ctx, k, &p->call);
    if (ret)
        point_free(p);
    return ret;
}

/* ---- measuring ---- */

/* Quantile q of sorted v[0..n-1], interpolated linearly between ranks. */
static double quantile(const double *v, size_t n, double q)
{
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)pos;

    if (lo + 1 >= n)
        return v[n - 1];
    return v[lo] + (pos - (double)lo) * (v[lo + 1] - v[lo]);
}

/* Median, quartiles, min and max of times[0..n-1] (sorted in place). */
static void summarize(double *times, size_t n, struct result *r)
{
    qsort(times, n, sizeof(*times), cmp_double);
    r->min_s = times[0];
    r->max_s = times[n - 1];
    r->median_s =
        n % 2 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
    r->p25_s = quantile(times, n, 0.25);
    r->p75_s = quantile(times, n, 0.75);
}

/* True the first time `key` is seen in this sweep (cold plan). */
static bool first_time(struct sweep *s, const char *key)
{
    size_t i;

    for (i = 0; i < s->n_seen; i++) {
        if (strcmp(s->seen[i], key) == 0)
            return false;
    }
    if (s->n_seen < HETERO_ARRAY_SIZE(s->seen))
        snprintf(s->seen[s->n_seen++], sizeof(s->seen[0]), "%s", key);
    return true;
}

static void series_name(const struct series *se, char *buf, size_t n)
{
    if (se->dev == DEV_CPU)
        snprintf(buf, n, "cpu/%zu", se->threads);
    else
        snprintf(buf, n, "%s", device_names[se->dev]);
}

/*
 * One series at the size being measured: set up (planned, run once) before
 * the first round, run once per round while `active`, summarized and
 * released after the last.
 */
struct slot {
    const struct series *se;
    struct result *r;
    bool active;       /* set up and not failed: runs in every round */
    hetero_plan *plan; /* serial, cpu, gpu, auto */
    fftw_plan fplan;   /* fftw-threads */
    fftw_complex *fin;
    fftw_complex *fout;
    double *times;    /* [cap]: the timed runs */
    double *split[3]; /* [cap]: their overhead, transfer, compute */
    size_t n_times;
    size_t n_split;
};

/* The most rounds a point can take: --repeat, or --max-repeat when a
 * --target-time may add rounds. */
static size_t rounds_cap(const struct sweep_opts *o)
{
    size_t cap = (size_t)o->repeat;

    if (o->target_time > 0 && (size_t)o->max_repeat > cap)
        cap = (size_t)o->max_repeat;
    return cap;
}

static int slot_alloc_times(struct slot *sl, size_t cap)
{
    size_t c;

    sl->times = calloc(4 * cap, sizeof(*sl->times));
    if (!sl->times)
        return HETERO_ENOMEM;
    for (c = 0; c < 3; c++)
        sl->split[c] = sl->times + (c + 1) * cap;
    return 0;
}

static void slot_release(struct slot *sl)
{
    hetero_plan_destroy(sl->plan);
    sl->plan = NULL;
    if (sl->fplan)
        fftw_destroy_plan(sl->fplan);
    sl->fplan = NULL;
    fftw_free(sl->fin);
    fftw_free(sl->fout);
    sl->fin = NULL;
    sl->fout = NULL;
    free(sl->times);
    sl->times = NULL;
    sl->active = false;
}

/* Notes a failed execution; the series drops out (its row stays empty). */
static void slot_fail(hetero_context *ctx, const struct sweep_opts *o,
                      const struct point *p, struct slot *sl, int ret)
{
    char name[32];

    series_name(sl->se, name, sizeof(name));
    note("%s %s size %s: execution failed: %s: %s", o->kernel, name, p->shape,
         hetero_strerror(ret), hetero_context_errmsg(ctx));
    sl->active = false;
}

/* Plans a serial, cpu, gpu or auto series; active on success. */
static void setup_hetero(hetero_context *ctx, const hetero_kernel *k,
                         const struct sweep_opts *o, struct sweep *s,
                         struct point *p, struct slot *sl)
{
    static const unsigned flags[] = {
        [DEV_SERIAL] = HETERO_PLAN_FORCE_SERIAL,
        [DEV_CPU] = HETERO_PLAN_FORCE_POOL,
        [DEV_GPU] = HETERO_PLAN_FORCE_OPENCL,
        [DEV_AUTO] = HETERO_PLAN_ESTIMATE,
    };
    const struct series *se = sl->se;
    struct hetero_plan_opts popts = { 0 };
    struct hetero_plan_info info;
    char key[64];
    double t0;
    int ret;

    popts.flags = flags[se->dev];
    popts.num_threads = se->dev == DEV_CPU ? se->threads : 0;
    popts.algo = o->algo;
    t0 = now_s();
    ret = hetero_plan_create_opts(ctx, k, &p->call, &popts, &sl->plan);
    sl->r->plan_s = now_s() - t0;
    if (ret) {
        sl->plan = NULL;
        if (ret != HETERO_ENODEV && ret != HETERO_ENOTSUP)
            note("%s %s size %s: plan failed: %s: %s", o->kernel,
                 device_names[se->dev], p->shape, hetero_strerror(ret),
                 hetero_context_errmsg(ctx));
        return;
    }
    if (hetero_plan_info(sl->plan, &info))
        return;
    /* Cold = the first plan of this variant in the context (OpenCL
     * program build or binary cache load, FFTW planning), whichever
     * device label asked for it. */
    snprintf(key, sizeof(key), "%s/%s", hetero_backend_name(info.backend),
             info.algo ? info.algo : "");
    sl->r->first_plan = first_time(s, key);
    sl->active = true;
}

/* Plans the peer of fft2: FFTW's own threaded, batched c2c plan. */
static void setup_fftw(struct sweep *s, struct point *p, struct slot *sl)
{
    static bool threads_ready;
    const struct hetero_array *x = &p->in[0];
    size_t numel = 0;
    size_t i;
    int n[2];
    int batch;
    double t0;

    if (!threads_ready) {
        if (!fftw_init_threads()) {
            note("fftw_init_threads failed: no fftw-threads rows");
            return;
        }
        threads_ready = true;
    }
    if (x->ndim < 2 || x->ndim > 3 || hetero_array_numel(x, &numel) ||
        numel == 0 || numel > INT32_MAX)
        return;
    n[0] = (int)x->shape[x->ndim - 2];
    n[1] = (int)x->shape[x->ndim - 1];
    batch = x->ndim == 3 ? (int)x->shape[0] : 1;
    sl->fin = fftw_malloc(numel * sizeof(*sl->fin));
    sl->fout = fftw_malloc(numel * sizeof(*sl->fout));
    if (!sl->fin || !sl->fout)
        return;
    fftw_plan_with_nthreads((int)sl->se->threads);
    t0 = now_s();
    sl->fplan =
        fftw_plan_many_dft(2, n, batch, sl->fin, NULL, 1, n[0] * n[1], sl->fout,
                           NULL, 1, n[0] * n[1], FFTW_FORWARD, FFTW_MEASURE);
    sl->r->plan_s = now_s() - t0;
    fftw_plan_with_nthreads(1);
    if (!sl->fplan)
        return;
    /* FFTW_MEASURE scribbles over the arrays: fill them after planning. */
    for (i = 0; i < numel; i++) {
        if (x->dtype == HETERO_C128) {
            sl->fin[i][0] = ((const double *)x->data)[2 * i];
            sl->fin[i][1] = ((const double *)x->data)[2 * i + 1];
        } else if (x->dtype == HETERO_F64) {
            sl->fin[i][0] = ((const double *)x->data)[i];
            sl->fin[i][1] = 0.0;
        } else {
            sl->fin[i][0] = 0.0;
            sl->fin[i][1] = 0.0;
        }
    }
    sl->r->first_plan = first_time(s, "fftw-threads");
    sl->active = true;
}

/* Runs the series once. Timed (timed != NULL): the run's time goes to
 * *timed and to the slot's times, the measured split to its splits. */
static int slot_run(struct slot *sl, struct point *p, double *timed)
{
    struct hetero_plan_info info;
    double t0 = now_s();
    double t;
    int ret = 0;

    if (sl->fplan)
        fftw_execute(sl->fplan);
    else
        ret = hetero_plan_execute(sl->plan, &p->call);
    t = now_s() - t0;
    if (ret || !timed)
        return ret;
    *timed = t;
    sl->times[sl->n_times++] = t;
    if (sl->plan && hetero_plan_info(sl->plan, &info) == 0) {
        sl->split[0][sl->n_split] = info.measured_overhead_s;
        sl->split[1][sl->n_split] = info.measured_transfer_s;
        sl->split[2][sl->n_split] = info.measured_compute_s;
        sl->n_split++;
    }
    return 0;
}

/* Medians of the timed runs' measured split. */
static void split_medians(struct slot *sl, struct result *r)
{
    struct result m;
    double *dst[3] = { &r->meas_overhead_s, &r->meas_transfer_s,
                       &r->meas_compute_s };
    size_t c;

    if (sl->n_split == 0)
        return;
    for (c = 0; c < 3; c++) {
        summarize(sl->split[c], sl->n_split, &m);
        *dst[c] = m.median_s;
    }
    r->have_meas = true;
}

static void fill_prediction(const hetero_plan *plan,
                            const struct hetero_plan_info *info,
                            struct result *r)
{
    size_t i;

    for (i = 0; i < info->n_candidates; i++) {
        struct hetero_candidate c;

        if (hetero_plan_candidate(plan, i, &c))
            continue;
        if (c.backend != info->backend || c.num_threads != info->num_threads)
            continue;
        if ((c.algo == NULL) != (info->algo == NULL) ||
            (c.algo && strcmp(c.algo, info->algo) != 0))
            continue;
        r->have_pred = true;
        r->pred_overhead_s = c.overhead_s;
        r->pred_compute_s = c.compute_s;
        r->pred_transfer_s = c.transfer_s;
        return;
    }
}

/* Fills the row of a series that ran every round it was given. */
static void slot_finish(const struct sweep_opts *o, struct point *p,
                        struct slot *sl)
{
    struct result *r = sl->r;
    struct hetero_plan_info info;

    if (sl->n_times == 0)
        return;
    summarize(sl->times, sl->n_times, r);
    r->rounds = sl->n_times;
    if (sl->fplan) {
        snprintf(r->variant, sizeof(r->variant), "fftw3-threads/c2c");
        r->chosen_threads = sl->se->threads;
        r->ok = true;
        return;
    }
    split_medians(sl, r);
    /* Read after the runs: an OpenCL failure under auto may have fallen
     * back. */
    if (hetero_plan_info(sl->plan, &info))
        return;
    if (info.fell_back)
        note("%s %s size %s: fell back to the CPU (%s)", o->kernel,
             device_names[sl->se->dev], p->shape, info.reason);
    snprintf(r->variant, sizeof(r->variant), "%s%s%s",
             hetero_backend_name(info.backend), info.algo ? "/" : "",
             info.algo ? info.algo : "");
    r->chosen_threads = info.num_threads;
    r->calibrated = info.calibrated;
    fill_prediction(sl->plan, &info, r);
    r->ok = true;
}

static size_t gcd(size_t a, size_t b)
{
    while (b) {
        size_t t = a % b;

        a = b;
        b = t;
    }
    return a;
}

/*
 * Round r of n series runs series r mod n first, then every stride-th one
 * (mod n). The stride is prime to n, so each round runs each series once,
 * and it moves to the next such stride every n rounds: a series runs first
 * equally often, and does not always follow the same series (what runs
 * right after gpu may share the cores with POCL's threads winding down).
 */
static size_t round_stride(size_t r, size_t n)
{
    size_t k;
    size_t want;
    size_t n_strides = 0;

    if (n < 2)
        return 1;
    for (k = 1; k < n; k++)
        n_strides += gcd(k, n) == 1;
    want = (r / n) % n_strides;
    for (k = 1; k < n; k++) {
        if (gcd(k, n) == 1 && want-- == 0)
            return k;
    }
    return 1;
}

/*
 * Measures every series at size index i: sets each up and runs it once,
 * then times them in rounds (each series once per round, in an order that
 * changes every round: round_stride), then fills their rows in s->res.
 */
static void measure_point(hetero_context *ctx, const hetero_kernel *k,
                          const struct sweep_opts *o, struct sweep *s, size_t i,
                          struct point *p)
{
    struct slot slots[MAX_SERIES];
    size_t n = s->n_series;
    size_t cap = rounds_cap(o);
    size_t min_rounds = (size_t)o->repeat;
    double spent = 0.0;
    size_t round;
    size_t j;
    int ret;

    memset(slots, 0, sizeof(slots));
    for (j = 0; j < n; j++) {
        struct slot *sl = &slots[j];

        sl->se = &s->series[j];
        sl->r = &s->res[i * n + j];
        snprintf(sl->r->shape, sizeof(sl->r->shape), "%s", p->shape);
        if (sl->se->dev == DEV_FFTW)
            setup_fftw(s, p, sl);
        else
            setup_hetero(ctx, k, o, s, p, sl);
        if (sl->active && slot_alloc_times(sl, cap)) {
            note("out of memory");
            sl->active = false;
        }
    }
    for (j = 0; j < n; j++) {
        if (!slots[j].active)
            continue;
        ret = slot_run(&slots[j], p, NULL);
        if (ret)
            slot_fail(ctx, o, p, &slots[j], ret);
    }
    for (round = 0; round < cap; round++) {
        size_t stride = round_stride(round, n);
        size_t ran = 0;
        size_t m;
        char what[96];

        if (round >= min_rounds &&
            !(o->target_time > 0 && spent < o->target_time))
            break;
        if (o->max_time > 0 && spent > o->max_time && round >= 3)
            break;
        snprintf(what, sizeof(what), "%s%s%s size %zu round %zu", o->kernel,
                 s->algo ? "/" : "", s->algo ? s->algo : "", s->sizes[i],
                 round + 1);
        progress(((double)i + (double)round / (double)cap) / (double)s->n_sizes,
                 what);
        for (m = 0; m < n; m++) {
            struct slot *sl = &slots[(round % n + m * stride) % n];
            double t;

            if (!sl->active)
                continue;
            ret = slot_run(sl, p, &t);
            if (ret) {
                slot_fail(ctx, o, p, sl, ret);
                continue;
            }
            spent += t;
            ran++;
        }
        if (ran == 0)
            break;
    }
    for (j = 0; j < n; j++) {
        if (slots[j].active)
            slot_finish(o, p, &slots[j]);
        slot_release(&slots[j]);
    }
}

/* ---- output ---- */

static void csv_row(FILE *f, const struct sweep *s, const struct series *se,
                    size_t size, const struct result *r)
{
    fprintf(f, "%s,%s,%s,", s->kernel, s->algo ? s->algo : "",
            device_names[se->dev]);
    if (se->dev == DEV_SERIAL || se->dev == DEV_CPU || se->dev == DEV_FFTW)
        fprintf(f, "%zu", se->threads);
    fprintf(f, ",%zu,%s,%s,", size, r->shape, r->ok ? r->variant : "");
    if (r->ok)
        fprintf(f, "%zu,%.6e,%.6e,%.6e,%.6e,%s,", r->chosen_threads,
                r->median_s, r->min_s, r->max_s, r->plan_s,
                r->first_plan ? "true" : "false");
    else
        fprintf(f, ",,,,,,");
    if (r->ok && se->dev != DEV_FFTW)
        fprintf(f, "%s", r->calibrated ? "true" : "false");
    if (r->ok && r->have_pred)
        fprintf(f, ",%.6e,%.6e,%.6e", r->pred_overhead_s, r->pred_compute_s,
                r->pred_transfer_s);
    else
        fprintf(f, ",,,");
    if (r->ok && r->have_meas)
        fprintf(f, ",%.6e,%.6e,%.6e", r->meas_overhead_s, r->meas_transfer_s,
                r->meas_compute_s);
    else
        fprintf(f, ",,,");
    if (r->ok)
        fprintf(f, ",%zu,%.6e,%.6e\n", r->rounds, r->p25_s, r->p75_s);
    else
        fprintf(f, ",,,\n");
    fflush(f);
}

static const struct result *res_at(const struct sweep *s, size_t i, size_t j)
{
    return &s->res[i * s->n_series + j];
}

/* The forced series (serial, cpu/T, gpu) with the best median at size i,
 * or n_series if none ran. */
static size_t best_forced(const struct sweep *s, size_t i)
{
    size_t best = s->n_series;
    double best_s = INFINITY;
    size_t m;

    for (m = 0; m < s->n_series; m++) {
        const struct result *b = res_at(s, i, m);
        enum device_kind d = s->series[m].dev;

        if (d == DEV_AUTO || d == DEV_FFTW || !b->ok)
            continue;
        if (b->median_s < best_s) {
            best_s = b->median_s;
            best = m;
        }
    }
    return best;
}

/* True if `variant` ("pool/fft", "serial") runs on backend `name`. */
static bool variant_on(const char *variant, const char *name)
{
    size_t len = strcspn(variant, "/");

    return strlen(name) == len && strncmp(variant, name, len) == 0;
}

/*
 * The forced series that runs what the auto series a chose at size i (its
 * forced twin), or n_series if there is none: serial for serial, cpu/T for
 * the pool with T threads, gpu for OpenCL. The algorithm is fixed by the
 * sweep's algo; without one the variants must match too.
 */
static size_t forced_twin(const struct sweep *s, size_t i, size_t a)
{
    const struct result *ar = res_at(s, i, a);
    size_t m;

    if (!ar->ok)
        return s->n_series;
    for (m = 0; m < s->n_series; m++) {
        const struct series *se = &s->series[m];
        const struct result *b = res_at(s, i, m);
        bool same;

        if (!b->ok)
            continue;
        if (se->dev == DEV_SERIAL)
            same = variant_on(ar->variant, "serial");
        else if (se->dev == DEV_CPU)
            same = variant_on(ar->variant, "pool") &&
                   ar->chosen_threads == se->threads;
        else if (se->dev == DEV_GPU)
            same = variant_on(ar->variant, "opencl");
        else
            same = false;
        if (same && (s->algo || strcmp(b->variant, ar->variant) == 0))
            return m;
    }
    return s->n_series;
}

/*
 * The worst ratios of the auto series a over the best forced series: auto's
 * own median (decision plus run-to-run noise between two timings of one
 * configuration), and its forced twin's (the decision alone).
 */
static void print_auto_ratios(FILE *f, const char *prefix,
                              const struct sweep *s, size_t a)
{
    double worst = 0.0;
    size_t worst_i = 0;
    size_t worst_best = 0;
    double worst_pick = 0.0;
    size_t pick_i = 0;
    size_t pick_best = 0;
    size_t pick_twin = 0;
    size_t n_twins = 0;
    size_t n_auto = 0;
    size_t i;

    for (i = 0; i < s->n_sizes; i++) {
        const struct result *ar = res_at(s, i, a);
        size_t best = best_forced(s, i);
        size_t twin = forced_twin(s, i, a);
        double best_s;

        if (!ar->ok || best == s->n_series)
            continue;
        n_auto++;
        best_s = res_at(s, i, best)->median_s;
        if (ar->median_s / best_s > worst) {
            worst = ar->median_s / best_s;
            worst_i = i;
            worst_best = best;
        }
        if (twin == s->n_series)
            continue;
        n_twins++;
        if (res_at(s, i, twin)->median_s / best_s > worst_pick) {
            worst_pick = res_at(s, i, twin)->median_s / best_s;
            pick_i = i;
            pick_best = best;
            pick_twin = twin;
        }
    }
    if (worst > 0) {
        char name[32];

        series_name(&s->series[worst_best], name, sizeof(name));
        fprintf(f,
                "%s  auto/best-forced worst ratio %.2f at size %zu "
                "(best there: %s)\n",
                prefix, worst, s->sizes[worst_i], name);
    }
    if (worst_pick > 0) {
        char name[32];
        char twin[32];

        series_name(&s->series[pick_best], name, sizeof(name));
        series_name(&s->series[pick_twin], twin, sizeof(twin));
        fprintf(f,
                "%s  auto pick/best-forced worst ratio %.2f at size %zu "
                "(auto picked %s, best there: %s; twin at %zu of %zu "
                "sizes)\n",
                prefix, worst_pick, s->sizes[pick_i], twin, name, n_twins,
                n_auto);
    } else if (n_auto > 0) {
        fprintf(f,
                "%s  auto pick/best-forced: no forced series runs what auto "
                "picked\n",
                prefix);
    }
}

/* Prints the crossover sizes and the auto ratios of one sweep. */
static void print_summary(FILE *f, const char *prefix, const struct sweep *s)
{
    size_t serial = s->n_series;
    size_t j;
    size_t i;

    for (j = 0; j < s->n_series; j++) {
        if (s->series[j].dev == DEV_SERIAL)
            serial = j;
    }
    fprintf(f, "%scrossover %s%s%s (sizes %zu..%zu):\n", prefix, s->kernel,
            s->algo ? " algo=" : "", s->algo ? s->algo : "", s->sizes[0],
            s->sizes[s->n_sizes - 1]);
    for (j = 0; j < s->n_series; j++) {
        char name[32];
        size_t from = s->n_sizes;
        size_t avail = 0;
        const struct result *last;
        const struct result *last_serial;

        if (j == serial)
            continue;
        series_name(&s->series[j], name, sizeof(name));
        for (i = 0; i < s->n_sizes; i++)
            avail += res_at(s, i, j)->ok;
        if (avail == 0) {
            fprintf(f, "%s  %-13s unavailable\n", prefix, name);
            continue;
        }
        if (serial == s->n_series) {
            fprintf(f, "%s  %-13s (no serial series to compare with)\n", prefix,
                    name);
            continue;
        }
        for (i = s->n_sizes; i-- > 0;) {
            const struct result *a = res_at(s, i, j);
            const struct result *b = res_at(s, i, serial);

            if (!a->ok || !b->ok || !(a->median_s < b->median_s))
                break;
            from = i;
        }
        last = res_at(s, s->n_sizes - 1, j);
        last_serial = res_at(s, s->n_sizes - 1, serial);
        if (from == s->n_sizes)
            fprintf(f, "%s  %-13s never beats serial", prefix, name);
        else
            fprintf(f, "%s  %-13s beats serial from size %zu on", prefix, name,
                    s->sizes[from]);
        if (last->ok && last_serial->ok)
            fprintf(f, " (speedup %.2fx at %zu)",
                    last_serial->median_s / last->median_s,
                    s->sizes[s->n_sizes - 1]);
        fprintf(f, "\n");
    }
    for (j = 0; j < s->n_series; j++) {
        if (s->series[j].dev == DEV_AUTO)
            print_auto_ratios(f, prefix, s, j);
    }
}

/* ---- one sweep ---- */

static int run_sweep(const struct sweep_opts *o, FILE *csv, bool header,
                     FILE *summary, const char *summary_prefix)
{
    struct hetero_context_opts copts = { 0 };
    hetero_context *ctx = NULL;
    const hetero_kernel *k;
    struct sweep *s;
    size_t threads[MAX_THREAD_COUNTS];
    size_t n_threads;
    size_t tmpl[HETERO_MAX_NDIM];
    const char *size_param = o->size_param;
    int ndim = 0;
    size_t i;
    size_t j;
    int rc = EXIT_RUNTIME;
    int ret;

    k = hetero_kernel_find(o->kernel);
    if (!k)
        cli_usage_error(PROG, "unknown kernel '%s' (see hetero-run --list)", o->kernel);
    s = calloc(1, sizeof(*s));
    if (!s) {
        note("out of memory");
        return EXIT_RUNTIME;
    }
    s->kernel = o->kernel;
    s->algo = o->algo;
    for (i = 0; !s->algo && i < o->n_params; i++) {
        if (strcmp(o->params[i].name, "algo") == 0)
            s->algo = o->params[i].value;
    }
    s->n_sizes = parse_sweep(o->sweep, s->sizes);
    if (o->quick)
        s->n_sizes = quick_sizes(s->sizes, s->n_sizes);
    n_threads = parse_threads(o->threads, threads);
    s->n_series =
        make_series(o->devices, threads, n_threads, o->kernel, s->series);
    if (hetero_kernel_n_inputs(k) == 0 && !size_param)
        size_param = "samples";
    if (hetero_kernel_n_inputs(k)) {
        enum hetero_dtype dt = hetero_dtype_from_name(o->dtype);
        const char *text = o->shape ? o->shape : hetero_kernel_default_shape(k);

        if (dt == HETERO_DTYPE_NONE)
            cli_usage_error(PROG, "--dtype '%s': unknown", o->dtype);
        if (hetero_shape_parse(text, &ndim, tmpl))
            cli_usage_error(PROG, "--shape '%s': %s", text, hetero_context_errmsg(NULL));
    }
    s->res = calloc(s->n_sizes * s->n_series, sizeof(*s->res));
    if (!s->res) {
        note("out of memory");
        goto out_free;
    }

    if (header)
        fputs(CSV_HEADER, csv);
    copts.num_threads = threads[n_threads - 1];
    ret = hetero_context_create(&copts, &ctx);
    if (ret) {
        note("cannot create the context: %s: %s", hetero_strerror(ret),
             hetero_context_errmsg(NULL));
        goto out_free;
    }
    for (i = 0; i < s->n_sizes; i++) {
        struct point p;

        ret = point_make(ctx, k, o, size_param, ndim, tmpl, s->sizes[i], &p);
        if (ret) {
            note("%s size %zu: cannot prepare the call: %s: %s", o->kernel,
                 s->sizes[i], hetero_strerror(ret), hetero_context_errmsg(ctx));
            if (ret == HETERO_EINVAL && i == 0) {
                rc = EXIT_USAGE;
                goto out_destroy_ctx;
            }
            continue;
        }
        measure_point(ctx, k, o, s, i, &p);
        for (j = 0; j < s->n_series; j++)
            csv_row(csv, s, &s->series[j], s->sizes[i], res_at(s, i, j));
        point_free(&p);
    }
    progress_done();
    print_summary(summary, summary_prefix, s);
    rc = 0;
out_destroy_ctx:
    hetero_context_destroy(ctx);
out_free:
    free(s->res);
    free(s);
    return rc;
}

/* ---- suites ---- */

static int run_suites(const char *name, const char *out_dir,
                      const struct sweep_opts *base)
{
    size_t i;
    int found = 0;
    int rc = 0;

    for (i = 0; i < HETERO_ARRAY_SIZE(suites); i++) {
        const struct suite *su = &suites[i];
        struct sweep_opts o = *base;
        bool first = i == 0 || strcmp(suites[i - 1].name, su->name) != 0;
        char path[4096];
        FILE *csv;
        int ret;

        if (strcmp(name, "all") != 0 && strcmp(name, su->name) != 0)
            continue;
        found = 1;
        if (!hetero_kernel_find(su->kernel)) {
            note("suite %s: kernel %s is not built, skipped", su->name,
                 su->kernel);
            continue;
        }
        o.kernel = su->kernel;
        o.shape = su->shape;
        o.sweep = base->quick ? su->quick_sweep : su->sweep;
        o.algo = su->algo;
        o.dtype = su->dtype;
        o.threads = su->threads;
        o.devices = su->devices;
        o.quick = false;
        snprintf(path, sizeof(path), "%s/%s.csv", out_dir, su->name);
        csv = fopen(path, first ? "w" : "a");
        if (!csv) {
            note("cannot open %s: %s", path, strerror(errno));
            return EXIT_RUNTIME;
        }
        ret = run_sweep(&o, csv, first, stdout, "");
        if (fclose(csv) != 0 && ret == 0)
            ret = EXIT_RUNTIME;
        if (ret)
            rc = ret;
        fflush(stdout);
    }
    if (!found)
        cli_usage_error(PROG, "unknown suite '%s' (see --help)", name);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "kernel", required_argument, NULL, 'k' },
        { "sweep", required_argument, NULL, 's' },
        { "devices", required_argument, NULL, 'd' },
        { "threads", required_argument, NULL, 'j' },
        { "repeat", required_argument, NULL, 'r' },
        { "max-time", required_argument, NULL, 'M' },
        { "target-time", required_argument, NULL, 'T' },
        { "max-repeat", required_argument, NULL, 'R' },
        { "csv", required_argument, NULL, 'o' },
        { "param", required_argument, NULL, 'p' },
        { "algo", required_argument, NULL, 'a' },
        { "shape", required_argument, NULL, 'S' },
        { "dtype", required_argument, NULL, 't' },
        { "size-param", required_argument, NULL, 'P' },
        { "seed", required_argument, NULL, 'e' },
        { "quick", no_argument, NULL, 'q' },
        { "suite", required_argument, NULL, 'u' },
        { "out-dir", required_argument, NULL, 'O' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct hetero_param params[MAX_PARAMS];
    struct sweep_opts o = { 0 };
    char default_threads[32];
    const char *csv_path = NULL;
    const char *suite = NULL;
    const char *out_dir = ".";
    bool repeat_given = false;
    bool target_given = false;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    FILE *csv = stdout;
    int c;
    int rc;

    snprintf(default_threads, sizeof(default_threads), "1,%ld",
             ncpu > 0 ? ncpu : 1);
    o.devices = "serial,cpu,gpu,auto";
    o.threads = default_threads;
    o.dtype = "f64";
    o.repeat = 7;
    o.max_repeat = 41;
    o.target_time = 0.25;
    o.seed = 42;
    o.params = params;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":k:s:d:j:r:o:p:a:t:h", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'k':
            o.kernel = optarg;
            break;
        case 's':
            o.sweep = optarg;
            break;
        case 'd':
            o.devices = optarg;
            break;
        case 'j':
            o.threads = optarg;
            break;
        case 'r':
            o.repeat = (long)parse_size("--repeat", optarg);
            if (o.repeat > 100000)
                cli_usage_error(PROG, "--repeat: at most 100000");
            repeat_given = true;
            break;
        case 'M':
            o.max_time = parse_seconds("--max-time", optarg);
            break;
        case 'T':
            o.target_time = parse_seconds("--target-time", optarg);
            target_given = true;
            break;
        case 'R':
            o.max_repeat = (long)parse_size("--max-repeat", optarg);
            if (o.max_repeat > 100000)
                cli_usage_error(PROG, "--max-repeat: at most 100000");
            break;
        case 'o':
            csv_path = optarg;
            break;
        case 'p': {
            char *eq = strchr(optarg, '=');

            if (!eq || eq == optarg || !eq[1])
                cli_usage_error(PROG, "--param '%s': expected NAME=VALUE", optarg);
            if (o.n_params == MAX_PARAMS)
                cli_usage_error(PROG, "too many --param options");
            *eq = '\0';
            params[o.n_params].name = optarg;
            params[o.n_params].value = eq + 1;
            o.n_params++;
            break;
        }
        case 'a':
            o.algo = optarg;
            break;
        case 'S':
            o.shape = optarg;
            break;
        case 't':
            o.dtype = optarg;
            break;
        case 'P':
            o.size_param = optarg;
            break;
        case 'e':
            o.seed = (uint64_t)parse_size("--seed", optarg);
            break;
        case 'q':
            o.quick = true;
            break;
        case 'u':
            suite = optarg;
            break;
        case 'O':
            out_dir = optarg;
            break;
        case 'h':
            print_help();
            return 0;
        case ':':
            cli_usage_error(PROG, "option '%s' needs a value", argv[optind - 1]);
        default:
            cli_usage_error(PROG, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        cli_usage_error(PROG, "unexpected argument '%s'", argv[optind]);
    if (o.quick && !repeat_given)
        o.repeat = 3;
    if (o.quick && !target_given)
        o.target_time = 0;
    progress_on = isatty(STDERR_FILENO) != 0;
    if (suite) {
        if (o.kernel || o.sweep || csv_path)
            cli_usage_error(PROG, "--suite excludes --kernel, --sweep and --csv");
        return run_suites(suite, out_dir, &o);
    }
    if (!o.kernel || !o.sweep)
        cli_usage_error(PROG, "--kernel and --sweep are required (or --suite)");
    if (csv_path) {
        csv = fopen(csv_path, "w");
        if (!csv) {
            note("cannot open %s: %s", csv_path, strerror(errno));
            return EXIT_RUNTIME;
        }
    }
    rc = run_sweep(&o, csv, true, csv_path ? stdout : stderr,
                   csv_path ? "" : "# ");
    if (csv_path && fclose(csv) != 0 && rc == 0) {
        note("cannot write %s: %s", csv_path, strerror(errno));
        rc = EXIT_RUNTIME;
    }
    return rc;
}
