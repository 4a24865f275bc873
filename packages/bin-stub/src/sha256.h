#ifndef BINFLATE_SHA256_H
#define BINFLATE_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* SHA-256 as specified in FIPS 180-4. */
typedef struct {
  uint32_t state[8];
  uint64_t length;
  uint8_t block[64];
  size_t used;
} sha256_ctx;

void sha256_init(sha256_ctx *ctx);
void sha256_update(sha256_ctx *ctx, const void *data, size_t size);
void sha256_final(sha256_ctx *ctx, uint8_t digest[32]);
void sha256_hex(const uint8_t digest[32], char hex[65]);

#endif
