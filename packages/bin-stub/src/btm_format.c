#define _POSIX_C_SOURCE 200809L
#include "btm_format.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "sha256.h"

static const uint8_t MAGIC[8] = {'B', 'T', 'M', 'P', 'R', 'E', 'S', 'S'};

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

static btm_status fail(char *error, size_t size, btm_status status, const char *message) {
  snprintf(error, size, "%s", message);
  return status;
}

btm_status btm_parse_trailer(const uint8_t b[BTM_TRAILER_SIZE], uint64_t file_size, btm_trailer *t, char *error,
                             size_t error_size) {
  if (memcmp(b, MAGIC, sizeof MAGIC) != 0)
    return fail(error, error_size, BTM_NOT_PRESSED, "no BTMPRESS trailer at the end of the file");
  sha256_ctx ctx;
  uint8_t digest[32];
  sha256_init(&ctx);
  sha256_update(&ctx, b, 120);
  sha256_final(&ctx, digest);
  if (memcmp(digest, b + 120, 8) != 0) return fail(error, error_size, BTM_CORRUPT, "trailer check mismatch (damaged trailer)");
  t->version = le16(b + 8);
  t->codec = le16(b + 10);
  t->flags = le32(b + 12);
  t->payload_offset = le64(b + 16);
  t->payload_size = le64(b + 24);
  t->uncompressed_size = le64(b + 32);
  memcpy(t->original_sha256, b + 40, 32);
  memcpy(t->payload_sha256, b + 72, 32);
  memcpy(t->cache_key, b + 104, 16);
  if (t->version != BTM_FORMAT_VERSION) {
    snprintf(error, error_size, "format version %u; this reader understands %d", t->version, BTM_FORMAT_VERSION);
    return BTM_CORRUPT;
  }
  if (t->codec != BTM_CODEC_ZSTD) {
    snprintf(error, error_size, "codec %u; this reader understands zstd (%d)", t->codec, BTM_CODEC_ZSTD);
    return BTM_CORRUPT;
  }
  if (t->flags != 0) return fail(error, error_size, BTM_CORRUPT, "unknown trailer flags");
  if (file_size < BTM_TRAILER_SIZE || t->payload_offset == 0 || t->payload_size == 0 ||
      t->payload_offset > file_size - BTM_TRAILER_SIZE ||
      t->payload_size > file_size - BTM_TRAILER_SIZE - t->payload_offset)
    return fail(error, error_size, BTM_CORRUPT, "payload offset or size lies outside the file (truncated?)");
  if (t->uncompressed_size == 0 || t->uncompressed_size > BTM_MAX_UNCOMPRESSED)
    return fail(error, error_size, BTM_CORRUPT, "uncompressed size out of range");
  return BTM_OK;
}

btm_status btm_read_trailer(int fd, uint64_t file_size, btm_trailer *t, char *error, size_t error_size) {
  uint8_t bytes[BTM_TRAILER_SIZE];
  if (file_size < BTM_TRAILER_SIZE) return fail(error, error_size, BTM_NOT_PRESSED, "file too short for a trailer");
  if (pread(fd, bytes, sizeof bytes, (off_t)(file_size - BTM_TRAILER_SIZE)) != (ssize_t)sizeof bytes) {
    snprintf(error, error_size, "cannot read the trailer: %s", strerror(errno));
    return BTM_IO;
  }
  return btm_parse_trailer(bytes, file_size, t, error, error_size);
}

static btm_status write_all(int fd, const uint8_t *data, size_t size, char *error, size_t error_size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      snprintf(error, error_size, "cannot write the extracted binary: %s", strerror(errno));
      return errno == ENOSPC || errno == EDQUOT ? BTM_NOSPACE : BTM_IO;
    }
    data += n;
    size -= (size_t)n;
  }
  return BTM_OK;
}

btm_status btm_unpack(int fd, const btm_trailer *t, int out_fd, int check_payload, char *error, size_t error_size) {
  btm_status status = BTM_OK;
  size_t in_cap = ZSTD_DStreamInSize(), out_cap = ZSTD_DStreamOutSize();
  uint8_t *in = malloc(in_cap), *out = malloc(out_cap);
  ZSTD_DStream *stream = ZSTD_createDStream();
  sha256_ctx payload_hash, output_hash;
  sha256_init(&payload_hash);
  sha256_init(&output_hash);
  uint64_t offset = t->payload_offset, left = t->payload_size, produced = 0;
  size_t pending = 1;
  if (in == NULL || out == NULL || stream == NULL) {
    status = fail(error, error_size, BTM_IO, "out of memory");
    goto done;
  }
  ZSTD_initDStream(stream);
  while (left > 0) {
    size_t want = left < in_cap ? (size_t)left : in_cap;
    ssize_t got = pread(fd, in, want, (off_t)offset);
    if (got <= 0) {
      status = fail(error, error_size, got == 0 ? BTM_CORRUPT : BTM_IO, got == 0 ? "payload truncated" : "cannot read the payload");
      goto done;
    }
    if (check_payload) sha256_update(&payload_hash, in, (size_t)got);
    offset += (uint64_t)got;
    left -= (uint64_t)got;
    ZSTD_inBuffer src = {in, (size_t)got, 0};
    while (src.pos < src.size) {
      ZSTD_outBuffer dst = {out, out_cap, 0};
      pending = ZSTD_decompressStream(stream, &dst, &src);
      if (ZSTD_isError(pending)) {
        snprintf(error, error_size, "corrupt payload: %s", ZSTD_getErrorName(pending));
        status = BTM_CORRUPT;
        goto done;
      }
      produced += dst.pos;
      if (produced > t->uncompressed_size) {
        status = fail(error, error_size, BTM_CORRUPT, "corrupt payload: more bytes than the trailer promises");
        goto done;
      }
      sha256_update(&output_hash, out, dst.pos);
      if ((status = write_all(out_fd, out, dst.pos, error, error_size)) != BTM_OK) goto done;
    }
  }
  uint8_t digest[32];
  sha256_final(&payload_hash, digest);
  if (check_payload && memcmp(digest, t->payload_sha256, 32) != 0) {
    status = fail(error, error_size, BTM_CORRUPT, "corrupt payload: SHA-256 of the payload does not match the trailer");
    goto done;
  }
  if (pending != 0 || produced != t->uncompressed_size) {
    status = fail(error, error_size, BTM_CORRUPT, "corrupt payload: decompressed size does not match the trailer");
    goto done;
  }
  sha256_final(&output_hash, digest);
  if (memcmp(digest, t->original_sha256, 32) != 0)
    status = fail(error, error_size, BTM_CORRUPT, "corrupt payload: SHA-256 of the binary does not match the trailer");
done:
  ZSTD_freeDStream(stream);
  free(in);
  free(out);
  return status;
}

void btm_cache_key_hex(const btm_trailer *t, char hex[33]) {
  static const char digits[] = "0123456789abcdef";
  for (int i = 0; i < 16; i++) {
    hex[2 * i] = digits[t->cache_key[i] >> 4];
    hex[2 * i + 1] = digits[t->cache_key[i] & 15];
  }
  hex[32] = '\0';
}
