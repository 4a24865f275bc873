/* The C reader against the golden trailer the C# writer produced (docs/binpress-format.md). */
#include <stdio.h>
#include <string.h>

#include "btm_format.h"

static int failures = 0;
#define CHECK(cond, ...)                                   \
  do {                                                     \
    if (!(cond)) {                                         \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      fprintf(stderr, __VA_ARGS__);                        \
      fputc('\n', stderr);                                 \
      failures++;                                          \
    }                                                      \
  } while (0)

int main(int argc, char **argv) {
  if (argc != 2) return fprintf(stderr, "usage: format_test <golden-trailer.bin>\n"), 2;
  FILE *f = fopen(argv[1], "rb");
  uint8_t golden[BTM_TRAILER_SIZE];
  if (f == NULL || fread(golden, 1, sizeof golden, f) != sizeof golden) return perror(argv[1]), 2;
  fclose(f);

  /* The golden trailer says: payload at 0x1234, 0x5678 bytes, 0x9ABCDEF uncompressed. */
  const uint64_t size = 0x1234 + 0x5678 + BTM_TRAILER_SIZE;
  btm_trailer t;
  char error[256] = "";
  CHECK(btm_parse_trailer(golden, size, &t, error, sizeof error) == BTM_OK, "golden parses: %s", error);
  CHECK(t.version == 1 && t.codec == 1 && t.flags == 0, "version/codec/flags");
  CHECK(t.payload_offset == 0x1234 && t.payload_size == 0x5678 && t.uncompressed_size == 0x9ABCDEF, "offsets and sizes");
  for (int i = 0; i < 32; i++) {
    CHECK(t.original_sha256[i] == i, "original sha256 byte %d", i);
    CHECK(t.payload_sha256[i] == 0xA0 + i, "payload sha256 byte %d", i);
  }
  char key[33];
  btm_cache_key_hex(&t, key);
  CHECK(strcmp(key, "000102030405060708090a0b0c0d0e0f") == 0, "cache key %s", key);

  /* One byte short of room for the payload: truncated. */
  CHECK(btm_parse_trailer(golden, size - 1, &t, error, sizeof error) == BTM_CORRUPT, "truncated file refused");

  /* Every single-byte flip is refused, and none is mistaken for a valid trailer. */
  for (int i = 0; i < BTM_TRAILER_SIZE; i++) {
    uint8_t copy[BTM_TRAILER_SIZE];
    memcpy(copy, golden, sizeof copy);
    copy[i] ^= 0x01;
    btm_status s = btm_parse_trailer(copy, size, &t, error, sizeof error);
    CHECK(s != BTM_OK, "flip at offset %d accepted", i);
    CHECK(i < 8 ? s == BTM_NOT_PRESSED : s == BTM_CORRUPT, "flip at offset %d: status %d", i, s);
  }
  if (failures == 0) printf("format_test: all checks passed\n");
  return failures == 0 ? 0 : 1;
}
