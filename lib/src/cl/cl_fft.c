/*
 * cl_fft.c - VkFFT on the context's OpenCL device, and its plan cache.
 *
 * DESIGN: each context owns one cache (extension slot HETERO__EXT_CLFFT,
 * created on the first plan request and destroyed before the OpenCL state
 * it uses): a list of entries, one per key, each holding one VkFFT
 * application (its generated and compiled kernels, twiddle tables and
 * Bluestein buffers) that lives until the context goes away. A miss inserts
 * a placeholder entry, drops the cache lock and creates the application; a
 * second request for the same key meanwhile waits on `ready_cv`. As in
 * lib/src/fft, the list is short and searched linearly.
 *
 * VkFFT fixes, at creation, a pointer to the cl_mem it transforms and reads
 * the handle behind it at every append; the entry holds that cl_mem slot,
 * so a run stores its buffer in the slot and appends under the entry's
 * lock. The lock also keeps one run's kernels contiguous on the context's
 * in-order queue, which VkFFT's own temporary buffer (four-step and
 * Bluestein transforms) requires when two threads run the same plan.
 *
 * VkFFT transforms dimensions of size >= 2 only: a matrix with one row or
 * column is a 1-D transform of the other dimension, and a 1 x 1 matrix is
 * its own transform (forward and inverse alike): no application at all.
 *
 * VkFFT is a header of static functions; this is the one file that
 * includes it. Two of its habits are contained here:
 *   - it switches the process locale to "C" with setlocale() while it
 *     generates code and restores the saved name afterwards, but glibc
 *     frees that name on the switch. So creation runs under `init_lock`
 *     (setlocale is not thread-safe, across contexts too) with the locale
 *     already "C", and the caller's locale is restored from a copy;
 *   - it prints the build log to stdout if the driver fails to compile its
 *     kernels (never otherwise); that is the one output this library cannot
 *     suppress.
 * Its allocations use malloc(), not hetero__malloc(); all of them are
 * released by deleteVkFFT(), which is idempotent and called on every error
 * path and at context destroy.
 *
 * Lock order: init_lock is taken with no other lock held; cache->lock is
 * never held while creating an application or appending; an entry's lock
 * only around one append.
 */
#include <assert.h>
#include <locale.h>
#include <string.h>

#include "cl/cl_fft.h"
#include "cl/cl_private.h"

/* The one translation unit with VkFFT; its warnings are not ours. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wunused-variable"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <vkFFT.h>
#pragma GCC diagnostic pop

/*
 * The second mutable global of the library (after lib/src/fft's planner
 * lock), and why: VkFFT changes the process-wide locale while it creates an
 * application, and setlocale() is not thread-safe, so no two creations may
 * overlap, in one context or in two.
 */
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

struct hetero__cl_fft_plan {
    struct hetero__cl_fft_key key;
    struct hetero__cl_fft_plan *next;
    struct clfft_cache *cache;
    bool ready;           /* false while being created */
    bool identity;        /* 1 x 1 matrices: nothing to do */
    bool app_live;        /* app holds VkFFT resources */
    size_t bytes;         /* batch * n * m complex elements */
    pthread_mutex_t lock; /* guards the append state below */
    /* Read by VkFFT through the pointers it keeps in app: */
    cl_platform_id platform;
    cl_device_id device;
    cl_context context;
    cl_command_queue queue;
    cl_mem buf;         /* the buffer of the append in progress */
    uint64_t buf_bytes; /* bufferSize */
    VkFFTApplication app;
};

/* One per context; serves the context's one OpenCL device. */
struct clfft_cache {
    hetero_context *ctx;
    pthread_mutex_t lock;    /* guards entries and stats */
    pthread_cond_t ready_cv; /* lock: an entry became ready or went away */
    struct hetero__cl_fft_plan *entries;
    struct hetero__cl_fft_stats stats;
};

/* ---- VkFFT result codes ---- */

struct vkfft_name {
    int code;
    const char *name;
};

#define VKN(x)                                                                 \
    {                                                                          \
        x, #x                                                                  \
    }
static const struct vkfft_name vkfft_names[] = {
    VKN(VKFFT_SUCCESS),
    VKN(VKFFT_ERROR_MALLOC_FAILED),
    VKN(VKFFT_ERROR_INSUFFICIENT_CODE_BUFFER),
    VKN(VKFFT_ERROR_INSUFFICIENT_TEMP_BUFFER),
    VKN(VKFFT_ERROR_PLAN_NOT_INITIALIZED),
    VKN(VKFFT_ERROR_NULL_TEMP_PASSED),
    VKN(VKFFT_ERROR_INVALID_PHYSICAL_DEVICE),
    VKN(VKFFT_ERROR_INVALID_DEVICE),
    VKN(VKFFT_ERROR_INVALID_QUEUE),
    VKN(VKFFT_ERROR_INVALID_COMMAND_POOL),
    VKN(VKFFT_ERROR_INVALID_FENCE),
    VKN(VKFFT_ERROR_ONLY_FORWARD_FFT_INITIALIZED),
    VKN(VKFFT_ERROR_ONLY_INVERSE_FFT_INITIALIZED),
    VKN(VKFFT_ERROR_INVALID_CONTEXT),
    VKN(VKFFT_ERROR_INVALID_PLATFORM),
    VKN(VKFFT_ERROR_ENABLED_saveApplicationToString),
    VKN(VKFFT_ERROR_EMPTY_FILE),
    VKN(VKFFT_ERROR_EMPTY_FFTdim),
    VKN(VKFFT_ERROR_EMPTY_size),
    VKN(VKFFT_ERROR_EMPTY_bufferSize),
    VKN(VKFFT_ERROR_EMPTY_buffer),
    VKN(VKFFT_ERROR_EMPTY_tempBufferSize),
    VKN(VKFFT_ERROR_EMPTY_tempBuffer),
    VKN(VKFFT_ERROR_EMPTY_inputBufferSize),
    VKN(VKFFT_ERROR_EMPTY_inputBuffer),
    VKN(VKFFT_ERROR_EMPTY_outputBufferSize),
    VKN(VKFFT_ERROR_EMPTY_outputBuffer),
    VKN(VKFFT_ERROR_EMPTY_kernelSize),
    VKN(VKFFT_ERROR_EMPTY_kernel),
    VKN(VKFFT_ERROR_EMPTY_applicationString),
    VKN(VKFFT_ERROR_EMPRY_useCustomBluesteinPaddingPattern_arrays),
    VKN(VKFFT_ERROR_UNSUPPORTED_RADIX),
    VKN(VKFFT_ERROR_UNSUPPORTED_FFT_LENGTH),
    VKN(VKFFT_ERROR_UNSUPPORTED_FFT_LENGTH_R2C),
    VKN(VKFFT_ERROR_UNSUPPORTED_FFT_LENGTH_DCT),
    VKN(VKFFT_ERROR_UNSUPPORTED_FFT_OMIT),
    VKN(VKFFT_ERROR_FAILED_TO_ALLOCATE),
    VKN(VKFFT_ERROR_FAILED_TO_MAP_MEMORY),
    VKN(VKFFT_ERROR_FAILED_TO_ALLOCATE_COMMAND_BUFFERS),
    VKN(VKFFT_ERROR_FAILED_TO_BEGIN_COMMAND_BUFFER),
    VKN(VKFFT_ERROR_FAILED_TO_END_COMMAND_BUFFER),
    VKN(VKFFT_ERROR_FAILED_TO_SUBMIT_QUEUE),
    VKN(VKFFT_ERROR_FAILED_TO_WAIT_FOR_FENCES),
    VKN(VKFFT_ERROR_FAILED_TO_RESET_FENCES),
    VKN(VKFFT_ERROR_FAILED_TO_CREATE_DESCRIPTOR_POOL),
    VKN(VKFFT_ERROR_FAILED_TO_CREATE_DESCRIPTOR_SET_LAYOUT),
    VKN(VKFFT_ERROR_FAILED_TO_ALLOCATE_DESCRIPTOR_SETS),
    VKN(VKFFT_ERROR_FAILED_TO_CREATE_PIPELINE_LAYOUT),
    VKN(VKFFT_ERROR_FAILED_SHADER_PREPROCESS),
    VKN(VKFFT_ERROR_FAILED_SHADER_PARSE),
    VKN(VKFFT_ERROR_FAILED_SHADER_LINK),
    VKN(VKFFT_ERROR_FAILED_SPIRV_GENERATE),
    VKN(VKFFT_ERROR_FAILED_TO_CREATE_SHADER_MODULE),
    VKN(VKFFT_ERROR_FAILED_TO_CREATE_INSTANCE),
    VKN(VKFFT_ERROR_FAILED_TO_SETUP_DEBUG_MESSENGER),
    VKN(VKFFT_ERROR_FAILED_TO_FIND_PHYSICAL_DEVICE),
    VKN(VKFFT_ERROR_FAILED_TO_CREATE_DEVICE),
    VKN(VKFFT_ERROR_FAILED_TO_CREATE_FENCE),
    VKN(VKFFT_ERROR_FAILED_TO_CREATE_COMMAND_POOL),
    VKN(VKFFT_ERROR_FAILED_TO_CREATE_BUFFER),
    VKN(VKFFT_ERROR_FAILED_TO_ALLOCATE_MEMORY),
    VKN(VKFFT_ERROR_FAILED_TO_BIND_BUFFER_MEMORY),
    VKN(VKFFT_ERROR_FAILED_TO_FIND_MEMORY),
    VKN(VKFFT_ERROR_FAILED_TO_SYNCHRONIZE),
    VKN(VKFFT_ERROR_FAILED_TO_COPY),
    VKN(VKFFT_ERROR_FAILED_TO_CREATE_PROGRAM),
    VKN(VKFFT_ERROR_FAILED_TO_COMPILE_PROGRAM),
    VKN(VKFFT_ERROR_FAILED_TO_GET_CODE_SIZE),
    VKN(VKFFT_ERROR_FAILED_TO_GET_CODE),
    VKN(VKFFT_ERROR_FAILED_TO_DESTROY_PROGRAM),
    VKN(VKFFT_ERROR_FAILED_TO_LOAD_MODULE),
    VKN(VKFFT_ERROR_FAILED_TO_GET_FUNCTION),
    VKN(VKFFT_ERROR_FAILED_TO_SET_DYNAMIC_SHARED_MEMORY),
    VKN(VKFFT_ERROR_FAILED_TO_MODULE_GET_GLOBAL),
    VKN(VKFFT_ERROR_FAILED_TO_LAUNCH_KERNEL),
    VKN(VKFFT_ERROR_FAILED_TO_EVENT_RECORD),
    VKN(VKFFT_ERROR_FAILED_TO_ADD_NAME_EXPRESSION),
    VKN(VKFFT_ERROR_FAILED_TO_INITIALIZE),
    VKN(VKFFT_ERROR_FAILED_TO_SET_DEVICE_ID),
    VKN(VKFFT_ERROR_FAILED_TO_GET_DEVICE),
    VKN(VKFFT_ERROR_FAILED_TO_CREATE_CONTEXT),
    VKN(VKFFT_ERROR_FAILED_TO_CREATE_PIPELINE),
    VKN(VKFFT_ERROR_FAILED_TO_SET_KERNEL_ARG),
    VKN(VKFFT_ERROR_FAILED_TO_CREATE_COMMAND_QUEUE),
    VKN(VKFFT_ERROR_FAILED_TO_RELEASE_COMMAND_QUEUE),
    VKN(VKFFT_ERROR_FAILED_TO_ENUMERATE_DEVICES),
    VKN(VKFFT_ERROR_FAILED_TO_GET_ATTRIBUTE),
    VKN(VKFFT_ERROR_FAILED_TO_CREATE_EVENT),
    VKN(VKFFT_ERROR_FAILED_TO_CREATE_COMMAND_LIST),
    VKN(VKFFT_ERROR_FAILED_TO_DESTROY_COMMAND_LIST),
    VKN(VKFFT_ERROR_FAILED_TO_SUBMIT_BARRIER),
};
#undef VKN

const char *hetero__cl_fft_err_name(int code)
{
    size_t i;

    for (i = 0; i < HETERO_ARRAY_SIZE(vkfft_names); i++) {
        if (vkfft_names[i].code == code)
            return vkfft_names[i].name;
    }
    return "VKFFT_ERROR_UNKNOWN";
}

/*
 * Records "VkFFT <call> failed: <name> (<code>)" for key k and returns the
 * library code: HETERO_ENOMEM for VkFFT's out of host memory, HETERO_ECL
 * otherwise (like an OpenCL failure).
 */
static int vkfft_fail(hetero_context *ctx, VkFFTResult r, const char *call,
                      const struct hetero__cl_fft_key *k)
{
    return hetero__errf(
        ctx, r == VKFFT_ERROR_MALLOC_FAILED ? HETERO_ENOMEM : HETERO_ECL,
        "VkFFT %s failed: %s (%d) for %zu x %zu x %zu %s %s", call,
        hetero__cl_fft_err_name((int)r), (int)r, k->batch, k->n, k->m,
        k->f64 ? "complex128" : "complex64",
        k->inverse ? "inverse" : "forward");
}

/* ---- the cache as a context extension ---- */

static void entry_free(struct hetero__cl_fft_plan *p)
{
    if (p->app_live)
        deleteVkFFT(&p->app);
    pthread_mutex_destroy(&p->lock);
    hetero__free(p);
}

static void cache_destroy(void *state)
{
    struct clfft_cache *c = state;
    struct hetero__cl_fft_plan *p;

    while (c->entries) {
        p = c->entries;
        c->entries = p->next;
        entry_free(p);
    }
    pthread_cond_destroy(&c->ready_cv);
    pthread_mutex_destroy(&c->lock);
    hetero__free(c);
}

static int cache_create(hetero_context *ctx, void **state)
{
    struct clfft_cache *c;
    int ret;

    c = hetero__calloc(1, sizeof(*c));
    if (!c)
        return hetero__errf(ctx, HETERO_ENOMEM, "VkFFT: out of memory");
    c->ctx = ctx;
    ret = pthread_mutex_init(&c->lock, NULL);
    if (ret) {
        ret = hetero__errf(ctx, -ret, "VkFFT: pthread_mutex_init failed");
        goto out_free;
    }
    ret = pthread_cond_init(&c->ready_cv, NULL);
    if (ret) {
        ret = hetero__errf(ctx, -ret, "VkFFT: pthread_cond_init failed");
        goto out_destroy_lock;
    }
    *state = c;
    return 0;

out_destroy_lock:
    pthread_mutex_destroy(&c->lock);
out_free:
    hetero__free(c);
    return ret;
}

static int cache_get(const struct hetero_exec *ex, struct clfft_cache **out)
{
    void *state = NULL;
    int ret;

    ret = hetero__ctx_ext(ex->ctx, HETERO__EXT_CLFFT, cache_create,
                          cache_destroy, false, &state);
    if (ret)
        return ret;
    *out = state;
    return 0;
}

static bool key_equal(const struct hetero__cl_fft_key *a,
                      const struct hetero__cl_fft_key *b)
{
    return a->batch == b->batch && a->n == b->n && a->m == b->m &&
           a->f64 == b->f64 && a->inverse == b->inverse;
}

static struct hetero__cl_fft_plan *
find_entry(struct clfft_cache *c, const struct hetero__cl_fft_key *k)
{
    struct hetero__cl_fft_plan *p;

    for (p = c->entries; p; p = p->next) {
        if (key_equal(&p->key, k))
            return p;
    }
    return NULL;
}

/* ---- creating an application ---- */

/*
 * initializeVkFFT with the process locale set to "C" beforehand and
 * restored afterwards (see DESIGN); init_lock held. *saved_ok false: the
 * caller's locale could not be saved (out of memory), nothing was run.
 */
static VkFFTResult init_in_c_locale(VkFFTApplication *app,
                                    const VkFFTConfiguration *cfg,
                                    bool *saved_ok)
{
    const char *cur = setlocale(LC_ALL, NULL);
    char *saved = NULL;
    VkFFTResult r;

    *saved_ok = true;
    if (cur && strcmp(cur, "C") != 0) {
        saved = hetero__strdup(cur);
        if (!saved) {
            *saved_ok = false;
            return VKFFT_ERROR_MALLOC_FAILED;
        }
        setlocale(LC_ALL, "C");
    }
    r = initializeVkFFT(app, *cfg);
    if (saved) {
        setlocale(LC_ALL, saved);
        hetero__free(saved);
    }
    return r;
}

/* Creates p's application for p->key on dev (no lock held). */
static int plan_create(struct clfft_cache *c, struct hetero__cl_device *dev,
                       struct hetero__cl_fft_plan *p, double *seconds)
{
    const struct hetero__cl_fft_key *k = &p->key;
    VkFFTConfiguration cfg = { 0 };
    VkFFTResult r;
    bool saved_ok;
    double t0;

    *seconds = 0.0;
    p->platform = dev->info->platform;
    p->device = dev->info->id;
    p->context = dev->context;
    p->queue = dev->queue;
    p->buf_bytes = p->bytes;
    if (k->n == 1 && k->m == 1) {
        p->identity = true;
        return 0;
    }
    /* VkFFT's axis 0 is the contiguous one; unit axes are dropped. */
    if (k->n == 1 || k->m == 1) {
        cfg.FFTdim = 1;
        cfg.size[0] = k->n == 1 ? k->m : k->n;
    } else {
        cfg.FFTdim = 2;
        cfg.size[0] = k->m;
        cfg.size[1] = k->n;
    }
    cfg.numberBatches = k->batch;
    cfg.doublePrecision = k->f64;
    cfg.normalize = 1; /* the inverse is scaled by 1/(n m) */
    cfg.makeForwardPlanOnly = !k->inverse;
    cfg.makeInversePlanOnly = k->inverse;
    cfg.platform = &p->platform;
    cfg.device = &p->device;
    cfg.context = &p->context;
    cfg.buffer = &p->buf;
    cfg.bufferSize = &p->buf_bytes;

    pthread_mutex_lock(&init_lock);
    t0 = hetero__now();
    r = init_in_c_locale(&p->app, &cfg, &saved_ok);
    *seconds = hetero__now() - t0;
    pthread_mutex_unlock(&init_lock);
    p->app_live = saved_ok;
    /* Tests: an injected build failure of a created application. */
    if (r == VKFFT_SUCCESS && hetero__cl_fault(dev, HETERO__CL_FAULT_BUILD))
        r = VKFFT_ERROR_FAILED_TO_COMPILE_PROGRAM;
    if (r != VKFFT_SUCCESS) {
        if (p->app_live)
            deleteVkFFT(&p->app);
        p->app_live = false;
        return vkfft_fail(c->ctx, r, "initializeVkFFT", k);
    }
    return 0;
}

static int key_check(const struct hetero_exec *ex,
                     const struct hetero__cl_fft_key *k, size_t *bytes)
{
    size_t elems;

    if (k->batch == 0 || k->n == 0 || k->m == 0)
        return hetero__errf(ex->ctx, HETERO_EINVAL,
                            "VkFFT: empty transform (%zu x %zu x %zu)",
                            k->batch, k->n, k->m);
    if (hetero__mul_overflow(k->batch, k->n, &elems) ||
        hetero__mul_overflow(elems, k->m, &elems) ||
        hetero__mul_overflow(elems, k->f64 ? 16 : 8, bytes))
        return hetero__errf(ex->ctx, HETERO_EINVAL,
                            "VkFFT: %zu x %zu x %zu is too large", k->batch,
                            k->n, k->m);
    if (k->f64 && !hetero__cl_device_has_fp64(ex->cl))
        return hetero__errf(ex->ctx, HETERO_EINVAL, "VkFFT: device lacks fp64");
    return 0;
}

int hetero__cl_fft_plan_get(const struct hetero_exec *ex,
                            const struct hetero__cl_fft_key *key,
                            struct hetero__cl_fft_plan **out)
{
    struct hetero__cl_fft_plan *p;
    struct hetero__cl_fft_plan **pp;
    struct clfft_cache *c;
    double seconds = 0.0;
    size_t bytes = 0;
    int ret;

    assert(ex && ex->cl && key && out);
    ret = key_check(ex, key, &bytes);
    if (ret)
        return ret;
    ret = cache_get(ex, &c);
    if (ret)
        return ret;

    pthread_mutex_lock(&c->lock);
    for (;;) {
        p = find_entry(c, key);
        if (!p)
            break;
        if (p->ready) {
            c->stats.hits++;
            pthread_mutex_unlock(&c->lock);
            *out = p;
            return 0;
        }
        /* Another thread is creating this plan: wait for it. */
        pthread_cond_wait(&c->ready_cv, &c->lock);
    }
    p = hetero__calloc(1, sizeof(*p));
    if (!p) {
        pthread_mutex_unlock(&c->lock);
        return hetero__errf(ex->ctx, HETERO_ENOMEM, "VkFFT: out of memory");
    }
    ret = pthread_mutex_init(&p->lock, NULL);
    if (ret) {
        pthread_mutex_unlock(&c->lock);
        hetero__free(p);
        return hetero__errf(ex->ctx, -ret,
                            "VkFFT: pthread_mutex_init "
                            "failed");
    }
    p->key = *key;
    p->cache = c;
    p->bytes = bytes;
    p->next = c->entries;
    c->entries = p;
    pthread_mutex_unlock(&c->lock);

    ret = plan_create(c, ex->cl, p, &seconds);

    pthread_mutex_lock(&c->lock);
    c->stats.init_s += seconds;
    c->stats.last_init_s = seconds;
    if (ret == 0) {
        p->ready = true;
        c->stats.plans++;
        c->stats.misses++;
    } else {
        c->stats.failures++;
        pp = &c->entries;
        while (*pp != p)
            pp = &(*pp)->next;
        *pp = p->next; /* unlink the placeholder */
    }
    pthread_cond_broadcast(&c->ready_cv);
    pthread_mutex_unlock(&c->lock);
    if (ret) {
        entry_free(p);
        return ret;
    }
    *out = p;
    return 0;
}

size_t hetero__cl_fft_bytes(const struct hetero__cl_fft_plan *p)
{
    return p->bytes;
}

int hetero__cl_fft_enqueue(struct hetero__cl_job *job,
                           struct hetero__cl_fft_plan *p, cl_mem buf)
{
    VkFFTLaunchParams lp = { 0 };
    struct clfft_cache *c = p->cache;
    VkFFTResult r;

    assert(job && p && buf && p->ready);
    if (p->identity)
        return 0;
    if (hetero__cl_fault(job->dev, HETERO__CL_FAULT_ENQUEUE))
        return vkfft_fail(job->ex->ctx, VKFFT_ERROR_FAILED_TO_LAUNCH_KERNEL,
                          "VkFFTAppend", &p->key);
    pthread_mutex_lock(&p->lock);
    p->buf = buf;
    lp.commandQueue = &p->queue;
    lp.buffer = &p->buf;
    r = VkFFTAppend(&p->app, p->key.inverse ? 1 : -1, &lp);
    p->buf = NULL;
    pthread_mutex_unlock(&p->lock);
    /* Some of its kernels may be queued even if a later one failed. */
    job->enqueued = true;
    if (r != VKFFT_SUCCESS)
        return vkfft_fail(job->ex->ctx, r, "VkFFTAppend", &p->key);
    pthread_mutex_lock(&c->lock);
    c->stats.runs++;
    pthread_mutex_unlock(&c->lock);
    return 0;
}

void hetero__cl_fft_stats(hetero_context *ctx, struct hetero__cl_fft_stats *out)
{
    struct clfft_cache *c = hetero__ctx_ext_peek(ctx, HETERO__EXT_CLFFT);

    memset(out, 0, sizeof(*out));
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    *out = c->stats;
    pthread_mutex_unlock(&c->lock);
}
