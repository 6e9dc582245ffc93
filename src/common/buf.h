/* buf.h - length-carrying byte buffers: DER and network data never go through strlen. */
#ifndef SEALCA_BUF_H
#define SEALCA_BUF_H

#include <stddef.h>
#include <stdint.h>

/* A view: does not own its bytes. */
typedef struct sc_slice {
    const uint8_t *p;
    size_t len;
} sc_slice;

/* A growable owned buffer. Zero-initialise, then append; sc_buf_free (or _wipe) releases. */
typedef struct sc_buf {
    uint8_t *p;
    size_t len;
    size_t cap;
    int oom; /* sticky: set when an allocation failed; every later append is a no-op */
} sc_buf;

int sc_buf_reserve(sc_buf *b, size_t extra);
int sc_buf_append(sc_buf *b, const void *p, size_t n);
int sc_buf_putc(sc_buf *b, uint8_t c);
void sc_buf_free(sc_buf *b);
/* Zero the bytes (secrets), then free. */
void sc_buf_wipe(sc_buf *b);
/* Take ownership of the bytes out of b (b becomes empty). Caller frees with free(). */
uint8_t *sc_buf_steal(sc_buf *b, size_t *len);

/* Hex helpers. hex_encode writes 2*n chars + NUL into out (size >= 2n+1). */
void sc_hex_encode(const uint8_t *p, size_t n, char *out, int upper);
/* Decodes exactly; returns number of bytes or -1 on bad hex / too long for outcap. */
long sc_hex_decode(const char *hex, uint8_t *out, size_t outcap);

/* Read a whole file of at most maxlen bytes. Returns 0, SC_EIO, SC_ETOOBIG. Caller frees *out. */
int sc_file_read(const char *path, size_t maxlen, uint8_t **out, size_t *outlen);
/* Write atomically: temp file in the same directory, fsync, rename. mode e.g. 0600. */
int sc_file_write_atomic(const char *path, const void *p, size_t n, int mode);
/* Constant-time comparison: 0 when equal. */
int sc_memeq_ct(const void *a, const void *b, size_t n);
/* Wipe memory so the compiler cannot elide it. */
void sc_wipe(void *p, size_t n);

#endif
