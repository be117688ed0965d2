/*
 * npy.c - reading and writing NumPy .npy files (format 1.0, 2.0 and 3.0).
 *
 * A .npy file is the magic "\x93NUMPY", a major and a minor version byte, the
 * little-endian length of the header (2 bytes in 1.0, 4 in 2.0 and 3.0), the
 * header - a Python dict literal with exactly the keys 'descr',
 * 'fortran_order' and 'shape', padded with spaces and a newline - and then
 * the raw elements.
 *
 * DESIGN: the header is read by a small tokenizer and a recursive-descent
 * parser that accept the subset of Python literal syntax that describes an
 * array (quoted strings, True/False, integers, tuples, any whitespace,
 * trailing commas, keys in any order) and nothing else: no eval, no guess.
 * Every read is bounded by the byte count, and anything unexpected is
 * HETERO_EFORMAT with a detail naming the problem. Only the dtypes of
 * enum hetero_dtype in little-endian order are accepted; big-endian,
 * Fortran-ordered, object and structured arrays are refused rather than
 * silently converted. hetero_npy_read() parses the preamble and header first
 * and then reads the data straight into the new array, so a file costs its
 * size in memory once, and a shape that the file cannot hold is refused
 * before anything large is allocated. The writer reproduces numpy's own
 * output byte for byte (key order, growth padding, 64-byte alignment) and
 * replaces the target atomically: it writes a temporary file beside it and
 * renames it over the target.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "internal.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "npy.c reads and writes little-endian data in place"
#endif /* __BYTE_ORDER__ */

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_VERSION_END 8      /* magic + major + minor */
#define NPY_PREAMBLE_MAX 12    /* ... + a 4-byte header length */
#define NPY_ALIGN 64           /* numpy's ARRAY_ALIGN */
#define NPY_GROWTH_DIGITS 21   /* numpy's GROWTH_AXIS_MAX_DIGITS */
#define NPY_HEADER_MAX (1u << 20)
/* Longest header we write: 8 dims of 20 digits, padding included. */
#define NPY_WRITE_HEADER_MAX 512
#define NPY_TEMP_TRIES 1000

/* Where the bytes come from, for error details. */
struct npy_src {
    const hetero_context *ctx;
    const char *path; /* NULL when parsing memory */
};

/* What the preamble and header say. */
struct npy_header {
    enum hetero_dtype dtype;
    int ndim;
    size_t shape[HETERO_MAX_NDIM];
    bool fortran_order;
    size_t nbytes;      /* data bytes the shape needs */
    size_t data_offset; /* preamble + header */
};

static const struct {
    const char *descr;
    enum hetero_dtype dtype;
} npy_dtypes[] = {
    { "<f4", HETERO_F32 },  { "<f8", HETERO_F64 }, { "<c8", HETERO_C64 },
    { "<c16", HETERO_C128 }, { "<i4", HETERO_I32 }, { "<i8", HETERO_I64 },
};

static int npy_fail(const struct npy_src *src, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int npy_fail(const struct npy_src *src, int code, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (src->path)
        return hetero__errf(src->ctx, code, "%s: %s", src->path, msg);
    return hetero__errf(src->ctx, code, "npy: %s", msg);
}

/* Thread-safe strerror (the XSI strerror_r of POSIX.1-2008). */
static const char *errno_text(int err, char *buf, size_t size)
{
    if (strerror_r(err, buf, size) != 0)
        snprintf(buf, size, "error %d", err);
    return buf;
}

/* Copies n bytes of header text into buf for an error detail: at most
 * size - 4 characters, non-printable ones as '?', "..." when cut. */
static const char *show(char *buf, size_t size, const char *s, size_t n)
{
    size_t max = size - 4;
    size_t i;

    for (i = 0; i < n && i < max; i++) {
        unsigned char c = (unsigned char)s[i];

        buf[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (i < n) {
        memcpy(buf + i, "...", 3);
        i += 3;
    }
    buf[i] = '\0';
    return buf;
}

/* Python repr of a shape tuple: "()", "(5,)", "(3, 4)". Returns the length
 * it wrote (buf must hold 2 + 22 * HETERO_MAX_NDIM bytes). */
static size_t shape_repr(char *buf, size_t size, int ndim, const size_t *shape)
{
    size_t n = 0;
    int i;

    n += (size_t)snprintf(buf + n, size - n, "(");
    for (i = 0; i < ndim; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%zu", i ? ", " : "",
                              shape[i]);
    n += (size_t)snprintf(buf + n, size - n, ndim == 1 ? ",)" : ")");
    return n;
}

static const char *dtype_descr(enum hetero_dtype dtype)
{
    size_t i;

    for (i = 0; i < HETERO_ARRAY_SIZE(npy_dtypes); i++) {
        if (npy_dtypes[i].dtype == dtype)
            return npy_dtypes[i].descr;
    }
    return NULL;
}

/* ---- preamble ---- */

/*
 * Checks the magic and version in b[0..len) and decodes the header length.
 * On success *hdr_off is where the header starts and *hdr_len its length,
 * which the caller checks against what follows.
 */
static int parse_preamble(const struct npy_src *src, const unsigned char *b,
                          size_t len, size_t *hdr_off, size_t *hdr_len)
{
    size_t lsize;
    size_t hlen;

    if (len < NPY_MAGIC_LEN) {
        if (memcmp(b, NPY_MAGIC, len) == 0)
            return npy_fail(src, HETERO_EFORMAT,
                            "truncated magic: %zu of %d bytes", len,
                            NPY_MAGIC_LEN);
        return npy_fail(src, HETERO_EFORMAT,
                        "not a .npy file (wrong magic)");
    }
    if (memcmp(b, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
        return npy_fail(src, HETERO_EFORMAT,
                        "not a .npy file (wrong magic)");
    if (len < NPY_VERSION_END)
        return npy_fail(src, HETERO_EFORMAT,
                        "truncated preamble: the format version is missing");
    if (b[6] < 1 || b[6] > 3 || b[7] != 0)
        return npy_fail(src, HETERO_EFORMAT,
                        "unsupported .npy format version %u.%u "
                        "(1.0, 2.0 and 3.0 are supported)",
                        b[6], b[7]);
    lsize = b[6] == 1 ? 2 : 4;
    if (len < NPY_VERSION_END + lsize)
        return npy_fail(src, HETERO_EFORMAT,
                        "truncated preamble: the header length is missing");
    hlen = (size_t)b[8] | (size_t)b[9] << 8;
    if (lsize == 4)
        hlen |= (size_t)b[10] << 16 | (size_t)b[11] << 24;
    *hdr_off = NPY_VERSION_END + lsize;
    *hdr_len = hlen;
    return 0;
}

/* ---- header tokenizer ---- */

enum tok_kind {
    TOK_END,
    TOK_LBRACE,
    TOK_RBRACE,
    TOK_LPAREN,
    TOK_RPAREN,
    TOK_LBRACKET,
    TOK_RBRACKET,
    TOK_COLON,
    TOK_COMMA,
    TOK_STRING, /* s, n: the contents, without quotes */
    TOK_NUMBER, /* s, n: sign, digits, letters, dots: checked by the user */
    TOK_NAME,   /* s, n: an identifier (True, False, ...) */
};

struct tok {
    enum tok_kind kind;
    const char *s;
    size_t n;
};

struct lexer {
    const struct npy_src *src;
    const char *start;
    const char *p;
    const char *end;
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

static const char *tok_what(enum tok_kind kind)
{
    static const char *const what[] = {
        [TOK_END] = "the end of the header",
        [TOK_LBRACE] = "'{'",
        [TOK_RBRACE] = "'}'",
        [TOK_LPAREN] = "'('",
        [TOK_RPAREN] = "')'",
        [TOK_LBRACKET] = "'['",
        [TOK_RBRACKET] = "']'",
        [TOK_COLON] = "':'",
        [TOK_COMMA] = "','",
        [TOK_STRING] = "a string",
        [TOK_NUMBER] = "a number",
        [TOK_NAME] = "a name",
    };

    return what[kind];
}

static int lex_string(struct lexer *lx, struct tok *t)
{
    char quote = *lx->p;
    const char *q = lx->p + 1;

    while (q < lx->end && *q != quote) {
        if (*q == '\\')
            return npy_fail(lx->src, HETERO_EFORMAT,
                            "escape sequence in a header string at offset "
                            "%zu is not supported",
                            (size_t)(q - lx->start));
        if (*q == '\n')
            break;
        q++;
    }
    if (q == lx->end || *q != quote)
        return npy_fail(lx->src, HETERO_EFORMAT,
                        "unterminated string at offset %zu of the header",
                        (size_t)(lx->p - lx->start));
    t->kind = TOK_STRING;
    t->s = lx->p + 1;
    t->n = (size_t)(q - t->s);
    lx->p = q + 1;
    return 0;
}

/* Reads the next token into *t: 0, or HETERO_EFORMAT for a character that
 * cannot start a token or an unterminated string. */
static int lex_next(struct lexer *lx, struct tok *t)
{
    static const char singles[] = "{}()[]:,";
    static const enum tok_kind single_kinds[] = {
        TOK_LBRACE,   TOK_RBRACE,   TOK_LPAREN, TOK_RPAREN,
        TOK_LBRACKET, TOK_RBRACKET, TOK_COLON,  TOK_COMMA,
    };
    const char *q;
    char c;

    while (lx->p < lx->end && is_space(*lx->p))
        lx->p++;
    t->s = lx->p;
    t->n = 0;
    if (lx->p == lx->end) {
        t->kind = TOK_END;
        return 0;
    }
    c = *lx->p;
    q = c != '\0' ? strchr(singles, c) : NULL;
    if (q) {
        t->kind = single_kinds[q - singles];
        t->n = 1;
        lx->p++;
        return 0;
    }
    if (c == '\'' || c == '"')
        return lex_string(lx, t);
    if (is_digit(c) || c == '-' || c == '+' || c == '.' || is_alpha(c)) {
        t->kind = is_alpha(c) ? TOK_NAME : TOK_NUMBER;
        q = lx->p + 1;
        while (q < lx->end && (is_alpha(*q) || is_digit(*q) || *q == '.'))
            q++;
        t->n = (size_t)(q - lx->p);
        lx->p = q;
        return 0;
    }
    return npy_fail(lx->src, HETERO_EFORMAT,
                    "unexpected character 0x%02x at offset %zu of the header",
                    (unsigned char)c, (size_t)(lx->p - lx->start));
}

static int expect(struct lexer *lx, enum tok_kind kind, const char *where)
{
    struct tok t;
    int ret;

    ret = lex_next(lx, &t);
    if (ret)
        return ret;
    if (t.kind != kind)
        return npy_fail(lx->src, HETERO_EFORMAT,
                        "expected %s %s in the header, found %s",
                        tok_what(kind), where, tok_what(t.kind));
    return 0;
}

/* ---- header values ---- */

static bool tok_is(const struct tok *t, const char *s)
{
    return t->n == strlen(s) && memcmp(t->s, s, t->n) == 0;
}

static int parse_descr(struct lexer *lx, struct npy_header *hdr)
{
    struct tok t;
    char text[40];
    size_t i;
    char type;
    int ret;

    ret = lex_next(lx, &t);
    if (ret)
        return ret;
    if (t.kind == TOK_LBRACKET)
        return npy_fail(lx->src, HETERO_EFORMAT,
                        "structured dtypes (a list as 'descr') are not "
                        "supported");
    if (t.kind != TOK_STRING)
        return npy_fail(lx->src, HETERO_EFORMAT,
                        "'descr' must be a string, found %s",
                        tok_what(t.kind));
    for (i = 0; i < HETERO_ARRAY_SIZE(npy_dtypes); i++) {
        if (tok_is(&t, npy_dtypes[i].descr)) {
            hdr->dtype = npy_dtypes[i].dtype;
            return 0;
        }
    }
    show(text, sizeof(text), t.s, t.n);
    type = t.n > 0 && strchr("<>|=", t.s[0]) ? (t.n > 1 ? t.s[1] : '\0')
                                             : (t.n > 0 ? t.s[0] : '\0');
    if (type == 'O')
        return npy_fail(lx->src, HETERO_EFORMAT,
                        "object arrays ('%s') are not supported", text);
    if (t.n > 0 && t.s[0] == '>')
        return npy_fail(lx->src, HETERO_EFORMAT,
                        "big-endian dtype '%s' is not supported "
                        "(only little-endian '<')",
                        text);
    return npy_fail(lx->src, HETERO_EFORMAT,
                    "unsupported dtype '%s' (supported: <f4 <f8 <c8 <c16 "
                    "<i4 <i8)",
                    text);
}

static int parse_bool(struct lexer *lx, bool *out)
{
    struct tok t;
    char text[40];
    int ret;

    ret = lex_next(lx, &t);
    if (ret)
        return ret;
    if (t.kind == TOK_NAME && tok_is(&t, "True")) {
        *out = true;
        return 0;
    }
    if (t.kind == TOK_NAME && tok_is(&t, "False")) {
        *out = false;
        return 0;
    }
    if (t.kind == TOK_NAME || t.kind == TOK_NUMBER || t.kind == TOK_STRING)
        return npy_fail(lx->src, HETERO_EFORMAT,
                        "'fortran_order' must be True or False, found '%s'",
                        show(text, sizeof(text), t.s, t.n));
    return npy_fail(lx->src, HETERO_EFORMAT,
                    "'fortran_order' must be True or False, found %s",
                    tok_what(t.kind));
}

/* A dimension: decimal digits, an optional '+' or '-' (only "-0" passes)
 * and the 'L' suffix of headers written by Python 2. */
static int parse_dim(const struct npy_src *src, const struct tok *t,
                     size_t *out)
{
    char text[40];
    size_t i = 0;
    size_t n = t->n;
    size_t v = 0;
    bool neg = false;

    show(text, sizeof(text), t->s, t->n);
    if (t->kind != TOK_NUMBER)
        return npy_fail(src, HETERO_EFORMAT,
                        "shape must be a tuple of integers, found %s",
                        tok_what(t->kind));
    if (t->s[0] == '-' || t->s[0] == '+') {
        neg = t->s[0] == '-';
        i++;
    }
    if (n > i + 1 && (t->s[n - 1] == 'L' || t->s[n - 1] == 'l'))
        n--;
    if (i == n)
        return npy_fail(src, HETERO_EFORMAT,
                        "non-integer dimension '%s' in shape", text);
    for (; i < n; i++) {
        if (!is_digit(t->s[i]))
            return npy_fail(src, HETERO_EFORMAT,
                            "non-integer dimension '%s' in shape", text);
        if (hetero__mul_overflow(v, 10, &v) ||
            hetero__add_overflow(v, (size_t)(t->s[i] - '0'), &v))
            return npy_fail(src, HETERO_EFORMAT,
                            "dimension %s in shape overflows size_t", text);
    }
    if (neg && v != 0)
        return npy_fail(src, HETERO_EFORMAT,
                        "negative dimension %s in shape", text);
    *out = v;
    return 0;
}

/* A Python tuple of integers: "()", "(5,)", "(3, 4)", "(3, 4,)". */
static int parse_shape(struct lexer *lx, struct npy_header *hdr)
{
    struct tok t;
    size_t dim = 0;
    int ndim = 0;
    bool comma = false;
    int ret;

    ret = lex_next(lx, &t);
    if (ret)
        return ret;
    if (t.kind != TOK_LPAREN)
        return npy_fail(lx->src, HETERO_EFORMAT,
                        "'shape' must be a tuple, found %s",
                        tok_what(t.kind));
    ret = lex_next(lx, &t);
    if (ret)
        return ret;
    while (t.kind != TOK_RPAREN) {
        if (t.kind == TOK_END)
            return npy_fail(lx->src, HETERO_EFORMAT,
                            "unterminated tuple in 'shape'");
        ret = parse_dim(lx->src, &t, &dim);
        if (ret)
            return ret;
        if (ndim == HETERO_MAX_NDIM)
            return npy_fail(lx->src, HETERO_EFORMAT,
                            "too many dimensions in shape (at most %d)",
                            HETERO_MAX_NDIM);
        hdr->shape[ndim++] = dim;
        ret = lex_next(lx, &t);
        if (ret)
            return ret;
        comma = t.kind == TOK_COMMA;
        if (comma) {
            ret = lex_next(lx, &t);
            if (ret)
                return ret;
        } else if (t.kind != TOK_RPAREN) {
            return npy_fail(lx->src, HETERO_EFORMAT,
                            "expected ',' or ')' in shape, found %s "
                            "(unterminated tuple?)",
                            tok_what(t.kind));
        }
    }
    if (ndim == 1 && !comma)
        return npy_fail(lx->src, HETERO_EFORMAT,
                        "'shape' (%zu) is not a tuple (a 1-tuple needs a "
                        "trailing comma)",
                        hdr->shape[0]);
    hdr->ndim = ndim;
    return 0;
}

/* ---- header dict ---- */

enum npy_key {
    KEY_DESCR = 1 << 0,
    KEY_FORTRAN = 1 << 1,
    KEY_SHAPE = 1 << 2,
};

static const struct {
    const char *name;
    enum npy_key key;
} npy_keys[] = {
    { "descr", KEY_DESCR },
    { "fortran_order", KEY_FORTRAN },
    { "shape", KEY_SHAPE },
};

static int parse_value(struct lexer *lx, enum npy_key key,
                       struct npy_header *hdr)
{
    switch (key) {
    case KEY_DESCR:
        return parse_descr(lx, hdr);
    case KEY_FORTRAN:
        return parse_bool(lx, &hdr->fortran_order);
    case KEY_SHAPE:
        return parse_shape(lx, hdr);
    }
    return HETERO_EFORMAT;
}

/* Parses the dict literal h[0..n) into dtype, shape and fortran_order. */
static int parse_dict(const struct npy_src *src, const char *h, size_t n,
                      struct npy_header *hdr)
{
    struct lexer lx = { .src = src, .start = h, .p = h, .end = h + n };
    unsigned seen = 0;
    struct tok t;
    char text[40];
    size_t i;
    int ret;

    ret = lex_next(&lx, &t);
    if (ret)
        return ret;
    if (t.kind != TOK_LBRACE)
        return npy_fail(src, HETERO_EFORMAT,
                        "header is not a dict literal (starts with %s)",
                        tok_what(t.kind));
    for (;;) {
        enum npy_key key = 0;

        ret = lex_next(&lx, &t);
        if (ret)
            return ret;
        if (t.kind == TOK_RBRACE)
            break;
        if (t.kind == TOK_END)
            return npy_fail(src, HETERO_EFORMAT,
                            "unterminated dict in the header");
        if (t.kind != TOK_STRING)
            return npy_fail(src, HETERO_EFORMAT,
                            "expected a quoted key or '}' in the header "
                            "dict, found %s",
                            tok_what(t.kind));
        show(text, sizeof(text), t.s, t.n);
        for (i = 0; i < HETERO_ARRAY_SIZE(npy_keys); i++) {
            if (tok_is(&t, npy_keys[i].name))
                key = npy_keys[i].key;
        }
        if (!key)
            return npy_fail(src, HETERO_EFORMAT,
                            "unknown key '%s' in the header dict", text);
        if (seen & key)
            return npy_fail(src, HETERO_EFORMAT,
                            "duplicate key '%s' in the header dict", text);
        seen |= key;
        ret = expect(&lx, TOK_COLON, "after a key");
        if (ret)
            return ret;
        ret = parse_value(&lx, key, hdr);
        if (ret)
            return ret;
        ret = lex_next(&lx, &t);
        if (ret)
            return ret;
        if (t.kind == TOK_RBRACE)
            break;
        if (t.kind != TOK_COMMA)
            return npy_fail(src, HETERO_EFORMAT,
                            "expected ',' or '}' after the value of '%s', "
                            "found %s (unterminated dict?)",
                            text, tok_what(t.kind));
    }
    ret = expect(&lx, TOK_END, "after the header dict");
    if (ret)
        return ret;
    for (i = 0; i < HETERO_ARRAY_SIZE(npy_keys); i++) {
        if (!(seen & npy_keys[i].key))
            return npy_fail(src, HETERO_EFORMAT,
                            "missing key '%s' in the header dict",
                            npy_keys[i].name);
    }
    return 0;
}

/*
 * Checks what the parsed header implies: the byte count fits a size_t (the
 * product of the non-zero dimensions too, as numpy does) and the layout is
 * C order. Fortran order is the same layout when at most one dimension is
 * larger than 1, so such arrays are accepted.
 */
static int check_header(const struct npy_src *src, struct npy_header *hdr)
{
    char text[2 + 22 * HETERO_MAX_NDIM];
    size_t bytes = hetero_dtype_size(hdr->dtype);
    bool empty = false;
    int big = 0;
    int i;

    for (i = 0; i < hdr->ndim; i++) {
        if (hdr->shape[i] == 0) {
            empty = true;
            continue;
        }
        big += hdr->shape[i] > 1;
        if (hetero__mul_overflow(bytes, hdr->shape[i], &bytes)) {
            shape_repr(text, sizeof(text), hdr->ndim, hdr->shape);
            return npy_fail(src, HETERO_EFORMAT,
                            "shape %s overflows size_t (element or byte "
                            "count)",
                            text);
        }
    }
    if (hdr->fortran_order && big > 1 && !empty)
        return npy_fail(src, HETERO_EFORMAT,
                        "Fortran-ordered arrays are not supported (save a "
                        "C-ordered copy: np.ascontiguousarray)");
    hdr->nbytes = empty ? 0 : bytes;
    return 0;
}

/* Parses a preamble + header of which the first `avail` bytes are at b
 * (avail may cover the data too); fills *hdr. */
static int parse_head(const struct npy_src *src, const unsigned char *b,
                      size_t avail, struct npy_header *hdr)
{
    size_t off = 0;
    size_t hlen = 0;
    int ret;

    ret = parse_preamble(src, b, avail, &off, &hlen);
    if (ret)
        return ret;
    if (hlen > avail - off)
        return npy_fail(src, HETERO_EFORMAT,
                        "header length %zu runs past the end (%zu bytes "
                        "left)",
                        hlen, avail - off);
    if (hlen > NPY_HEADER_MAX)
        return npy_fail(src, HETERO_EFORMAT,
                        "header length %zu exceeds the limit of %u bytes",
                        hlen, NPY_HEADER_MAX);
    memset(hdr, 0, sizeof(*hdr));
    ret = parse_dict(src, (const char *)b + off, hlen, hdr);
    if (ret)
        return ret;
    ret = check_header(src, hdr);
    if (ret)
        return ret;
    hdr->data_offset = off + hlen;
    return 0;
}

/* ---- reading ---- */

int hetero_npy_parse(hetero_context *ctx, const void *bytes, size_t len,
                     struct hetero_array *out)
{
    struct npy_src src = { .ctx = ctx, .path = NULL };
    struct hetero_array arr;
    struct npy_header hdr;
    int ret;

    if (!bytes || !out)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "npy_parse: bytes and out must not be NULL");
    ret = parse_head(&src, bytes, len, &hdr);
    if (ret)
        return ret;
    if (len - hdr.data_offset < hdr.nbytes)
        return npy_fail(&src, HETERO_EFORMAT,
                        "truncated data: expected %zu bytes, found %zu",
                        hdr.nbytes, len - hdr.data_offset);
    ret = hetero_array_alloc(ctx, hdr.dtype, hdr.ndim, hdr.shape, &arr);
    if (ret)
        return ret;
    if (hdr.nbytes > 0)
        memcpy(arr.data, (const unsigned char *)bytes + hdr.data_offset,
               hdr.nbytes);
    *out = arr;
    return 0;
}

/* Reads up to n bytes; returns how many it got (< n at the end of the file
 * or on an error, which *err then holds). */
static size_t read_full(int fd, void *buf, size_t n, int *err)
{
    unsigned char *p = buf;
    size_t got = 0;

    *err = 0;
    while (got < n) {
        size_t chunk = n - got < (1u << 30) ? n - got : (1u << 30);
        ssize_t r = read(fd, p + got, chunk);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            *err = errno;
            break;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return got;
}

static int read_fail(const struct npy_src *src, int err)
{
    char buf[128];

    return npy_fail(src, HETERO_EIO, "read failed: %s",
                    errno_text(err, buf, sizeof(buf)));
}

/* Reads the preamble and header from fd into a new buffer *head_out
 * (hetero__free it) and parses them into *hdr. */
static int read_head(const struct npy_src *src, int fd,
                     unsigned char **head_out, struct npy_header *hdr)
{
    unsigned char pre[NPY_PREAMBLE_MAX];
    unsigned char *head;
    size_t off = 0;
    size_t hlen = 0;
    size_t got;
    int err;
    int ret;

    got = read_full(fd, pre, NPY_VERSION_END, &err);
    if (got == NPY_VERSION_END)
        got += read_full(fd, pre + got, pre[6] == 1 ? 2 : 4, &err);
    if (err)
        return read_fail(src, err);
    ret = parse_preamble(src, pre, got, &off, &hlen);
    if (ret)
        return ret;
    if (hlen > NPY_HEADER_MAX)
        return npy_fail(src, HETERO_EFORMAT,
                        "header length %zu exceeds the limit of %u bytes",
                        hlen, NPY_HEADER_MAX);
    head = hetero__malloc(off + hlen);
    if (!head)
        return npy_fail(src, HETERO_ENOMEM, "no memory for the header");
    memcpy(head, pre, off);
    got = read_full(fd, head + off, hlen, &err);
    if (err) {
        ret = read_fail(src, err);
        goto out_free_head;
    }
    ret = parse_head(src, head, off + got, hdr);
    if (ret)
        goto out_free_head;
    *head_out = head;
    return 0;

out_free_head:
    hetero__free(head);
    return ret;
}

int hetero_npy_read(hetero_context *ctx, const char *path,
                    struct hetero_array *out)
{
    struct npy_src src = { .ctx = ctx, .path = path };
    struct hetero_array arr;
    struct npy_header hdr;
    unsigned char *head = NULL;
    struct stat st;
    char buf[128];
    size_t got;
    int err;
    int fd;
    int ret;

    if (!path || !out)
        return hetero__errf(ctx, HETERO_EINVAL,
                            "npy_read: path and out must not be NULL");
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        err = errno;
        return npy_fail(&src, err == ENOENT ? HETERO_ENOENT : HETERO_EIO,
                        "cannot open: %s", errno_text(err, buf, sizeof(buf)));
    }
    if (fstat(fd, &st) != 0) {
        ret = npy_fail(&src, HETERO_EIO, "fstat failed: %s",
                       errno_text(errno, buf, sizeof(buf)));
        goto out_close;
    }
    if (S_ISDIR(st.st_mode)) {
        ret = npy_fail(&src, HETERO_EIO, "is a directory");
        goto out_close;
    }
    ret = read_head(&src, fd, &head, &hdr);
    if (ret)
        goto out_close;
    /* Refuse a shape the file cannot hold before allocating for it. */
    if (S_ISREG(st.st_mode) && st.st_size >= 0 &&
        (unsigned long long)st.st_size - hdr.data_offset < hdr.nbytes) {
        ret = npy_fail(&src, HETERO_EFORMAT,
                       "truncated data: expected %zu bytes, found %llu",
                       hdr.nbytes,
                       (unsigned long long)st.st_size - hdr.data_offset);
        goto out_free_head;
    }
    ret = hetero_array_alloc(ctx, hdr.dtype, hdr.ndim, hdr.shape, &arr);
    if (ret)
        goto out_free_head;
    got = read_full(fd, arr.data, hdr.nbytes, &err);
    if (err) {
        ret = read_fail(&src, err);
        goto out_free_array;
    }
    if (got < hdr.nbytes) {
        ret = npy_fail(&src, HETERO_EFORMAT,
                       "truncated data: expected %zu bytes, found %zu",
                       hdr.nbytes, got);
        goto out_free_array;
    }
    *out = arr;
    hetero__free(head);
    close(fd);
    return 0;

out_free_array:
    hetero_array_free(&arr);
out_free_head:
    hetero__free(head);
out_close:
    close(fd);
    return ret;
}

/* ---- writing ---- */

/*
 * Formats the preamble and header of `a` into buf as numpy 1.0 does: sorted
 * keys, room for the first axis to grow to 21 digits, then spaces and '\n'
 * up to a multiple of 64 bytes (a full 64 more when already aligned, as
 * numpy does). Returns the length. With at most 8 dimensions the header
 * stays far below 65535 bytes, so version 1.0 always suffices.
 */
static size_t build_header(char *buf, size_t size, const struct hetero_array *a,
                           const char *descr)
{
    char shape[2 + 22 * HETERO_MAX_NDIM];
    size_t n = NPY_VERSION_END + 2;
    size_t hlen;
    size_t pad;

    shape_repr(shape, sizeof(shape), a->ndim, a->shape);
    n += (size_t)snprintf(buf + n, size - n,
                          "{'descr': '%s', 'fortran_order': False, "
                          "'shape': %s, }",
                          descr, shape);
    if (a->ndim > 0) {
        char first[24];
        size_t digits = (size_t)snprintf(first, sizeof(first), "%zu",
                                         a->shape[0]);

        pad = NPY_GROWTH_DIGITS - digits;
        memset(buf + n, ' ', pad);
        n += pad;
    }
    pad = NPY_ALIGN - (n + 1) % NPY_ALIGN;
    memset(buf + n, ' ', pad);
    n += pad;
    buf[n++] = '\n';
    hlen = n - (NPY_VERSION_END + 2);
    memcpy(buf, NPY_MAGIC, NPY_MAGIC_LEN);
    buf[6] = 1;
    buf[7] = 0;
    buf[8] = (char)(hlen & 0xff);
    buf[9] = (char)(hlen >> 8);
    return n;
}

/* Writes all n bytes; returns 0 or an errno value. */
static int write_full(int fd, const void *buf, size_t n)
{
    const unsigned char *p = buf;

    while (n > 0) {
        size_t chunk = n < (1u << 30) ? n : (1u << 30);
        ssize_t w = write(fd, p, chunk);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return errno;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Creates "<path>.tmp.<pid>.<k>" exclusively, for the first k that is free.
 * *tmp_out is the name (hetero__free it). */
static int open_temp(const struct npy_src *src, const char *path,
                     char **tmp_out, int *fd_out)
{
    size_t size = strlen(path) + 48;
    char buf[128];
    char *tmp = NULL;
    int k;
    int fd = -1;
    int err = 0;

    tmp = hetero__malloc(size);
    if (!tmp)
        return npy_fail(src, HETERO_ENOMEM, "no memory for the temp name");
    for (k = 0; k < NPY_TEMP_TRIES; k++) {
        snprintf(tmp, size, "%s.tmp.%ld.%d", path, (long)getpid(), k);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0)
            break;
        err = errno;
        if (err != EEXIST)
            break;
    }
    if (fd < 0) {
        npy_fail(src, HETERO_EIO, "cannot create a temporary file: %s",
                 errno_text(err, buf, sizeof(buf)));
        hetero__free(tmp);
        return HETERO_EIO;
    }
    *tmp_out = tmp;
    *fd_out = fd;
    return 0;
}

int hetero_npy_write(hetero_context *ctx, const char *path,
                     const struct hetero_array *a)
{
    struct npy_src src = { .ctx = ctx, .path = path };
    char head[NPY_WRITE_HEADER_MAX];
    const char *descr;
    char buf[128];
    size_t nbytes;
    size_t hlen;
    char *tmp = NULL;
    int err;
    int fd = -1;
    int ret;

    if (!path || !a || path[0] == '\0')
        return hetero__errf(ctx, HETERO_EINVAL,
                            "npy_write: path and array must not be NULL "
                            "or empty");
    descr = dtype_descr(a->dtype);
    if (!descr)
        return npy_fail(&src, HETERO_EINVAL, "invalid dtype %d",
                        (int)a->dtype);
    if (a->ndim < 0 || a->ndim > HETERO_MAX_NDIM)
        return npy_fail(&src, HETERO_EINVAL, "ndim %d out of range 0..%d",
                        a->ndim, HETERO_MAX_NDIM);
    if (hetero_array_nbytes(a, &nbytes) != 0)
        return npy_fail(&src, HETERO_EINVAL,
                        "the array's byte count overflows size_t");
    if (nbytes > 0 && !a->data)
        return npy_fail(&src, HETERO_EINVAL, "array data is NULL");
    hlen = build_header(head, sizeof(head), a, descr);

    ret = open_temp(&src, path, &tmp, &fd);
    if (ret)
        return ret;
    err = write_full(fd, head, hlen);
    if (!err && nbytes > 0)
        err = write_full(fd, a->data, nbytes);
    if (close(fd) != 0 && !err)
        err = errno;
    if (err) {
        ret = npy_fail(&src, HETERO_EIO, "write failed: %s",
                       errno_text(err, buf, sizeof(buf)));
        goto out_unlink;
    }
    if (rename(tmp, path) != 0) {
        ret = npy_fail(&src, HETERO_EIO, "cannot rename %s over it: %s", tmp,
                       errno_text(errno, buf, sizeof(buf)));
        goto out_unlink;
    }
    hetero__free(tmp);
    return 0;

out_unlink:
    unlink(tmp);
    hetero__free(tmp);
    return ret;
}
