#ifndef BTM_PE_SIGNED_H
#define BTM_PE_SIGNED_H

/*
 * What Authenticode changes in a PE it signs: the optional header's checksum and certificate-table
 * entry, and a certificate table appended at the end of the file (after up to 7 zeros aligning it
 * to 8). BTM's formats that end a PE with their own trailer (binpress, psp) are read "as packed":
 * without those, so the signature and the format's own checks both hold. The C# twin is
 * tools/Btm.Core/Platforms/PeSignature.cs.
 */
#include <stdint.h>
#include <string.h>

static inline uint32_t pe_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * Where the checksum (*checksum) and the certificate-table entry (returned) are in a PE whose
 * first size bytes are head; 0 when head is no PE with a certificate-table entry.
 */
static inline uint64_t pe_signature_fields(const uint8_t *head, uint64_t size, uint64_t *checksum) {
  if (size < 0x40 || head[0] != 'M' || head[1] != 'Z') return 0;
  uint64_t pe = pe_u32(head + 0x3c), opt = pe + 24;
  if (opt + 2 > size || memcmp(head + pe, "PE\0\0", 4) != 0) return 0;
  uint32_t magic = (uint32_t)head[opt] | (uint32_t)head[opt + 1] << 8;
  uint64_t dirs = magic == 0x20b ? 112 : magic == 0x10b ? 96 : 0;
  if (!dirs || opt + dirs + 5 * 8 > size || pe_u32(head + opt + dirs - 4) < 5) return 0;
  *checksum = opt + 64;
  return opt + dirs + 4 * 8;
}

/*
 * Where a certificate table appended to the file starts (it ends the file), or 0 when head is no
 * PE or the table is absent or elsewhere. The packed bytes end there, less the zeros that align
 * the table: the caller tries each of up to 7 for its own magic.
 */
static inline uint64_t pe_certificate_table(const uint8_t *head, uint64_t head_size, uint64_t file_size, uint64_t min_end) {
  uint64_t checksum, security = pe_signature_fields(head, head_size, &checksum);
  if (!security) return 0;
  uint64_t at = pe_u32(head + security), length = pe_u32(head + security + 4);
  return at != 0 && length != 0 && at + length == file_size && at >= min_end ? at : 0;
}

#endif
