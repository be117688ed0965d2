/*
 * cl_program.c - OpenCL programs: built once per context, cached on disk.
 *
 * DESIGN: a program is identified by (name, build options, source). The
 * first request builds it and keeps it in the context's list until the
 * context goes; no lock is held while it builds (two threads racing for
 * the same program may both build it; the loser's copy is dropped). A
 * build first tries the binary cache, <cache_dir>/cl/<key>.bin, where key
 * = FNV-1a 64 of (cache format, libhetero version, platform version,
 * device name and version, driver version, options, source). A cache file
 * is a 40-byte header - magic "HETCLBIN", format (u32), header size (u32),
 * key (u64), payload length (u64), FNV-1a 64 checksum of the payload
 * (u64), all little-endian - followed by the program binary. Nothing in it
 * is trusted: a short, corrupt or stale entry, or a binary the driver
 * refuses, is counted as a reject and the program is built from source,
 * and the entry rewritten atomically (temporary file + rename). Cache
 * write failures (read-only directory) only cost the next process a build.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cl/cl_private.h"

#define CACHE_MAGIC "HETCLBIN"
#define CACHE_FORMAT 1u
#define CACHE_HEADER 40u
#define CACHE_MAX_PAYLOAD ((uint64_t)1 << 30)

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

/* Prepended to programs built for double. #line keeps the build log's line
 * numbers those of the .cl file. */
static const char fp64_prelude[] =
    "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n#line 1\n";

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= b[i];
        h *= FNV_PRIME;
    }
    return h;
}

/* Hashes a string and its terminating NUL, so fields cannot run together. */
static uint64_t fnv1a_str(uint64_t h, const char *s)
{
    return fnv1a(h, s, strlen(s) + 1);
}

static uint64_t cache_key(const struct hetero__cl_devinfo *d,
                          const char *options, const char *prelude,
                          const char *source)
{
    uint64_t h = FNV_OFFSET;

    h = fnv1a_str(h, "hetero-cl-cache-1");
    h = fnv1a_str(h, hetero_version());
    h = fnv1a_str(h, d->platform_version);
    h = fnv1a_str(h, d->name);
    h = fnv1a_str(h, d->version);
    h = fnv1a_str(h, d->driver_version);
    h = fnv1a_str(h, options);
    h = fnv1a_str(h, prelude);
    return fnv1a_str(h, source);
}

static void put_le(unsigned char *p, uint64_t v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    size_t i;

    for (i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* mkdir -p; 0 or -errno. */
static int mkdir_p(const char *path)
{
    char *tmp = hetero__strdup(path);
    char *p;
    int ret = 0;

    if (!tmp)
        return -ENOMEM;
    for (p = tmp + 1; ret == 0; p++) {
        char c = *p;

        if (c != '/' && c != '\0')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            ret = -errno;
        *p = c;
        if (c == '\0')
            break;
    }
    hetero__free(tmp);
    return ret;
}

static bool read_full(int fd, void *buf, size_t n)
{
    unsigned char *p = buf;

    while (n > 0) {
        ssize_t r = read(fd, p, n);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        p += r;
        n -= (size_t)r;
    }
    return true;
}

static bool write_full(int fd, const void *buf, size_t n)
{
    const unsigned char *p = buf;

    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* <cache_dir>/cl and <cache_dir>/cl/<key>.bin (freed by the caller). */
static int cache_paths(hetero_context *ctx, uint64_t key, char **dir,
                       char **file)
{
    const char *base = hetero_context_cache_dir(ctx);
    size_t n = strlen(base) + 64;

    *dir = hetero__malloc(n);
    *file = hetero__malloc(n);
    if (!*dir || !*file) {
        hetero__free(*dir);
        hetero__free(*file);
        return HETERO_ENOMEM;
    }
    snprintf(*dir, n, "%s/cl", base);
    snprintf(*file, n, "%s/cl/%016llx.bin", base, (unsigned long long)key);
    return 0;
}

/*
 * Reads and verifies a cache entry. NULL with *why NULL: no entry; NULL
 * with *why set: the entry is unusable (why).
 */
static unsigned char *cache_read(const char *path, uint64_t key,
                                 size_t *len, const char **why)
{
    unsigned char hdr[CACHE_HEADER];
    unsigned char *payload = NULL;
    struct stat sb;
    uint64_t plen;
    int fd;

    *why = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            *why = "cannot be opened";
        return NULL;
    }
    if (fstat(fd, &sb) != 0 || !read_full(fd, hdr, sizeof(hdr))) {
        *why = "is truncated";
        goto out_close;
    }
    plen = get_le(hdr + 24, 8);
    if (memcmp(hdr, CACHE_MAGIC, 8) != 0 ||
        get_le(hdr + 8, 4) != CACHE_FORMAT ||
        get_le(hdr + 12, 4) != CACHE_HEADER) {
        *why = "has a bad header";
        goto out_close;
    }
    if (get_le(hdr + 16, 8) != key) {
        *why = "is stale (key mismatch)";
        goto out_close;
    }
    if (plen == 0 || plen > CACHE_MAX_PAYLOAD ||
        (uint64_t)sb.st_size != CACHE_HEADER + plen) {
        *why = "has a wrong length";
        goto out_close;
    }
    payload = hetero__malloc((size_t)plen);
    if (!payload) {
        *why = "cannot be read (out of memory)";
        goto out_close;
    }
    if (!read_full(fd, payload, (size_t)plen)) {
        *why = "is truncated";
        goto out_free;
    }
    if (fnv1a(FNV_OFFSET, payload, (size_t)plen) != get_le(hdr + 32, 8)) {
        *why = "is corrupt (checksum)";
        goto out_free;
    }
    close(fd);
    *len = (size_t)plen;
    return payload;

out_free:
    hetero__free(payload);
out_close:
    close(fd);
    return NULL;
}

/* Loads the cached binary and builds it; NULL if absent or unusable. */
static cl_program load_binary(struct hetero__cl_device *dev, const char *path,
                              uint64_t key, const char *options)
{
    hetero_context *ctx = hetero__cl_ctx(dev);
    const unsigned char *bins[1];
    unsigned char *payload;
    const char *why = NULL;
    cl_program prog;
    cl_int status = CL_SUCCESS;
    cl_int err;
    size_t len = 0;

    payload = cache_read(path, key, &len, &why);
    if (!payload) {
        if (why)
            goto out_reject;
        return NULL;
    }
    bins[0] = payload;
    prog = clCreateProgramWithBinary(dev->context, 1, &dev->info->id, &len,
                                     bins, &status, &err);
    hetero__free(payload);
    if (err != CL_SUCCESS || status != CL_SUCCESS) {
        why = "is refused by the driver";
        if (err == CL_SUCCESS)
            clReleaseProgram(prog);
        goto out_reject;
    }
    err = clBuildProgram(prog, 1, &dev->info->id, options, NULL, NULL);
    if (err != CL_SUCCESS) {
        why = "does not build";
        clReleaseProgram(prog);
        goto out_reject;
    }
    atomic_fetch_add(&dev->st->builds_binary, 1);
    return prog;

out_reject:
    atomic_fetch_add(&dev->st->cache_rejects, 1);
    hetero__logf(ctx, HETERO_LOG_INFO,
                 "OpenCL binary cache: %s %s; building from source", path,
                 why);
    return NULL;
}

/* Writes the program's binary to the cache, atomically; best effort. */
static void cache_write(struct hetero__cl_device *dev, const char *dir,
                        const char *path, uint64_t key, cl_program prog)
{
    hetero_context *ctx = hetero__cl_ctx(dev);
    unsigned char hdr[CACHE_HEADER];
    unsigned char *bins[1];
    unsigned char *payload;
    const char *why = "cannot write";
    size_t size = 0;
    size_t tlen;
    char *tmp;
    cl_int err;
    int fd;

    err = clGetProgramInfo(prog, CL_PROGRAM_BINARY_SIZES, sizeof(size),
                           &size, NULL);
    if (err != CL_SUCCESS || size == 0 || size > CACHE_MAX_PAYLOAD)
        return;
    payload = hetero__malloc(size);
    if (!payload)
        return;
    bins[0] = payload;
    err = clGetProgramInfo(prog, CL_PROGRAM_BINARIES, sizeof(bins), bins,
                           NULL);
    if (err != CL_SUCCESS)
        goto out_free;
    if (mkdir_p(dir) != 0) {
        why = "cannot create the directory for";
        goto out_log;
    }
    tlen = strlen(path) + 16;
    tmp = hetero__malloc(tlen);
    if (!tmp)
        goto out_free;
    snprintf(tmp, tlen, "%s.tmp.XXXXXX", path);
    fd = mkstemp(tmp);
    if (fd < 0)
        goto out_free_tmp;
    memcpy(hdr, CACHE_MAGIC, 8);
    put_le(hdr + 8, CACHE_FORMAT, 4);
    put_le(hdr + 12, CACHE_HEADER, 4);
    put_le(hdr + 16, key, 8);
    put_le(hdr + 24, size, 8);
    put_le(hdr + 32, fnv1a(FNV_OFFSET, payload, size), 8);
    if (!write_full(fd, hdr, sizeof(hdr)) ||
        !write_full(fd, payload, size)) {
        close(fd);
        unlink(tmp);
        goto out_free_tmp;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        goto out_free_tmp;
    }
    hetero__free(tmp);
    hetero__free(payload);
    return;

out_free_tmp:
    hetero__free(tmp);
out_log:
    hetero__logf(ctx, HETERO_LOG_INFO, "OpenCL binary cache: %s %s", why,
                 path);
out_free:
    hetero__free(payload);
}

/* Builds from source; on failure records the build log. */
static int build_source(struct hetero__cl_device *dev, const char *name,
                        const char *prelude, const char *source,
                        const char *options, cl_program *out)
{
    hetero_context *ctx = hetero__cl_ctx(dev);
    const char *texts[2];
    cl_uint n = 0;
    cl_program prog;
    char *log = NULL;
    size_t log_len = 0;
    cl_int err;
    int ret;

    if (prelude[0])
        texts[n++] = prelude;
    texts[n++] = source;
    prog = clCreateProgramWithSource(dev->context, n, texts, NULL, &err);
    if (err != CL_SUCCESS)
        return hetero__cl_fail(ctx, err, "clCreateProgramWithSource");
    err = clBuildProgram(prog, 1, &dev->info->id, options, NULL, NULL);
    if (err == CL_SUCCESS) {
        atomic_fetch_add(&dev->st->builds_source, 1);
        *out = prog;
        return 0;
    }
    if (clGetProgramBuildInfo(prog, dev->info->id, CL_PROGRAM_BUILD_LOG, 0,
                              NULL, &log_len) == CL_SUCCESS &&
        log_len > 0) {
        log = hetero__malloc(log_len + 1);
        if (log && clGetProgramBuildInfo(prog, dev->info->id,
                                         CL_PROGRAM_BUILD_LOG, log_len, log,
                                         NULL) != CL_SUCCESS)
            log[0] = '\0';
        if (log)
            log[log_len] = '\0';
    }
    ret = hetero__errf(ctx, hetero__cl_code(err),
                       "clBuildProgram(%s, \"%s\") on %s failed: %s (%d); "
                       "build log:\n%s",
                       name, options, dev->info->name,
                       hetero__cl_err_name(err), (int)err,
                       log && log[0] ? log : "(empty)");
    if (ret == HETERO_ECL)
        ret = HETERO_EBUILD;
    hetero__free(log);
    clReleaseProgram(prog);
    return ret;
}

static struct hetero__cl_program *find(struct hetero__cl_state *st,
                                       const char *name, const char *options,
                                       uint64_t hash)
{
    struct hetero__cl_program *p;

    for (p = st->programs; p; p = p->next) {
        if (p->source_hash == hash && strcmp(p->name, name) == 0 &&
            strcmp(p->options, options) == 0)
            return p;
    }
    return NULL;
}

static void program_free(struct hetero__cl_program *p)
{
    if (p->program)
        clReleaseProgram(p->program);
    hetero__free(p->name);
    hetero__free(p->options);
    hetero__free(p);
}

int hetero__cl_program_get(struct hetero__cl_device *dev, const char *name,
                           const char *source, const char *options,
                           bool fp64, cl_program *out)
{
    struct hetero__cl_state *st = dev->st;
    hetero_context *ctx = st->ctx;
    const char *prelude = fp64 ? fp64_prelude : "";
    struct hetero__cl_program *p;
    struct hetero__cl_program *found;
    uint64_t hash = fnv1a_str(fnv1a_str(FNV_OFFSET, prelude), source);
    uint64_t key;
    char *dir;
    char *file;
    cl_program prog;
    int ret;

    pthread_mutex_lock(&st->build_lock);
    found = find(st, name, options, hash);
    pthread_mutex_unlock(&st->build_lock);
    if (found) {
        *out = found->program;
        return 0;
    }
    if (hetero__cl_fault(dev, HETERO__CL_FAULT_BUILD))
        return hetero__errf(ctx, HETERO_EBUILD,
                            "clBuildProgram(%s, \"%s\") on %s failed: "
                            "CL_BUILD_PROGRAM_FAILURE (%d); build log:\n"
                            "(injected by HETERO_CL_FAULT=build)",
                            name, options, dev->info->name,
                            CL_BUILD_PROGRAM_FAILURE);

    key = cache_key(dev->info, options, prelude, source);
    ret = cache_paths(ctx, key, &dir, &file);
    if (ret)
        return hetero__errf(ctx, ret, "OpenCL: out of memory");
    prog = load_binary(dev, file, key, options);
    if (!prog) {
        ret = build_source(dev, name, prelude, source, options, &prog);
        if (ret)
            goto out_free_paths;
        cache_write(dev, dir, file, key, prog);
    }

    p = hetero__calloc(1, sizeof(*p));
    if (!p) {
        clReleaseProgram(prog);
        ret = hetero__errf(ctx, HETERO_ENOMEM, "OpenCL: out of memory");
        goto out_free_paths;
    }
    p->program = prog;
    p->source_hash = hash;
    p->name = hetero__strdup(name);
    p->options = hetero__strdup(options);
    if (!p->name || !p->options) {
        program_free(p);
        ret = hetero__errf(ctx, HETERO_ENOMEM, "OpenCL: out of memory");
        goto out_free_paths;
    }
    pthread_mutex_lock(&st->build_lock);
    found = find(st, name, options, hash);
    if (!found) {
        p->next = st->programs;
        st->programs = p;
        found = p;
        p = NULL;
    }
    pthread_mutex_unlock(&st->build_lock);
    if (p)
        program_free(p); /* another thread built it meanwhile */
    *out = found->program;
out_free_paths:
    hetero__free(dir);
    hetero__free(file);
    return ret;
}

void hetero__cl_programs_release(struct hetero__cl_state *st)
{
    while (st->programs) {
        struct hetero__cl_program *p = st->programs;

        st->programs = p->next;
        program_free(p);
    }
}
