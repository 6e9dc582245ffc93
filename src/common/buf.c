/* buf.c - growable buffers, hex, bounded file I/O, constant-time helpers. */
#include "common/buf.h"
#include "common/err.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int sc_buf_reserve(sc_buf *b, size_t extra)
{
    if (b->oom) return SC_ENOMEM;
    if (extra <= b->cap - b->len) return 0;
    size_t need = b->len + extra;
    if (need < b->len) {
        b->oom = 1;
        return SC_ENOMEM;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    uint8_t *np = realloc(b->p, cap);
    if (np == NULL) {
        b->oom = 1;
        return SC_ENOMEM;
    }
    b->p = np;
    b->cap = cap;
    return 0;
}

int sc_buf_append(sc_buf *b, const void *p, size_t n)
{
    if (n == 0) return b->oom ? SC_ENOMEM : 0;
    if (sc_buf_reserve(b, n) != 0) return SC_ENOMEM;
    memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

int sc_buf_putc(sc_buf *b, uint8_t c)
{
    return sc_buf_append(b, &c, 1);
}

void sc_buf_free(sc_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

void sc_buf_wipe(sc_buf *b)
{
    if (b->p != NULL) OPENSSL_cleanse(b->p, b->cap);
    sc_buf_free(b);
}

uint8_t *sc_buf_steal(sc_buf *b, size_t *len)
{
    uint8_t *p = b->p;
    if (len != NULL) *len = b->len;
    memset(b, 0, sizeof(*b));
    return p;
}

void sc_hex_encode(const uint8_t *p, size_t n, char *out, int upper)
{
    const char *d = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[p[i] >> 4];
        out[2 * i + 1] = d[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

long sc_hex_decode(const char *hex, uint8_t *out, size_t outcap)
{
    size_t n = strlen(hex);
    if (n % 2 != 0 || n / 2 > outcap) return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return (long)(n / 2);
}

int sc_file_read(const char *path, size_t maxlen, uint8_t **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return SC_EIO;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return SC_EIO;
    }
    if ((unsigned long long)st.st_size > maxlen) {
        close(fd);
        return SC_ETOOBIG;
    }
    size_t cap = (size_t)st.st_size + 1;
    uint8_t *p = malloc(cap);
    if (p == NULL) {
        close(fd);
        return SC_ENOMEM;
    }
    size_t len = 0;
    for (;;) {
        if (len == cap - 1) { /* file grew: allow up to maxlen */
            if (len >= maxlen) {
                /* one more byte would exceed the limit? probe */
                char c;
                ssize_t r = read(fd, &c, 1);
                if (r > 0) {
                    free(p);
                    close(fd);
                    return SC_ETOOBIG;
                }
                break;
            }
            size_t ncap = cap * 2 > maxlen + 1 ? maxlen + 1 : cap * 2;
            uint8_t *np = realloc(p, ncap);
            if (np == NULL) {
                free(p);
                close(fd);
                return SC_ENOMEM;
            }
            p = np;
            cap = ncap;
        }
        ssize_t r = read(fd, p + len, cap - 1 - len);
        if (r < 0) {
            if (errno == EINTR) continue;
            free(p);
            close(fd);
            return SC_EIO;
        }
        if (r == 0) break;
        len += (size_t)r;
    }
    close(fd);
    p[len] = 0; /* convenience NUL; not counted */
    *out = p;
    *outlen = len;
    return 0;
}

int sc_file_write_atomic(const char *path, const void *p, size_t n, int mode)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
        return SC_EINVAL;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) return SC_EIO;
    const uint8_t *q = p;
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, q + off, n - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            close(fd);
            unlink(tmp);
            return SC_EIO;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        unlink(tmp);
        return SC_EIO;
    }
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        return SC_EIO;
    }
    return 0;
}

int sc_memeq_ct(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) != 0;
}

void sc_wipe(void *p, size_t n)
{
    if (p != NULL) OPENSSL_cleanse(p, n);
}
