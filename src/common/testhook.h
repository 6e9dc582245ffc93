/* testhook.h - environment test hooks (clock offset, crash points): honoured only in test builds.
 */
#ifndef SEALCA_TESTHOOK_H
#define SEALCA_TESTHOOK_H

#include <stdint.h>

#include "common/err.h"

/*
 * A test hook is an environment variable that lets a test reach a state production must never
 * reach: the registration service's clock moved (SEALCA_RA_CLOCK_OFFSET) or the process killed
 * in the middle of a write (SEALCA_CRASH_AT). Only builds compiled with -DSEALCA_TEST_HOOKS (the
 * sanitizer build that `make test` runs: build/asan/…) honour them. A build without it refuses
 * to run at all while one is set (sc_testhook_check, called first thing by the CLI), so an
 * operator who copies a test's environment gets an error, never a silently shifted clock.
 *
 * Real configuration (SEALCA_HOME, SEALCA_SM2_ENGINE, SEALCA_SM2_IMPL, SEALCA_WEB_ROOT,
 * SEALCA_TOKEN_STATE, SEALCA_TOKEN_KDF_MEM, passphrases and PINs) is not a hook.
 */

/* NULL-terminated list of every hook variable's name. */
extern const char *const sc_testhook_names[];

/* 1 in a build that honours test hooks, 0 otherwise. */
int sc_testhooks_enabled(void);

/* The value of hook NAME (one of sc_testhook_names) in a test build; NULL when it is unset or
 * empty, and always NULL in a build without hooks. The string belongs to the environment. */
const char *sc_testhook(const char *name);

/* 0 when the build honours hooks or none is set. Otherwise SC_EINVAL testhook.refused naming the
 * first variable set (even to the empty string): "测试钩子 … (test hook … refused)". */
int sc_testhook_check(sc_err *e);

/* Hook NAME as whole seconds, -10^10..10^10 (about ±317 years), into *v: 0 with *v = 0 when
 * unset; SC_EINVAL testhook.bad_value naming the variable when it is not such an integer. */
int sc_testhook_seconds(const char *name, int64_t *v, sc_err *e);

#endif
