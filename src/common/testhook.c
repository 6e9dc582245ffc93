/* testhook.c - test-only environment hooks: read in test builds, refused in the others. */
#include "common/testhook.h"

#include <errno.h>
#include <stdlib.h>

const char *const sc_testhook_names[] = {
    "SEALCA_RA_CLOCK_OFFSET", /* seconds added to the registration service's clock (ra/fulfil.c) */
    "SEALCA_CRASH_AT",        /* store_crashpoint label at which the process _exit(99)s */
    NULL,
};

#ifdef SEALCA_TEST_HOOKS
int sc_testhooks_enabled(void)
{
    return 1;
}

const char *sc_testhook(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : NULL;
}
#else
int sc_testhooks_enabled(void)
{
    return 0;
}

const char *sc_testhook(const char *name)
{
    (void)name;
    return NULL;
}
#endif

int sc_testhook_check(sc_err *e)
{
    if (sc_testhooks_enabled()) return 0;
    for (size_t i = 0; sc_testhook_names[i] != NULL; i++)
        if (getenv(sc_testhook_names[i]) != NULL)
            return sc_fail(e, SC_EINVAL, "testhook.refused",
                           "%s 是测试钩子，本程序不是测试构建，拒绝运行；请删除该环境变量 "
                           "(%s is a test hook; this build has no test hooks and refuses to run "
                           "while it is set: unset it)",
                           sc_testhook_names[i], sc_testhook_names[i]);
    return 0;
}

int sc_testhook_seconds(const char *name, int64_t *v, sc_err *e)
{
    *v = 0;
    const char *s = sc_testhook(name);
    if (s == NULL) return 0;
    char *end = NULL;
    errno = 0;
    long long n = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || n < -10000000000LL || n > 10000000000LL)
        return sc_fail(e, SC_EINVAL, "testhook.bad_value",
                       "%s 须为整数秒数 (%s must be whole seconds, -10000000000..10000000000)",
                       name, name);
    *v = (int64_t)n;
    return 0;
}
