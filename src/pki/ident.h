/* ident.h - validation and masking of Chinese identity numbers (resident ID, USCC, mobile). */
#ifndef SEALCA_IDENT_H
#define SEALCA_IDENT_H

#include <stddef.h>

#include "common/err.h"

/*
 * Contract shared by the checkers:
 *  - `s` is a NUL-terminated string owned by the caller; it is only read, never kept.
 *    At most IDENT_MAX_INPUT bytes are examined, so an unterminated or huge input is
 *    refused as "wrong length" rather than scanned to the end.
 *  - Return 0 when valid, SC_EINVAL when not (with `e` filled when non-NULL).
 *    A NULL `s` is SC_EINVAL with the "..._length" code.
 *  - Error messages never contain the number itself (it is personal data); they name
 *    the position of the offending character at most.
 */
#define IDENT_MAX_INPUT 64

/*
 * GB 11643-1999 citizen identity number, 18 characters:
 *   positions 1-6  address code (GB/T 2260); the first two digits must be a province-level
 *                  code (11-15, 21-23, 31-37, 41-46, 50-54, 61-65, 71, 81, 82, 83);
 *   positions 7-14 birth date YYYYMMDD: a real Gregorian date, 1900-01-01 .. today (UTC+8);
 *   positions 15-17 sequence code; position 18 check character (GB 11643-1999 §6.2,
 *                  ISO 7064 MOD 11-2): "10X98765432"[sum(a_i * w_i) mod 11].
 * A lowercase 'x' check character is accepted (people type it) and treated as 'X';
 * callers that store or compare the number must upper-case it first.
 * Errors (checked in this order): ident.id_length, ident.id_chars, ident.id_checksum,
 * ident.id_region, ident.id_birthdate.
 */
int ident_check_resident_id(const char *s, sc_err *e);

/*
 * GB 32100-2015 Unified Social Credit Code, 18 characters over the alphabet
 * "0123456789ABCDEFGHJKLMNPQRTUWXY" (no I, O, S, V, Z; uppercase only - lowercase is
 * refused with ident.uscc_chars so that stored codes have one spelling):
 *   position 1   registration authority: 1-9, A, N or Y (GB 32100-2015 table 1);
 *   position 2   organisation category: 1-9;
 *   positions 3-8 administrative division code (GB/T 2260): digits;
 *   positions 9-17 organisation code (GB 11714-1997), including its own check character;
 *   position 18  check character: alphabet[(31 - sum(v_i * w_i) mod 31) mod 31].
 * The embedded GB 11714 check is NOT an error: some genuine early codes fail it. When it
 * fails, the function returns 0 and sets *warning = 1 so an operator can confirm; when it
 * passes, *warning = 0. `warning` may be NULL; it is not touched when the code is refused.
 * Errors (in this order): ident.uscc_length, ident.uscc_chars, ident.uscc_checksum,
 * ident.uscc_authority, ident.uscc_category, ident.uscc_region.
 */
int ident_check_uscc(const char *s, int *warning, sc_err *e);

/*
 * Mainland China mobile number: exactly 11 digits, "1" then 3-9 (no "+86", no spaces).
 * Errors: ident.mobile_length, ident.mobile_chars, ident.mobile_prefix.
 */
int ident_check_mobile(const char *s, sc_err *e);

/*
 * Write a masked copy of `s` for logs and screens into out[outsz] (always NUL-terminated
 * when outsz > 0; never more than 8 characters of `s` are revealed):
 *   18 characters (ID, USCC): first 4 and last 4 kept, e.g. "1101**********002X";
 *   11 characters (mobile):   first 3 and last 4 kept, e.g. "138****8000";
 *   other lengths: floor(len/4) (at most 4) kept at each end, the rest '*'.
 * Input that is NULL, longer than IDENT_MAX_INPUT or not printable ASCII becomes "****".
 * If out is too small for the masked form, out becomes "" (a truncated mask would mislead).
 */
void ident_mask(const char *s, char *out, size_t outsz);

#endif
