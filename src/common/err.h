/* err.h - sealca's error convention: int status + caller-owned sc_err with a stable code. */
#ifndef SEALCA_ERR_H
#define SEALCA_ERR_H

#include <stddef.h>

/*
 * Every fallible function returns 0 on success or a negative SC_E* value, and,
 * when the caller passes a non-NULL sc_err, fills it with a stable machine code
 * (e.g. "csr.bad_signature") and a human message. The first error set wins:
 * callers up the stack may add nothing, so the message names the real cause.
 * Messages never contain secrets (keys, passphrases, whole ID numbers).
 */
enum {
    SC_OK = 0,
    SC_EINVAL = -1,    /* bad input from outside: refuse, change nothing */
    SC_ENOMEM = -2,    /* allocation failed */
    SC_EIO = -3,       /* file / OS error */
    SC_ECRYPTO = -4,   /* cryptographic operation failed */
    SC_ENOTFOUND = -5, /* no such object */
    SC_EEXIST = -6,    /* object exists / unique constraint */
    SC_ESTATE = -7,    /* operation not allowed in the object's state */
    SC_ERETRY = -8,    /* transient (busy, serialization): caller may retry */
    SC_ETOOBIG = -9,   /* input exceeds a size limit */
    SC_EVERIFY = -10,  /* signature / integrity check failed */
    SC_EINTERNAL = -11 /* bug or unexpected library failure */
};

typedef struct sc_err {
    int status;    /* the SC_E* value */
    char code[48]; /* stable machine code, e.g. "subject.bad_attribute" */
    char msg[400]; /* human message (English; UI layers translate by code) */
} sc_err;

/* Record an error if none is recorded yet; returns status so callers can `return sc_fail(...)`. */
int sc_fail(sc_err *e, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Append OpenSSL's error queue (first entry) to the message, then clear the queue. */
int sc_fail_ossl(sc_err *e, int status, const char *code, const char *what);
void sc_err_clear(sc_err *e);
const char *sc_strstatus(int status);

#endif
