/* err.c - filling the caller's sc_err. */
#include "common/err.h"

#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int sc_fail(sc_err *e, int status, const char *code, const char *fmt, ...)
{
    if (e == NULL || e->status != 0) return status;
    e->status = status;
    snprintf(e->code, sizeof(e->code), "%s", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    return status;
}

int sc_fail_ossl(sc_err *e, int status, const char *code, const char *what)
{
    unsigned long l = ERR_peek_last_error();
    char buf[200] = "";
    if (l != 0) ERR_error_string_n(l, buf, sizeof(buf));
    ERR_clear_error();
    if (buf[0]) return sc_fail(e, status, code, "%s (%s)", what, buf);
    return sc_fail(e, status, code, "%s", what);
}

void sc_err_clear(sc_err *e)
{
    if (e != NULL) memset(e, 0, sizeof(*e));
}

const char *sc_strstatus(int status)
{
    switch (status) {
    case SC_OK:
        return "ok";
    case SC_EINVAL:
        return "invalid input";
    case SC_ENOMEM:
        return "out of memory";
    case SC_EIO:
        return "I/O error";
    case SC_ECRYPTO:
        return "cryptographic failure";
    case SC_ENOTFOUND:
        return "not found";
    case SC_EEXIST:
        return "already exists";
    case SC_ESTATE:
        return "not allowed in this state";
    case SC_ERETRY:
        return "busy, retry";
    case SC_ETOOBIG:
        return "too large";
    case SC_EVERIFY:
        return "verification failed";
    default:
        return "internal error";
    }
}
