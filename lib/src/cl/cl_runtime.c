/*
 * cl_runtime.c - OpenCL discovery, device selection and the per-context
 * runtime state.
 *
 * DESIGN: the state hangs off the context's HETERO__EXT_CL slot and is
 * created on the first OpenCL use (a CPU-only run never loads the ICD).
 * Creating it discovers every device of every platform once: the listing
 * (hetero_device_count/info) reads that table without opening anything.
 * The device itself (cl_context + an in-order queue with profiling) is
 * opened by the first hetero__cl_device_get(); a failure to *find* a
 * device (no platform, bad HETERO_CL_DEVICE) is sticky for the context,
 * with its message kept here and re-recorded on each later call, while a
 * failing OpenCL call (out of memory) is tried again next time. The state
 * owns the cl_context, the queue and the built programs, all released when
 * the context is destroyed.
 */
#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hetero/device.h>

#include "cl/cl_private.h"

/* ---- discovery ---- */

/* Copies a string property (truncated to n - 1 bytes); "" if unknown. */
static void dev_str(cl_device_id id, cl_device_info what, char *buf,
                    size_t n)
{
    size_t len = 0;
    char *tmp;
    cl_int err;

    buf[0] = '\0';
    err = clGetDeviceInfo(id, what, 0, NULL, &len);
    if (err != CL_SUCCESS || len == 0)
        return;
    if (len <= n) {
        err = clGetDeviceInfo(id, what, n, buf, NULL);
        if (err != CL_SUCCESS)
            buf[0] = '\0';
        buf[n - 1] = '\0';
        return;
    }
    tmp = hetero__malloc(len);
    if (!tmp)
        return;
    err = clGetDeviceInfo(id, what, len, tmp, NULL);
    if (err == CL_SUCCESS) {
        memcpy(buf, tmp, n - 1);
        buf[n - 1] = '\0';
    }
    hetero__free(tmp);
}

static void plat_str(cl_platform_id id, cl_platform_info what, char *buf,
                     size_t n)
{
    size_t len = 0;
    char *tmp;
    cl_int err;

    buf[0] = '\0';
    err = clGetPlatformInfo(id, what, 0, NULL, &len);
    if (err != CL_SUCCESS || len == 0)
        return;
    tmp = hetero__malloc(len);
    if (!tmp)
        return;
    err = clGetPlatformInfo(id, what, len, tmp, NULL);
    if (err == CL_SUCCESS)
        snprintf(buf, n, "%s", tmp);
    hetero__free(tmp);
}

/* Fixed-size property, zeroed if the query fails. */
static void dev_val(cl_device_id id, cl_device_info what, void *out,
                    size_t size)
{
    if (clGetDeviceInfo(id, what, size, out, NULL) != CL_SUCCESS)
        memset(out, 0, size);
}

static void query_device(struct hetero__cl_devinfo *d)
{
    cl_uint u = 0;
    cl_ulong ul = 0;
    cl_bool b = CL_FALSE;
    cl_bool comp = CL_FALSE;
    cl_device_fp_config fp = 0;
    size_t items[3] = { 0, 0, 0 };
    size_t dims_bytes = 0;

    dev_str(d->id, CL_DEVICE_NAME, d->name, sizeof(d->name));
    dev_str(d->id, CL_DEVICE_VENDOR, d->vendor, sizeof(d->vendor));
    dev_str(d->id, CL_DRIVER_VERSION, d->driver_version,
            sizeof(d->driver_version));
    dev_str(d->id, CL_DEVICE_VERSION, d->version, sizeof(d->version));
    snprintf(d->ident, sizeof(d->ident), "%s|%s", d->name,
             d->driver_version);
    dev_val(d->id, CL_DEVICE_TYPE, &d->type, sizeof(d->type));
    dev_val(d->id, CL_DEVICE_MAX_COMPUTE_UNITS, &u, sizeof(u));
    d->compute_units = u;
    dev_val(d->id, CL_DEVICE_GLOBAL_MEM_SIZE, &ul, sizeof(ul));
    d->global_mem = ul;
    dev_val(d->id, CL_DEVICE_LOCAL_MEM_SIZE, &ul, sizeof(ul));
    d->local_mem = ul;
    dev_val(d->id, CL_DEVICE_MAX_MEM_ALLOC_SIZE, &ul, sizeof(ul));
    d->max_alloc = ul;
    dev_val(d->id, CL_DEVICE_MAX_WORK_GROUP_SIZE, &d->max_wg,
            sizeof(d->max_wg));
    /* Never more than 3 dimensions are read (the array is 3 long). */
    if (clGetDeviceInfo(d->id, CL_DEVICE_MAX_WORK_ITEM_SIZES, 0, NULL,
                        &dims_bytes) == CL_SUCCESS &&
        dims_bytes <= sizeof(items))
        dev_val(d->id, CL_DEVICE_MAX_WORK_ITEM_SIZES, items, dims_bytes);
    d->max_item0 = items[0] ? items[0] : d->max_wg;
    dev_val(d->id, CL_DEVICE_DOUBLE_FP_CONFIG, &fp, sizeof(fp));
    d->fp64 = fp != 0;
    dev_val(d->id, CL_DEVICE_HOST_UNIFIED_MEMORY, &b, sizeof(b));
    d->unified = b == CL_TRUE;
    dev_val(d->id, CL_DEVICE_AVAILABLE, &b, sizeof(b));
    dev_val(d->id, CL_DEVICE_COMPILER_AVAILABLE, &comp, sizeof(comp));
    d->available = b == CL_TRUE && comp == CL_TRUE;
}

/* Appends the devices of platform `pi`. Errors: HETERO_ENOMEM only; a
 * platform whose devices cannot be listed contributes none. */
static int discover_platform(struct hetero__cl_state *st, cl_platform_id p,
                             unsigned pi)
{
    struct hetero__cl_devinfo *grown;
    cl_device_id *ids;
    cl_uint nd = 0;
    cl_uint i;
    cl_int err;
    size_t total;

    err = clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, NULL, &nd);
    if (err != CL_SUCCESS || nd == 0)
        return 0;
    ids = hetero__calloc(nd, sizeof(*ids));
    if (!ids)
        return HETERO_ENOMEM;
    err = clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, nd, ids, &nd);
    if (err != CL_SUCCESS) {
        hetero__free(ids);
        return 0;
    }
    total = st->n_devs + nd;
    grown = hetero__realloc(st->devs, total * sizeof(*grown));
    if (!grown) {
        hetero__free(ids);
        return HETERO_ENOMEM;
    }
    st->devs = grown;
    for (i = 0; i < nd; i++) {
        struct hetero__cl_devinfo *d = &st->devs[st->n_devs++];

        memset(d, 0, sizeof(*d));
        d->platform = p;
        d->id = ids[i];
        d->platform_index = pi;
        d->device_index = i;
        plat_str(p, CL_PLATFORM_NAME, d->platform_name,
                 sizeof(d->platform_name));
        plat_str(p, CL_PLATFORM_VERSION, d->platform_version,
                 sizeof(d->platform_version));
        query_device(d);
    }
    hetero__free(ids);
    return 0;
}

static int discover(struct hetero__cl_state *st)
{
    cl_platform_id *plats;
    cl_uint np = 0;
    cl_uint i;
    cl_int err;
    int ret = 0;

    err = clGetPlatformIDs(0, NULL, &np);
    if (err != CL_SUCCESS || np == 0) {
        snprintf(st->discover_note, sizeof(st->discover_note),
                 "no OpenCL platform found (clGetPlatformIDs: %s)",
                 err != CL_SUCCESS ? hetero__cl_err_name(err)
                                   : "0 platforms");
        return 0;
    }
    plats = hetero__calloc(np, sizeof(*plats));
    if (!plats)
        return HETERO_ENOMEM;
    err = clGetPlatformIDs(np, plats, &np);
    if (err != CL_SUCCESS) {
        snprintf(st->discover_note, sizeof(st->discover_note),
                 "clGetPlatformIDs failed: %s", hetero__cl_err_name(err));
        goto out_free;
    }
    for (i = 0; i < np && ret == 0; i++)
        ret = discover_platform(st, plats[i], i);
    if (ret == 0 && st->n_devs == 0)
        snprintf(st->discover_note, sizeof(st->discover_note),
                 "%u OpenCL platform(s) but no device", (unsigned)np);
out_free:
    hetero__free(plats);
    return ret;
}

/* ---- the state ---- */

static void state_destroy(void *p)
{
    struct hetero__cl_state *st = p;

    hetero__cl_programs_release(st);
    if (st->dev.queue)
        clReleaseCommandQueue(st->dev.queue);
    if (st->dev.context)
        clReleaseContext(st->dev.context);
    pthread_mutex_destroy(&st->fault_lock);
    pthread_mutex_destroy(&st->build_lock);
    pthread_mutex_destroy(&st->lock);
    hetero__free(st->devs);
    hetero__free(st);
}

static int state_create(hetero_context *ctx, void **out)
{
    struct hetero__cl_state *st;
    int ret;

    st = hetero__calloc(1, sizeof(*st));
    if (!st)
        return hetero__errf(ctx, HETERO_ENOMEM, "OpenCL: out of memory");
    st->ctx = ctx;
    st->dev.st = st;
    ret = -pthread_mutex_init(&st->lock, NULL);
    if (ret)
        goto out_free;
    ret = -pthread_mutex_init(&st->build_lock, NULL);
    if (ret)
        goto out_destroy_lock;
    ret = -pthread_mutex_init(&st->fault_lock, NULL);
    if (ret)
        goto out_destroy_build_lock;
    ret = discover(st);
    if (ret)
        goto out_destroy_fault_lock;
    *out = st;
    return 0;

out_destroy_fault_lock:
    pthread_mutex_destroy(&st->fault_lock);
out_destroy_build_lock:
    pthread_mutex_destroy(&st->build_lock);
out_destroy_lock:
    pthread_mutex_destroy(&st->lock);
out_free:
    hetero__free(st->devs);
    hetero__free(st);
    return hetero__errf(ctx, ret, "OpenCL: cannot create the runtime: %s",
                        hetero_strerror(ret));
}

static int state_get(hetero_context *ctx, struct hetero__cl_state **out)
{
    void *p = NULL;
    int ret;

    ret = hetero__ctx_ext(ctx, HETERO__EXT_CL, state_create, state_destroy,
                          false, &p);
    if (ret)
        return ret;
    *out = p;
    return 0;
}

/* ---- selection ---- */

static bool contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; *hay; hay++) {
        size_t i;

        for (i = 0; i < n; i++) {
            if (!hay[i] || tolower((unsigned char)hay[i]) !=
                               tolower((unsigned char)needle[i]))
                break;
        }
        if (i == n)
            return true;
    }
    return n == 0;
}

/* "0:0 "name", 0:1 "name"" into buf, for error messages. */
static void list_devices(const struct hetero__cl_state *st, char *buf,
                         size_t n)
{
    size_t used = 0;
    size_t i;

    buf[0] = '\0';
    for (i = 0; i < st->n_devs && used + 1 < n; i++) {
        int w = snprintf(buf + used, n - used, "%s%u:%u \"%s\"",
                         i ? ", " : "", st->devs[i].platform_index,
                         st->devs[i].device_index, st->devs[i].name);

        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* Parses "P:D" strictly: digits, one colon, digits. */
static bool parse_index(const char *s, unsigned long *p, unsigned long *d)
{
    char *end;

    if (!isdigit((unsigned char)s[0]))
        return false;
    *p = strtoul(s, &end, 10);
    if (*end != ':' || !isdigit((unsigned char)end[1]))
        return false;
    *d = strtoul(end + 1, &end, 10);
    return *end == '\0';
}

static bool only_index_chars(const char *s)
{
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s) && *s != ':')
            return false;
    }
    return true;
}

/*
 * Picks the device for `spec` (HETERO_CL_DEVICE, may be NULL): the index
 * into st->devs, or HETERO_ENODEV / HETERO_EINVAL with the reason in msg.
 */
static int select_device(const struct hetero__cl_state *st, const char *spec,
                         size_t *idx, char *msg, size_t msz)
{
    static const cl_device_type order[] = { CL_DEVICE_TYPE_GPU,
                                            CL_DEVICE_TYPE_ACCELERATOR,
                                            CL_DEVICE_TYPE_CPU };
    char have[512];
    size_t t;
    size_t i;

    if (st->n_devs == 0) {
        snprintf(msg, msz, "no OpenCL device: %s", st->discover_note);
        return HETERO_ENODEV;
    }
    list_devices(st, have, sizeof(have));
    if (spec && spec[0]) {
        unsigned long p;
        unsigned long d;
        bool by_index = only_index_chars(spec);

        if (by_index && !parse_index(spec, &p, &d)) {
            snprintf(msg, msz,
                     "HETERO_CL_DEVICE='%s' is malformed: expected P:D "
                     "(platform and device index, e.g. 0:0) or part of a "
                     "device name",
                     spec);
            return HETERO_EINVAL;
        }
        if (!by_index && strlen(spec) < 2) {
            snprintf(msg, msz,
                     "HETERO_CL_DEVICE='%s' is too short to name a device: "
                     "expected P:D (e.g. 0:0) or at least 2 characters of "
                     "a device name",
                     spec);
            return HETERO_EINVAL;
        }
        for (i = 0; i < st->n_devs; i++) {
            const struct hetero__cl_devinfo *dv = &st->devs[i];
            bool match = by_index ? (dv->platform_index == p &&
                                     dv->device_index == d)
                                  : (contains_nocase(dv->name, spec) ||
                                     contains_nocase(dv->platform_name,
                                                     spec));

            if (!match)
                continue;
            if (!dv->available) {
                snprintf(msg, msz,
                         "no OpenCL device: HETERO_CL_DEVICE='%s' names "
                         "%u:%u \"%s\", which is not available",
                         spec, dv->platform_index, dv->device_index,
                         dv->name);
                return HETERO_ENODEV;
            }
            *idx = i;
            return 0;
        }
        snprintf(msg, msz,
                 "no OpenCL device: HETERO_CL_DEVICE='%s' %s (devices: %s)",
                 spec,
                 by_index ? "is out of range" : "matches no device name",
                 have);
        return HETERO_ENODEV;
    }
    for (t = 0; t < HETERO_ARRAY_SIZE(order); t++) {
        for (i = 0; i < st->n_devs; i++) {
            if ((st->devs[i].type & order[t]) && st->devs[i].available) {
                *idx = i;
                return 0;
            }
        }
    }
    snprintf(msg, msz,
             "no OpenCL device: no available GPU, accelerator or CPU "
             "device (devices: %s)",
             have);
    return HETERO_ENODEV;
}

/* Opens st->devs[idx]: context and queue. Called under st->lock, so it
 * only reports the failing call (*call) and its code. */
static cl_int open_device(struct hetero__cl_state *st, size_t idx,
                          const char **call)
{
    const struct hetero__cl_devinfo *dv = &st->devs[idx];
    cl_context_properties props[3];
    cl_context context;
    cl_command_queue queue;
    cl_int err;

    props[0] = CL_CONTEXT_PLATFORM;
    props[1] = (cl_context_properties)dv->platform;
    props[2] = 0;
    context = clCreateContext(props, 1, &dv->id, NULL, NULL, &err);
    if (err != CL_SUCCESS) {
        *call = "clCreateContext";
        return err;
    }
    queue = clCreateCommandQueue(context, dv->id, CL_QUEUE_PROFILING_ENABLE,
                                 &err);
    if (err != CL_SUCCESS) {
        *call = "clCreateCommandQueue";
        clReleaseContext(context);
        return err;
    }
    st->dev.info = dv;
    st->dev.context = context;
    st->dev.queue = queue;
    atomic_init(&st->dev.test_flags, 0);
    st->opened = true;
    return CL_SUCCESS;
}

int hetero__cl_device_get(hetero_context *ctx, struct hetero__cl_device **out)
{
    struct hetero__cl_state *st;
    const char *call = NULL;
    cl_int err = CL_SUCCESS;
    char msg[1024];
    size_t idx = 0;
    int ret;

    assert(ctx && out);
    ret = state_get(ctx, &st);
    if (ret)
        return ret;
    pthread_mutex_lock(&st->lock);
    if (!st->opened && !st->open_err) {
        ret = select_device(st, getenv("HETERO_CL_DEVICE"), &idx,
                            st->open_msg, sizeof(st->open_msg));
        if (ret)
            st->open_err = ret;
        else
            err = open_device(st, idx, &call);
    }
    ret = st->opened ? 0 : st->open_err;
    if (ret)
        memcpy(msg, st->open_msg, sizeof(msg));
    pthread_mutex_unlock(&st->lock);
    if (err != CL_SUCCESS)
        return hetero__cl_fail(ctx, err, call);
    if (ret)
        return hetero__errf(ctx, ret, "%s", msg);
    *out = &st->dev;
    return 0;
}

const char *hetero__cl_device_name(const struct hetero__cl_device *dev)
{
    return dev->info->name;
}

const char *hetero__cl_device_id(const struct hetero__cl_device *dev)
{
    return dev->info->ident;
}

bool hetero__cl_device_has_fp64(const struct hetero__cl_device *dev)
{
    return dev->info->fp64 &&
           !(atomic_load(&dev->test_flags) & HETERO__CL_TEST_NO_FP64);
}

bool hetero__cl_device_unified(const struct hetero__cl_device *dev)
{
    return dev->info->unified &&
           !(atomic_load(&dev->test_flags) & HETERO__CL_TEST_DISCRETE);
}

uint64_t hetero__cl_device_max_alloc(const struct hetero__cl_device *dev)
{
    return dev->info->max_alloc ? dev->info->max_alloc : UINT64_MAX;
}

uint64_t hetero__cl_device_local_mem(const struct hetero__cl_device *dev)
{
    return dev->info->local_mem;
}

cl_context hetero__cl_device_context(const struct hetero__cl_device *dev)
{
    return dev->context;
}

cl_command_queue hetero__cl_device_queue(const struct hetero__cl_device *dev)
{
    return dev->queue;
}

void hetero__cl_device_test_flags(struct hetero__cl_device *dev,
                                  unsigned flags)
{
    atomic_store(&dev->test_flags, flags);
}

/* ---- listing ---- */

int hetero__cl_list_count(hetero_context *ctx, size_t *n)
{
    struct hetero__cl_state *st;
    int ret;

    ret = state_get(ctx, &st);
    if (ret)
        return ret;
    *n = st->n_devs;
    return 0;
}

static const char *type_name(cl_device_type t)
{
    if (t & CL_DEVICE_TYPE_GPU)
        return "gpu";
    if (t & CL_DEVICE_TYPE_ACCELERATOR)
        return "accelerator";
    if (t & CL_DEVICE_TYPE_CPU)
        return "cpu";
    return "other";
}

int hetero__cl_list_info(hetero_context *ctx, size_t i,
                         struct hetero_device_info *out)
{
    const struct hetero__cl_devinfo *d;
    struct hetero__cl_state *st;
    const struct hetero__cl_devinfo *opened = NULL;
    char msg[1024];
    size_t sel = (size_t)-1;
    int ret;

    ret = state_get(ctx, &st);
    if (ret)
        return ret;
    if (i >= st->n_devs)
        return hetero__errf(ctx, HETERO_ENODEV,
                            "device_info: device %zu out of range (%zu "
                            "OpenCL device(s))",
                            i, st->n_devs);
    pthread_mutex_lock(&st->lock);
    if (st->opened)
        opened = st->dev.info;
    pthread_mutex_unlock(&st->lock);
    if (opened)
        sel = (size_t)(opened - st->devs);
    else if (select_device(st, getenv("HETERO_CL_DEVICE"), &sel, msg,
                           sizeof(msg)) != 0)
        sel = (size_t)-1;

    d = &st->devs[i];
    memset(out, 0, sizeof(*out));
    out->platform = d->platform_index;
    out->device = d->device_index;
    snprintf(out->platform_name, sizeof(out->platform_name), "%s",
             d->platform_name);
    snprintf(out->name, sizeof(out->name), "%s", d->name);
    snprintf(out->vendor, sizeof(out->vendor), "%s", d->vendor);
    snprintf(out->driver_version, sizeof(out->driver_version), "%s",
             d->driver_version);
    snprintf(out->version, sizeof(out->version), "%s", d->version);
    out->type = type_name(d->type);
    out->compute_units = d->compute_units;
    out->global_mem = d->global_mem;
    out->local_mem = d->local_mem;
    out->max_alloc = d->max_alloc;
    out->max_work_group_size = d->max_wg;
    out->fp64 = d->fp64;
    out->unified_memory = d->unified;
    out->available = d->available;
    out->selected = sel == i;
    return 0;
}

/* ---- counters and fault injection ---- */

void hetero__cl_stats(hetero_context *ctx, struct hetero__cl_stats *out)
{
    struct hetero__cl_state *st = hetero__ctx_ext_peek(ctx, HETERO__EXT_CL);

    memset(out, 0, sizeof(*out));
    if (!st)
        return;
    out->builds_source = atomic_load(&st->builds_source);
    out->builds_binary = atomic_load(&st->builds_binary);
    out->cache_rejects = atomic_load(&st->cache_rejects);
    out->host_to_dev = atomic_load(&st->host_to_dev);
    out->dev_to_host = atomic_load(&st->dev_to_host);
    out->mirror_hits = atomic_load(&st->mirror_hits);
}

/* Parses "build|alloc|enqueue[:N]"; false if malformed. */
static bool parse_fault(const char *s, enum hetero__cl_fault *kind,
                        unsigned long *nth)
{
    static const char *const names[HETERO__CL_FAULT_COUNT] = {
        "build", "alloc", "enqueue"
    };
    size_t k;

    for (k = 0; k < HETERO__CL_FAULT_COUNT; k++) {
        size_t n = strlen(names[k]);
        char *end;

        if (strncmp(s, names[k], n) != 0)
            continue;
        *kind = (enum hetero__cl_fault)k;
        if (s[n] == '\0') {
            *nth = 1;
            return true;
        }
        if (s[n] != ':' || !isdigit((unsigned char)s[n + 1]))
            return false;
        *nth = strtoul(s + n + 1, &end, 10);
        return *end == '\0' && *nth > 0;
    }
    return false;
}

bool hetero__cl_fault(struct hetero__cl_device *dev,
                      enum hetero__cl_fault kind)
{
    struct hetero__cl_state *st = dev->st;
    const char *env = getenv("HETERO_CL_FAULT");
    enum hetero__cl_fault want;
    unsigned long nth;
    bool hit = false;

    if (!env)
        env = "";
    if (strlen(env) >= sizeof(st->fault_env))
        return false;
    pthread_mutex_lock(&st->fault_lock);
    if (strcmp(env, st->fault_env) != 0) {
        /* A new setting: count occurrences from now on. */
        strcpy(st->fault_env, env);
        memset(st->fault_seen, 0, sizeof(st->fault_seen));
    }
    if (parse_fault(env, &want, &nth) && want == kind)
        hit = ++st->fault_seen[kind] == nth;
    pthread_mutex_unlock(&st->fault_lock);
    return hit;
}
