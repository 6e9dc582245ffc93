/* fuzz_ident.c - libFuzzer target: identity checkers never misbehave and masks reveal <= 8 chars.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pki/ident.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what)
{
    fprintf(stderr, "fuzz_ident: %s\n", what);
    abort();
}

/* Independent GB 11643-1999 checksum, to catch the checker accepting a bad number. */
static int id_sum_ok(const char *s)
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (s[i] - '0') * w[i];
    char c = s[17] == 'x' ? 'X' : s[17];
    return "10X98765432"[sum % 11] == c;
}

static int uscc_sum_ok(const char *s)
{
    static const char A[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    static const int w[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (int)(strchr(A, s[i]) - A) * w[i];
    return A[(31 - sum % 31) % 31] == s[17];
}

static void check_mask(const char *s, size_t outsz)
{
    char out[128];
    memset(out, 0x5A, sizeof(out));
    ident_mask(s, out, outsz);
    if (outsz == 0) {
        if ((unsigned char)out[0] != 0x5A) die("mask wrote into a zero-size buffer");
        return;
    }
    size_t n = strnlen(out, outsz);
    if (n == outsz) die("mask output not terminated within outsz");
    if ((unsigned char)out[outsz] != 0x5A && outsz < sizeof(out)) die("mask wrote past outsz");
    size_t shown = 0, slen = strlen(s);
    for (size_t i = 0; i < n; i++) {
        if (out[i] == '*') continue;
        shown++;
        if (i >= slen || out[i] != s[i]) die("mask output is not a masked copy");
    }
    if (shown > 8) die("mask reveals more than 8 characters");
    /* Mobiles keep 3 + 4 of 11 by design; everything else keeps at most half. */
    if (slen != 11 && shown * 2 > slen) die("mask reveals more than half of the input");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL) return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    sc_err e = {0};
    if (ident_check_resident_id(s, &e) == 0) {
        if (strlen(s) != 18 || !id_sum_ok(s)) die("accepted a bad resident ID");
    } else if (e.code[0] == '\0' || (strlen(s) >= 18 && strstr(e.msg, s) != NULL)) {
        die("resident ID error without code, or echoing the number");
    }
    sc_err e2 = {0};
    int warn = -1;
    if (ident_check_uscc(s, &warn, &e2) == 0) {
        if (strlen(s) != 18 || !uscc_sum_ok(s) || (warn != 0 && warn != 1))
            die("accepted a bad USCC");
    } else if (e2.code[0] == '\0' || warn != -1) {
        die("USCC error without code, or warning touched");
    }
    sc_err e3 = {0};
    if (ident_check_mobile(s, &e3) == 0) {
        if (strlen(s) != 11 || s[0] != '1' || s[1] < '3' || s[1] > '9')
            die("accepted a bad mobile number");
    } else if (e3.code[0] == '\0') {
        die("mobile error without code");
    }
    const size_t sizes[] = {0, 1, 4, 5, 12, 18, 19, 64, 65, 127};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        check_mask(s, sizes[i]);
    free(s);
    return 0;
}
