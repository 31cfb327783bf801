/* patch_fuzz.c - libFuzzer target for the patch file as the runtime checks
 * it (dsu_check_patch in dsu_load.c: header, checksums, flags, signature
 * policy, the payload's ELF structure) and for the trusted key file's
 * parser. Mutated bytes rarely pass a 64-bit checksum, so the input is also
 * used as the payload of a patch whose header and checksums are made right
 * here: that is what reaches dsu_check_elf, the check a forger who
 * recomputes checksums would aim at. No byte is ever dlopen'ed.
 *
 *   ninja -C build dsu-fuzz-patch
 *   DSU_DISABLE=1 build/bin/dsu-fuzz-patch build/fuzz/patch \
 *       runtime/fuzz/patch_corpus -max_total_time=600
 */
#include "dsu_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[512];
  struct dsu_patch_header hdr;
  if (size > 1 << 20)
    return 0;
  /* 1. The bytes as a whole patch file. */
  char *buf = malloc(size + 1);
  if (!buf)
    return 0;
  memcpy(buf, data, size);
  dsu_check_patch(buf, size, "fuzz", &hdr, err, sizeof err);
  free(buf);

  /* 2. The bytes as the payload (and a short plan) of a well-formed file. */
  static const char plan[] = "patch a -> b\n";
  size_t total = sizeof hdr + size + sizeof plan - 1;
  buf = malloc(total);
  if (!buf)
    return 0;
  memset(&hdr, 0, sizeof hdr);
  memcpy(hdr.magic, DSU_PATCH_MAGIC, 8);
  hdr.format = DSU_PATCH_FORMAT;
  hdr.header_size = sizeof hdr;
  memcpy(hdr.base_version, "a", 1);
  memcpy(hdr.target_version, "b", 1);
  hdr.payload_size = size;
  hdr.payload_hash = dsu_fnv1a64(data, size);
  hdr.plan_size = sizeof plan - 1;
  hdr.plan_hash = dsu_fnv1a64(plan, sizeof plan - 1);
  hdr.header_hash = dsu_fnv1a64(&hdr, sizeof hdr);
  memcpy(buf, &hdr, sizeof hdr);
  memcpy(buf + sizeof hdr, data, size);
  memcpy(buf + sizeof hdr + size, plan, sizeof plan - 1);
  dsu_check_patch(buf, total, "fuzz", &hdr, err, sizeof err);
  free(buf);

  /* 3. The bytes as a trusted key file. */
  if (size < 4096)
    dsu_parse_trusted_keys((const char *)data, size, err, sizeof err);
  return 0;
}
