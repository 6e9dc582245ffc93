/* fuzz_token.c - libFuzzer target: the software USB key's file parser and the online unlock
 * request parser (both read files a holder or a network hands us). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "token/token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    token *t = NULL;
    sc_err e = {0};
    int rc = token_parse(data, size, &t, &e);
    if (rc == 0) {
        /* an accepted file has a serial, sane counters and closed contents */
        if (t == NULL || !t->serial[0] || t->user_tries > t->user_max || t->open || e.status)
            abort();
        token_free(t);
    } else if (t != NULL || e.status == 0 || e.code[0] == 0) {
        abort(); /* every refusal names its cause and returns nothing */
    }
    token_unlock_req q;
    sc_err qe = {0};
    if (token_unlock_req_parse(data, size, &q, &qe) != 0 && qe.code[0] == 0) abort();
    return 0;
}
