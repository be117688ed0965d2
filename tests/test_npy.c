/*
 * test_npy.c - .npy reading and writing (lib/src/npy.c).
 *
 * Round trips for every dtype and rank, the committed numpy-made fixtures of
 * tests/fixtures/npy (values as in tests/fixtures/gen_npy_fixtures.py),
 * byte-for-byte equality with numpy's writer, malformed headers crafted
 * byte by byte, every prefix and many byte flips of valid files, I/O
 * errors and an allocation-fault loop. test_npy_write_for_numpy leaves
 * files in <build>/npy-out/ for tests/npy_numpy_check.py.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "internal.h"
#include "test_support.h"

#define FIXTURE_DIR HETERO_SOURCE_DIR "/tests/fixtures/npy/"
#define OUT_DIR HETERO_BINARY_DIR "/npy-out/"

static const enum hetero_dtype all_dtypes[] = {
    HETERO_F32, HETERO_F64, HETERO_C64, HETERO_C128, HETERO_I32, HETERO_I64,
};

/* ---- helpers ---- */

static const char *out_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s%s", OUT_DIR, name);
    return buf;
}

/* Reads a whole file into malloc'd memory (fails the test on error). */
static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    long size;

    if (!f)
        fail_msg("cannot open %s", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    size = ftell(f);
    assert_true(size >= 0);
    rewind(f);
    buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    *len = (size_t)size;
    return buf;
}

static void spit(const char *path, const void *bytes, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static size_t numel_of(const struct hetero_array *a)
{
    size_t n = 0;

    assert_int_equal(hetero_array_numel(a, &n), 0);
    return n;
}

static size_t nbytes_of(const struct hetero_array *a)
{
    size_t n = 0;

    assert_int_equal(hetero_array_nbytes(a, &n), 0);
    return n;
}

/*
 * The pattern shared with npy_numpy_check.py, element index i (row-major):
 * real: i / 4 - 3; complex: (i / 4 - 3) - (i / 2)j; i32: 7i - 100;
 * i64: i * 2**33 - 100.
 */
static void fill_pattern(struct hetero_array *a)
{
    size_t n = numel_of(a);
    size_t i;

    for (i = 0; i < n; i++) {
        double re = (double)i * 0.25 - 3.0;
        double im = -0.5 * (double)i;

        switch (a->dtype) {
        case HETERO_F32:
            ((float *)a->data)[i] = (float)re;
            break;
        case HETERO_F64:
            ((double *)a->data)[i] = re;
            break;
        case HETERO_C64:
            ((float *)a->data)[2 * i] = (float)re;
            ((float *)a->data)[2 * i + 1] = (float)im;
            break;
        case HETERO_C128:
            ((double *)a->data)[2 * i] = re;
            ((double *)a->data)[2 * i + 1] = im;
            break;
        case HETERO_I32:
            ((int32_t *)a->data)[i] = (int32_t)(7 * (int64_t)i - 100);
            break;
        case HETERO_I64:
            ((int64_t *)a->data)[i] = (int64_t)i * ((int64_t)1 << 33) - 100;
            break;
        default:
            fail_msg("bad dtype %d", (int)a->dtype);
        }
    }
}

static void assert_same_array(const struct hetero_array *a,
                              const struct hetero_array *b)
{
    size_t nb;
    int i;

    assert_int_equal(a->dtype, b->dtype);
    assert_int_equal(a->ndim, b->ndim);
    for (i = 0; i < a->ndim; i++)
        assert_int_equal(a->shape[i], b->shape[i]);
    nb = nbytes_of(a);
    if (nb > 0)
        assert_memory_equal(a->data, b->data, nb);
}

/* Writes `a` to OUT_DIR/name, reads it back and compares. */
static void roundtrip(const struct hetero_array *a, const char *name)
{
    struct hetero_array b;
    char path[1024];
    int ret;

    out_path(path, sizeof(path), name);
    ret = hetero_npy_write(NULL, path, a);
    if (ret)
        fail_msg("write %s: %s (%s)", path, hetero_strerror(ret),
                 hetero_context_errmsg(NULL));
    ret = hetero_npy_read(NULL, path, &b);
    if (ret)
        fail_msg("read %s: %s (%s)", path, hetero_strerror(ret),
                 hetero_context_errmsg(NULL));
    assert_same_array(a, &b);
    hetero_array_free(&b);
}

/* Builds a .npy image: the preamble of format `major`.0, `header` as is,
 * then data_len bytes of 0x3f. */
static unsigned char *make_npy(int major, const char *header, size_t data_len,
                               size_t *len)
{
    size_t hlen = strlen(header);
    size_t off = major == 1 ? 10 : 12;
    unsigned char *b = malloc(off + hlen + data_len + 1);

    assert_non_null(b);
    memcpy(b, "\x93NUMPY", 6);
    b[6] = (unsigned char)major;
    b[7] = 0;
    b[8] = (unsigned char)(hlen & 0xff);
    b[9] = (unsigned char)(hlen >> 8);
    if (major != 1) {
        b[10] = (unsigned char)(hlen >> 16);
        b[11] = (unsigned char)(hlen >> 24);
    }
    memcpy(b + off, header, hlen);
    memset(b + off + hlen, 0x3f, data_len);
    *len = off + hlen + data_len;
    return b;
}

static void assert_errmsg_has(const char *word)
{
    const char *msg = hetero_context_errmsg(NULL);

    assert_non_null(msg);
    assert_true(msg[0] != '\0');
    if (!strstr(msg, word))
        fail_msg("errmsg \"%s\" lacks \"%s\"", msg, word);
}

/* No "<name>.tmp.*" file is left in OUT_DIR. */
static void assert_no_temp_left(const char *name)
{
    size_t n = strlen(name);
    DIR *d = opendir(OUT_DIR);
    struct dirent *e;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, name, n) == 0 &&
            strncmp(e->d_name + n, ".tmp.", 5) == 0)
            fail_msg("temporary file %s left behind", e->d_name);
    }
    closedir(d);
}

static int setup_out_dir(void **state)
{
    (void)state;
    if (mkdir(OUT_DIR, 0777) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* ---- round trips ---- */

static void test_npy_roundtrip_every_dtype(void **state)
{
    size_t shape[3] = { 3, 4, 5 };
    size_t i;

    (void)state;
    for (i = 0; i < HETERO_ARRAY_SIZE(all_dtypes); i++) {
        struct hetero_array a;
        char name[64];

        ts_alloc(&a, all_dtypes[i], 3, shape);
        fill_pattern(&a);
        snprintf(name, sizeof(name), "rt_%s.npy",
                 hetero_dtype_name(all_dtypes[i]));
        roundtrip(&a, name);
        hetero_array_free(&a);
    }
}

static void test_npy_roundtrip_every_ndim(void **state)
{
    size_t shape[HETERO_MAX_NDIM];
    int ndim;
    int i;

    (void)state;
    for (ndim = 0; ndim <= HETERO_MAX_NDIM; ndim++) {
        struct hetero_array a;
        char name[64];

        for (i = 0; i < ndim; i++)
            shape[i] = (size_t)(2 + (i % 3));
        ts_alloc(&a, ndim % 2 ? HETERO_C64 : HETERO_F64, ndim, shape);
        fill_pattern(&a);
        snprintf(name, sizeof(name), "rt_ndim%d.npy", ndim);
        roundtrip(&a, name);
        hetero_array_free(&a);
    }
}

static void test_npy_roundtrip_zero_size(void **state)
{
    struct hetero_array a = { 0 };
    struct hetero_array b;
    char path[1024];

    (void)state;
    /* data may be NULL when there are no elements */
    a.dtype = HETERO_F32;
    a.ndim = 3;
    a.shape[0] = 4;
    a.shape[1] = 0;
    a.shape[2] = 3;
    out_path(path, sizeof(path), "rt_zero.npy");
    assert_int_equal(hetero_npy_write(NULL, path, &a), 0);
    assert_int_equal(hetero_npy_read(NULL, path, &b), 0);
    assert_int_equal(b.ndim, 3);
    assert_int_equal(b.shape[0], 4);
    assert_int_equal(b.shape[1], 0);
    assert_int_equal(b.shape[2], 3);
    assert_int_equal(numel_of(&b), 0);
    hetero_array_free(&b);

    a.ndim = 1;
    a.shape[0] = 0;
    roundtrip(&a, "rt_zero1.npy");
}

static void test_npy_roundtrip_large(void **state)
{
    size_t shape[2] = { 1000003, 3 };
    struct hetero_array a;

    (void)state;
    ts_alloc(&a, HETERO_F32, 2, shape);
    fill_pattern(&a);
    roundtrip(&a, "rt_large.npy");
    hetero_array_free(&a);
    unlink(OUT_DIR "rt_large.npy");
}

/* Files for npy_numpy_check.py; keep the two lists in step. */
static void test_npy_write_for_numpy(void **state)
{
    static const struct {
        const char *name;
        enum hetero_dtype dtype;
        int ndim;
        size_t shape[HETERO_MAX_NDIM];
    } files[] = {
        { "np_f32.npy", HETERO_F32, 3, { 2, 3, 4 } },
        { "np_f64.npy", HETERO_F64, 3, { 2, 3, 4 } },
        { "np_c64.npy", HETERO_C64, 3, { 2, 3, 4 } },
        { "np_c128.npy", HETERO_C128, 3, { 2, 3, 4 } },
        { "np_i32.npy", HETERO_I32, 3, { 2, 3, 4 } },
        { "np_i64.npy", HETERO_I64, 3, { 2, 3, 4 } },
        { "np_scalar.npy", HETERO_F64, 0, { 0 } },
        { "np_1d.npy", HETERO_I64, 1, { 5 } },
        { "np_empty.npy", HETERO_F32, 2, { 0, 3 } },
        { "np_8d.npy", HETERO_F64, 8, { 2, 1, 2, 1, 2, 1, 2, 3 } },
    };
    size_t i;

    (void)state;
    for (i = 0; i < HETERO_ARRAY_SIZE(files); i++) {
        struct hetero_array a;

        ts_alloc(&a, files[i].dtype, files[i].ndim, files[i].shape);
        fill_pattern(&a);
        roundtrip(&a, files[i].name);
        hetero_array_free(&a);
    }
}

/* ---- numpy fixtures ---- */

static void read_fixture(const char *name, struct hetero_array *a)
{
    char path[1024];
    int ret;

    snprintf(path, sizeof(path), "%s%s", FIXTURE_DIR, name);
    ret = hetero_npy_read(NULL, path, a);
    if (ret)
        fail_msg("read %s: %s (%s)", path, hetero_strerror(ret),
                 hetero_context_errmsg(NULL));
}

static void check_shape(const struct hetero_array *a, enum hetero_dtype dtype,
                        int ndim, size_t d0, size_t d1, size_t d2)
{
    size_t d[3] = { d0, d1, d2 };
    int i;

    assert_int_equal(a->dtype, dtype);
    assert_int_equal(a->ndim, ndim);
    for (i = 0; i < ndim; i++)
        assert_int_equal(a->shape[i], d[i]);
}

static void test_npy_read_numpy_fixtures(void **state)
{
    struct hetero_array a;
    size_t i;

    (void)state;
    read_fixture("f4_2x3.npy", &a);
    check_shape(&a, HETERO_F32, 2, 2, 3, 0);
    for (i = 0; i < 6; i++)
        assert_true(((float *)a.data)[i] == (float)i * 0.5f - 1.0f);
    hetero_array_free(&a);

    read_fixture("f8_3x4.npy", &a);
    check_shape(&a, HETERO_F64, 2, 3, 4, 0);
    for (i = 0; i < 12; i++)
        assert_true(((double *)a.data)[i] == (double)i / 4 - 1);
    hetero_array_free(&a);

    read_fixture("c8_2x2.npy", &a);
    check_shape(&a, HETERO_C64, 2, 2, 2, 0);
    for (i = 0; i < 4; i++) {
        assert_true(((float *)a.data)[2 * i] == (float)i);
        assert_true(((float *)a.data)[2 * i + 1] == 2.0f * (float)i);
    }
    hetero_array_free(&a);

    read_fixture("c16_3.npy", &a);
    check_shape(&a, HETERO_C128, 1, 3, 0, 0);
    for (i = 0; i < 3; i++) {
        assert_true(((double *)a.data)[2 * i] == (double)i);
        assert_true(((double *)a.data)[2 * i + 1] == -0.5 * (double)i);
    }
    hetero_array_free(&a);

    read_fixture("i4_2x3x2.npy", &a);
    check_shape(&a, HETERO_I32, 3, 2, 3, 2);
    for (i = 0; i < 12; i++)
        assert_int_equal(((int32_t *)a.data)[i], (int32_t)i - 5);
    hetero_array_free(&a);

    read_fixture("i8_4.npy", &a);
    check_shape(&a, HETERO_I64, 1, 4, 0, 0);
    for (i = 0; i < 4; i++)
        assert_true(((int64_t *)a.data)[i] ==
                    (int64_t)i * ((int64_t)1 << 40) - 3);
    hetero_array_free(&a);

    read_fixture("f8_scalar.npy", &a);
    check_shape(&a, HETERO_F64, 0, 0, 0, 0);
    assert_true(((double *)a.data)[0] == 3.25);
    hetero_array_free(&a);

    read_fixture("f4_0x3.npy", &a);
    check_shape(&a, HETERO_F32, 2, 0, 3, 0);
    assert_int_equal(numel_of(&a), 0);
    hetero_array_free(&a);
}

static void test_npy_read_versions_2_and_3(void **state)
{
    static const char *const names[] = {
        "f8_v2.npy",
        "f8_v3.npy",
    };
    size_t k;
    size_t i;

    (void)state;
    for (k = 0; k < HETERO_ARRAY_SIZE(names); k++) {
        struct hetero_array a;

        read_fixture(names[k], &a);
        check_shape(&a, HETERO_F64, 2, 2, 3, 0);
        for (i = 0; i < 6; i++)
            assert_true(((double *)a.data)[i] == (double)i / 4 - 1);
        hetero_array_free(&a);
    }
}

static void test_npy_read_rejects_fortran_and_big_endian(void **state)
{
    struct hetero_array a;

    (void)state;
    assert_int_equal(hetero_npy_read(NULL, FIXTURE_DIR "f8_fortran.npy", &a),
                     HETERO_EFORMAT);
    assert_errmsg_has("Fortran-ordered arrays are not supported");
    assert_errmsg_has("f8_fortran.npy");
    assert_int_equal(
        hetero_npy_read(NULL, FIXTURE_DIR "f8_bigendian.npy", &a),
        HETERO_EFORMAT);
    assert_errmsg_has("big-endian");
    assert_errmsg_has("'>f8'");
}

/* What we write is byte for byte what numpy's np.save wrote. */
static void test_npy_write_matches_numpy(void **state)
{
    static const char *const names[] = {
        "f4_2x3.npy", "f8_3x4.npy",    "c8_2x2.npy", "c16_3.npy",
        "i4_2x3x2.npy", "i8_4.npy", "f8_scalar.npy", "f4_0x3.npy",
    };
    size_t k;

    (void)state;
    for (k = 0; k < HETERO_ARRAY_SIZE(names); k++) {
        struct hetero_array a;
        unsigned char *want;
        unsigned char *got;
        char src[1024];
        char dst[1024];
        size_t want_len;
        size_t got_len;

        snprintf(src, sizeof(src), "%s%s", FIXTURE_DIR, names[k]);
        snprintf(dst, sizeof(dst), "%scopy_%s", OUT_DIR, names[k]);
        assert_int_equal(hetero_npy_read(NULL, src, &a), 0);
        assert_int_equal(hetero_npy_write(NULL, dst, &a), 0);
        hetero_array_free(&a);
        want = slurp(src, &want_len);
        got = slurp(dst, &got_len);
        assert_int_equal(got_len, want_len);
        assert_memory_equal(got, want, want_len);
        free(want);
        free(got);
    }
}

/* ---- hand-made headers ---- */

#define HDR_F8_23 "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }"

static void test_npy_parse_accepts_header_variants(void **state)
{
    static const struct {
        int major;
        const char *header;
        int ndim;
        size_t d0;
        size_t d1;
    } ok[] = {
        { 1, HDR_F8_23 "      \n", 2, 2, 3 },
        { 2, HDR_F8_23, 2, 2, 3 },
        { 3, HDR_F8_23, 2, 2, 3 },
        { 1, "{\"shape\":(2,3),\"descr\":\"<f8\",\"fortran_order\":False}", 2,
          2, 3 },
        { 1, "{'fortran_order': False, 'shape': (6,), 'descr': '<f8'}", 1, 6,
          0 },
        { 1, "\t{ 'descr' : '<f8' ,\n 'fortran_order' : False ,\r\n"
             "  'shape' : ( 2 , 3 , ) , }\n",
          2, 2, 3 },
        { 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2L, 3L)}", 2,
          2, 3 },
        /* Fortran order is C order when at most one dimension exceeds 1 */
        { 1, "{'descr': '<f8', 'fortran_order': True, 'shape': (6,), }", 1,
          6, 0 },
        { 1, "{'descr': '<f8', 'fortran_order': True, 'shape': (1, 6), }", 2,
          1, 6 },
    };
    size_t k;

    (void)state;
    for (k = 0; k < HETERO_ARRAY_SIZE(ok); k++) {
        struct hetero_array a;
        unsigned char *b;
        size_t len;
        size_t i;
        int ret;

        /* 48 data bytes: 6 doubles, plus nothing more */
        b = make_npy(ok[k].major, ok[k].header, 48, &len);
        for (i = 0; i < 6; i++) {
            double v = (double)i + 0.5;

            memcpy(b + len - 48 + 8 * i, &v, 8);
        }
        ret = hetero_npy_parse(NULL, b, len, &a);
        if (ret)
            fail_msg("case %zu: %s (%s)", k, hetero_strerror(ret),
                     hetero_context_errmsg(NULL));
        assert_int_equal(a.dtype, HETERO_F64);
        assert_int_equal(a.ndim, ok[k].ndim);
        assert_int_equal(a.shape[0], ok[k].d0);
        if (ok[k].ndim > 1)
            assert_int_equal(a.shape[1], ok[k].d1);
        for (i = 0; i < 6; i++)
            assert_true(((double *)a.data)[i] == (double)i + 0.5);
        hetero_array_free(&a);
        free(b);
    }
}

static void test_npy_parse_ignores_trailing_bytes(void **state)
{
    struct hetero_array a;
    unsigned char *b;
    size_t len;

    (void)state;
    b = make_npy(1, HDR_F8_23, 48 + 13, &len);
    assert_int_equal(hetero_npy_parse(NULL, b, len, &a), 0);
    assert_int_equal(numel_of(&a), 6);
    hetero_array_free(&a);
    free(b);
}

#define RAW(s) (const unsigned char *)(s), sizeof(s) - 1

static void test_npy_parse_rejects_malformed(void **state)
{
    static const struct {
        const unsigned char *raw; /* raw bytes, or NULL: make_npy() */
        size_t raw_len;
        int major;
        const char *header;
        size_t data_len;
        const char *word; /* must appear in the errmsg */
    } bad[] = {
        { RAW(""), 0, NULL, 0, "magic" },
        { RAW("\x93NUM"), 0, NULL, 0, "truncated magic" },
        { RAW("\x93NUMPX\x01\x00\x10\x00{}"), 0, NULL, 0, "wrong magic" },
        { RAW("PK\x03\x04 not npy at all"), 0, NULL, 0, "wrong magic" },
        { RAW("\x93NUMPY\x09\x00\x10\x00{}"), 0, NULL, 0, "version 9.0" },
        { RAW("\x93NUMPY\x01\x01\x10\x00{}"), 0, NULL, 0, "version 1.1" },
        { RAW("\x93NUMPY\x01"), 0, NULL, 0, "version" },
        { RAW("\x93NUMPY\x01\x00\x10"), 0, NULL, 0, "header length" },
        { RAW("\x93NUMPY\x02\x00\x10\x00\x00"), 0, NULL, 0, "header length" },
        { RAW("\x93NUMPY\x01\x00\xc8\x00{'descr': '<f8'"), 0, NULL, 0,
          "past the end" },
        { RAW("\x93NUMPY\x03\x00\xff\xff\xff\xff{}"), 0, NULL, 0,
          "past the end" },
        { NULL, 0, 1, "[1, 2, 3]", 0, "not a dict" },
        { NULL, 0, 1, "", 0, "not a dict" },
        { NULL, 0, 1, "{'fortran_order': False, 'shape': (2,), }", 16,
          "missing key 'descr'" },
        { NULL, 0, 1, "{'descr': '<f8', 'fortran_order': False, }", 16,
          "missing key 'shape'" },
        { NULL, 0, 1, "{'descr': '<f8', 'shape': (2,), }", 16,
          "missing key 'fortran_order'" },
        { NULL, 0, 1,
          "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", 48,
          "Fortran-ordered arrays are not supported" },
        { NULL, 0, 1,
          "{'descr': '>f8', 'fortran_order': False, 'shape': (2, 3), }", 48,
          "big-endian" },
        { NULL, 0, 1,
          "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", 16,
          "object arrays" },
        { NULL, 0, 1,
          "{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", 16,
          "unsupported dtype '<f2'" },
        { NULL, 0, 1,
          "{'descr': '<u4', 'fortran_order': False, 'shape': (2,), }", 16,
          "unsupported dtype '<u4'" },
        { NULL, 0, 1,
          "{'descr': '|f8', 'fortran_order': False, 'shape': (2,), }", 16,
          "unsupported dtype '|f8'" },
        { NULL, 0, 1,
          "{'descr': [('x', '<f4'), ('y', '<f4')], 'fortran_order': False, "
          "'shape': (2,), }",
          16, "structured" },
        { NULL, 0, 1, "{'descr': 8, 'fortran_order': False, 'shape': (2,)}",
          16, "'descr' must be a string" },
        { NULL, 0, 1,
          "{'descr': '<f8', 'fortran_order': False, 'shape': (2, -3), }", 0,
          "negative dimension -3" },
        { NULL, 0, 1,
          "{'descr': '<f8', 'fortran_order': False, 'shape': (2.5,), }", 0,
          "non-integer dimension '2.5'" },
        { NULL, 0, 1,
          "{'descr': '<f8', 'fortran_order': False, 'shape': (two,), }", 0,
          "tuple of integers" },
        { NULL, 0, 1,
          "{'descr': '<f8', 'fortran_order': False, "
          "'shape': (1099511627776, 1099511627776), }",
          0, "overflows" },
        { NULL, 0, 1,
          "{'descr': '<f8', 'fortran_order': False, "
          "'shape': (2305843009213693952,), }",
          0, "overflows" },
        { NULL, 0, 1,
          "{'descr': '<f8', 'fortran_order': False, "
          "'shape': (0, 1099511627776, 1099511627776), }",
          0, "overflows" },
        { NULL, 0, 1,
          "{'descr': '<f8', 'fortran_order': False, "
          "'shape': (123456789012345678901234567890,), }",
          0, "overflows" },
        { NULL, 0, 1,
          "{'descr': '<f8', 'fortran_order': False, "
          "'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1), }",
          8, "too many dimensions" },
        { NULL, 0, 1,
          "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", 31,
          "truncated data: expected 32 bytes, found 31" },
        { NULL, 0, 1,
          "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", 0,
          "truncated data: expected 8 bytes, found 0" },
        { NULL, 0, 1, "{'descr': '<f8', 'fortran_order': False, 'sha}", 0,
          "unterminated string" },
        { NULL, 0, 1, "{'descr': '<f8\n', 'fortran_order': False}", 0,
          "unterminated string" },
        { NULL, 0, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3, ",
          0, "unterminated tuple" },
        { NULL, 0, 1, "{'descr': '<f8', 'fortran_order': False", 0,
          "unterminated dict" },
        { NULL, 0, 1,
          "{'descr': '<f8', 'fortran_order': Flase, 'shape': (2,), }", 16,
          "True or False" },
        { NULL, 0, 1, "{'descr': '<f8', 'fortran_order': 0, 'shape': (2,), }",
          16, "True or False" },
        { NULL, 0, 1,
          "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, "
          "'shape': (2,), }",
          16, "duplicate key 'descr'" },
        { NULL, 0, 1,
          "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), "
          "'extra': 1, }",
          16, "unknown key 'extra'" },
        { NULL, 0, 1,
          "{'descr': '<f8', 'fortran_order': False, 'shape': (5), }", 40,
          "1-tuple" },
        { NULL, 0, 1,
          "{'descr': '<f8', 'fortran_order': False, 'shape': [5], }", 40,
          "must be a tuple" },
        { NULL, 0, 1,
          "{'descr': '<f8', 'fortran_order': False, 'shape': (5,), } x", 40,
          "after the header dict" },
        { NULL, 0, 1,
          "{'descr': '<f8', 'fortran_order': False, 'shape': (5,)} {}", 40,
          "after the header dict" },
        { NULL, 0, 1, "{'descr' '<f8', 'fortran_order': False}", 0,
          "expected ':'" },
        { NULL, 0, 1, "{'de\\x63r': '<f8'}", 0, "escape" },
        { NULL, 0, 1, "{'descr': '<f8', , }", 0, "quoted key" },
        { NULL, 0, 1, "{'descr': '<f8'; }", 0, "unexpected character" },
    };
    size_t k;

    (void)state;
    for (k = 0; k < HETERO_ARRAY_SIZE(bad); k++) {
        struct hetero_array a;
        unsigned char *b;
        size_t len;
        int ret;

        if (bad[k].raw) {
            len = bad[k].raw_len;
            b = malloc(len + 1);
            assert_non_null(b);
            memcpy(b, bad[k].raw, len);
        } else {
            b = make_npy(bad[k].major, bad[k].header, bad[k].data_len, &len);
        }
        memset(&a, 0x5a, sizeof(a));
        ret = hetero_npy_parse(NULL, b, len, &a);
        if (ret != HETERO_EFORMAT)
            fail_msg("case %zu (%s): got %s", k, bad[k].word,
                     hetero_err_name(ret));
        assert_errmsg_has(bad[k].word);
        /* *out is untouched on failure */
        assert_int_equal(a.ndim, 0x5a5a5a5a);
        free(b);
    }
}

/* Every proper prefix of a valid file fails cleanly; byte flips in the
 * preamble and header never crash (run under ASan/UBSan). */
static void test_npy_parse_survives_prefixes_and_flips(void **state)
{
    static const char *const names[] = {
        "f8_3x4.npy", "c16_3.npy", "f8_scalar.npy", "f4_0x3.npy",
        "f8_v2.npy",  "f8_v3.npy",
    };
    static const unsigned char flips[] = {
        0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff,
    };
    static const char subst[] = "{}()[]:,'\" 0129-.LTFx\\\n";
    size_t k;

    (void)state;
    for (k = 0; k < HETERO_ARRAY_SIZE(names); k++) {
        struct hetero_array a;
        unsigned char *b;
        unsigned char *cut;
        char path[1024];
        size_t len;
        size_t i;
        size_t j;
        int ret;

        snprintf(path, sizeof(path), "%s%s", FIXTURE_DIR, names[k]);
        b = slurp(path, &len);
        for (i = 0; i < len; i++) {
            /* an exact-size copy so ASan sees any over-read */
            cut = malloc(i ? i : 1);
            assert_non_null(cut);
            memcpy(cut, b, i);
            ret = hetero_npy_parse(NULL, cut, i, &a);
            assert_int_equal(ret, HETERO_EFORMAT);
            assert_true(hetero_context_errmsg(NULL)[0] != '\0');
            free(cut);
        }
        /* the header ends at the first '\n' */
        for (i = 0; i < len && b[i] != '\n'; i++) {
            unsigned char orig = b[i];

            for (j = 0; j < sizeof(flips) + sizeof(subst) - 1; j++) {
                if (j < sizeof(flips))
                    b[i] = orig ^ flips[j];
                else
                    b[i] = (unsigned char)subst[j - sizeof(flips)];
                ret = hetero_npy_parse(NULL, b, len, &a);
                if (ret == 0)
                    hetero_array_free(&a);
                else
                    assert_int_equal(ret, HETERO_EFORMAT);
            }
            b[i] = orig;
        }
        assert_int_equal(hetero_npy_parse(NULL, b, len, &a), 0);
        hetero_array_free(&a);
        free(b);
    }
}

/* ---- I/O errors and arguments ---- */

static void test_npy_read_missing_file(void **state)
{
    struct hetero_array a;

    (void)state;
    assert_int_equal(hetero_npy_read(NULL, OUT_DIR "no-such-file.npy", &a),
                     HETERO_ENOENT);
    assert_errmsg_has("no-such-file.npy");
}

static void test_npy_read_directory(void **state)
{
    struct hetero_array a;

    (void)state;
    assert_int_equal(hetero_npy_read(NULL, OUT_DIR, &a), HETERO_EIO);
    assert_errmsg_has("directory");
}

static void test_npy_read_truncated_file(void **state)
{
    struct hetero_array a;
    unsigned char *b;
    char path[1024];
    size_t len;

    (void)state;
    b = slurp(FIXTURE_DIR "f8_3x4.npy", &len);
    out_path(path, sizeof(path), "truncated.npy");
    spit(path, b, len - 5);
    assert_int_equal(hetero_npy_read(NULL, path, &a), HETERO_EFORMAT);
    assert_errmsg_has("truncated data: expected 96 bytes, found 91");
    spit(path, b, 60);
    assert_int_equal(hetero_npy_read(NULL, path, &a), HETERO_EFORMAT);
    assert_errmsg_has("past the end");
    spit(path, b, 9);
    assert_int_equal(hetero_npy_read(NULL, path, &a), HETERO_EFORMAT);
    assert_errmsg_has("header length");
    spit(path, b, 3);
    assert_int_equal(hetero_npy_read(NULL, path, &a), HETERO_EFORMAT);
    assert_errmsg_has("truncated magic");
    spit(path, b, 0);
    assert_int_equal(hetero_npy_read(NULL, path, &a), HETERO_EFORMAT);
    free(b);
}

static void test_npy_write_into_missing_directory(void **state)
{
    size_t shape[1] = { 4 };
    struct hetero_array a;

    (void)state;
    ts_alloc(&a, HETERO_F64, 1, shape);
    assert_int_equal(
        hetero_npy_write(NULL, OUT_DIR "no/such/dir/x.npy", &a),
        HETERO_EIO);
    assert_errmsg_has("x.npy");
    hetero_array_free(&a);
}

/* Replacing a file leaves no temporary behind; failing to (the target is a
 * directory) removes the temporary. */
static void test_npy_write_is_atomic(void **state)
{
    size_t shape[1] = { 4 };
    struct hetero_array a;
    struct hetero_array b;
    char path[1024];

    (void)state;
    ts_alloc(&a, HETERO_I32, 1, shape);
    fill_pattern(&a);
    out_path(path, sizeof(path), "atomic.npy");
    assert_int_equal(hetero_npy_write(NULL, path, &a), 0);
    ((int32_t *)a.data)[0] = 12345;
    assert_int_equal(hetero_npy_write(NULL, path, &a), 0);
    assert_int_equal(hetero_npy_read(NULL, path, &b), 0);
    assert_same_array(&a, &b);
    hetero_array_free(&b);
    assert_no_temp_left("atomic.npy");

    out_path(path, sizeof(path), "a_dir.npy");
    assert_true(mkdir(path, 0777) == 0 || errno == EEXIST);
    assert_int_equal(hetero_npy_write(NULL, path, &a), HETERO_EIO);
    assert_errmsg_has("rename");
    assert_no_temp_left("a_dir.npy");
    hetero_array_free(&a);
}

static void test_npy_null_and_bad_arguments(void **state)
{
    size_t shape[2] = { 2, 3 };
    struct hetero_array a;
    struct hetero_array bad;
    unsigned char *b;
    char path[1024];
    size_t len;

    (void)state;
    out_path(path, sizeof(path), "args.npy");
    b = make_npy(1, HDR_F8_23, 48, &len);
    assert_int_equal(hetero_npy_read(NULL, NULL, &a), HETERO_EINVAL);
    assert_int_equal(hetero_npy_read(NULL, path, NULL), HETERO_EINVAL);
    assert_int_equal(hetero_npy_parse(NULL, NULL, len, &a), HETERO_EINVAL);
    assert_int_equal(hetero_npy_parse(NULL, b, len, NULL), HETERO_EINVAL);

    ts_alloc(&a, HETERO_F64, 2, shape);
    assert_int_equal(hetero_npy_write(NULL, NULL, &a), HETERO_EINVAL);
    assert_int_equal(hetero_npy_write(NULL, "", &a), HETERO_EINVAL);
    assert_int_equal(hetero_npy_write(NULL, path, NULL), HETERO_EINVAL);
    bad = a;
    bad.dtype = HETERO_DTYPE_NONE;
    assert_int_equal(hetero_npy_write(NULL, path, &bad), HETERO_EINVAL);
    bad.dtype = (enum hetero_dtype)99;
    assert_int_equal(hetero_npy_write(NULL, path, &bad), HETERO_EINVAL);
    bad = a;
    bad.ndim = HETERO_MAX_NDIM + 1;
    assert_int_equal(hetero_npy_write(NULL, path, &bad), HETERO_EINVAL);
    bad.ndim = -1;
    assert_int_equal(hetero_npy_write(NULL, path, &bad), HETERO_EINVAL);
    bad = a;
    bad.data = NULL;
    assert_int_equal(hetero_npy_write(NULL, path, &bad), HETERO_EINVAL);
    bad = a;
    bad.shape[0] = SIZE_MAX / 2;
    bad.shape[1] = 3;
    assert_int_equal(hetero_npy_write(NULL, path, &bad), HETERO_EINVAL);
    assert_true(hetero_context_errmsg(NULL)[0] != '\0');
    hetero_array_free(&a);
    free(b);
}

/* With a context the detail is kept for that context too. */
static void test_npy_errmsg_on_context(void **state)
{
    hetero_context *ctx = ts_context(1);
    struct hetero_array a;

    (void)state;
    assert_int_equal(hetero_npy_read(ctx, FIXTURE_DIR "f8_bigendian.npy", &a),
                     HETERO_EFORMAT);
    assert_non_null(strstr(hetero_context_errmsg(ctx), "big-endian"));
    hetero_context_destroy(ctx);
}

/* ---- allocation faults ---- */

static void test_npy_read_alloc_faults(void **state)
{
    struct hetero_array a;
    long k;
    int ret;

    (void)state;
    for (k = 0;; k++) {
        assert_true(k < 100);
        hetero__alloc_fault_reset();
        hetero__alloc_fail_after(k);
        ret = hetero_npy_read(NULL, FIXTURE_DIR "f8_3x4.npy", &a);
        if (!hetero__alloc_fault_hit()) {
            assert_int_equal(ret, 0);
            break;
        }
        assert_int_equal(ret, HETERO_ENOMEM);
    }
    hetero__alloc_fail_after(-1);
    hetero__alloc_fault_reset();
    assert_true(k > 0);
    assert_int_equal(numel_of(&a), 12);
    hetero_array_free(&a);
}

static void test_npy_parse_and_write_alloc_faults(void **state)
{
    struct hetero_array a;
    unsigned char *b;
    char path[1024];
    size_t len;
    long k;
    int ret;

    (void)state;
    b = slurp(FIXTURE_DIR "c16_3.npy", &len);
    for (k = 0;; k++) {
        assert_true(k < 100);
        hetero__alloc_fault_reset();
        hetero__alloc_fail_after(k);
        ret = hetero_npy_parse(NULL, b, len, &a);
        if (!hetero__alloc_fault_hit()) {
            assert_int_equal(ret, 0);
            break;
        }
        assert_int_equal(ret, HETERO_ENOMEM);
    }
    out_path(path, sizeof(path), "faults.npy");
    for (k = 0;; k++) {
        assert_true(k < 100);
        hetero__alloc_fault_reset();
        hetero__alloc_fail_after(k);
        ret = hetero_npy_write(NULL, path, &a);
        if (!hetero__alloc_fault_hit()) {
            assert_int_equal(ret, 0);
            break;
        }
        assert_int_equal(ret, HETERO_ENOMEM);
        assert_no_temp_left("faults.npy");
    }
    hetero__alloc_fail_after(-1);
    hetero__alloc_fault_reset();
    hetero_array_free(&a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_npy_roundtrip_every_dtype),
        cmocka_unit_test(test_npy_roundtrip_every_ndim),
        cmocka_unit_test(test_npy_roundtrip_zero_size),
        cmocka_unit_test(test_npy_roundtrip_large),
        cmocka_unit_test(test_npy_write_for_numpy),
        cmocka_unit_test(test_npy_read_numpy_fixtures),
        cmocka_unit_test(test_npy_read_versions_2_and_3),
        cmocka_unit_test(test_npy_read_rejects_fortran_and_big_endian),
        cmocka_unit_test(test_npy_write_matches_numpy),
        cmocka_unit_test(test_npy_parse_accepts_header_variants),
        cmocka_unit_test(test_npy_parse_ignores_trailing_bytes),
        cmocka_unit_test(test_npy_parse_rejects_malformed),
        cmocka_unit_test(test_npy_parse_survives_prefixes_and_flips),
        cmocka_unit_test(test_npy_read_missing_file),
        cmocka_unit_test(test_npy_read_directory),
        cmocka_unit_test(test_npy_read_truncated_file),
        cmocka_unit_test(test_npy_write_into_missing_directory),
        cmocka_unit_test(test_npy_write_is_atomic),
        cmocka_unit_test(test_npy_null_and_bad_arguments),
        cmocka_unit_test(test_npy_errmsg_on_context),
        cmocka_unit_test(test_npy_read_alloc_faults),
        cmocka_unit_test(test_npy_parse_and_write_alloc_faults),
    };

    return cmocka_run_group_tests(tests, setup_out_dir, NULL);
}
