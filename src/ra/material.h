/* material.h - uploaded application materials: what they are (by content), their SM3 hash, and
 * previews for the reviewer. */
#ifndef SEALCA_RA_MATERIAL_H
#define SEALCA_RA_MATERIAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "ra/vault.h"

/* Limits on one file (the per-order total is ra-core's). */
#define MATERIAL_MAX_BYTES  (10u * 1024 * 1024) /* one uploaded file */
#define MATERIAL_MAX_DIM    12000               /* image width or height, pixels */
#define MATERIAL_MAX_PIXELS (64u * 1024 * 1024) /* width * height of an image */

/*
 * Content type from the bytes (never the name): "application/pdf", "image/jpeg", "image/png".
 * Not only the magic number: the structure is walked without decoding —
 *   PNG:  signature, IHDR first (13 bytes, sane size), every chunk's CRC, at least one IDAT,
 *         IEND last with nothing after it;
 *   JPEG: SOI, well-formed marker segments, a SOF with sane size before the first SOS, entropy
 *         data with valid markers only, EOI as the last two bytes;
 *   PDF:  "%PDF-1.0".."%PDF-2.0" at offset 0, "startxref <offset>" with the offset inside the
 *         file, then "%%EOF" with only whitespace after it.
 * *mime points to a static string. Errors: SC_ETOOBIG (over MATERIAL_MAX_BYTES or image
 * dimensions), SC_EINVAL "material.unsupported_type" (not one of the three) or
 * "material.damaged" (the type is recognised but the structure is broken).
 */
int material_sniff(const uint8_t *d, size_t n, const char **mime, sc_err *e);

/* SM3 of the bytes: raw (32 bytes) and as 64 lower-case hex characters + NUL. */
void material_sm3(const uint8_t *d, size_t n, uint8_t out[32]);
void material_sm3_hex(const uint8_t *d, size_t n, char out[65]);

/*
 * A PNG preview no larger than max_px x max_px (aspect kept, never enlarged): images are decoded
 * (libpng / libjpeg, dimension limits above; alpha composed on white), PDFs have page 1 rendered
 * with poppler. The caller frees png. Also the full decoding check: a file that sniffs as an image
 * but does not decode is refused here with "material.damaged". max_px in 16..4096.
 */
int material_preview(const uint8_t *d, size_t n, int max_px, sc_buf *png, sc_err *e);

/*
 * At rest: check the bytes (material_sniff), compute their SM3, and seal them under the data key
 * with the label "material:<id>" (id: the material row, 1..2^63-1). sealed is appended to; mime
 * and sm3_hex (64 hex + NUL) describe the plaintext. Nothing is sealed when the check fails.
 */
int material_seal(vault *v, int64_t id, const uint8_t *d, size_t n, sc_buf *sealed,
                  const char **mime, char sm3_hex[65], sc_err *e);
/* Unseal a material and check it against the SM3 recorded at upload: SC_EVERIFY
 * "vault.bad_tag" (wrong row or tampered) or "material.hash_mismatch". */
int material_open(vault *v, int64_t id, const uint8_t *sealed, size_t n, const char *sm3_hex,
                  sc_buf *out, sc_err *e);

/* Pages of a PDF (1 for images), after a full parse; for the reviewer's "n pages" line. */
int material_pages(const uint8_t *d, size_t n, int *pages, sc_err *e);

#endif
