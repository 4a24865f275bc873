/* Unit tests for the SHA-256 and restore code binflate is built from. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raw_frame.h"
#include "restore.h"
#include "sha256.h"

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

static void hex_of(const void *data, size_t size, char hex[65]) {
  sha256_ctx ctx;
  uint8_t digest[32];
  sha256_init(&ctx);
  sha256_update(&ctx, data, size);
  sha256_final(&ctx, digest);
  sha256_hex(digest, hex);
}

static void test_sha256_vectors(void) {
  /* FIPS 180-4 examples and the empty string. */
  char hex[65];
  hex_of("", 0, hex);
  CHECK(strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0, "empty: %s", hex);
  hex_of("abc", 3, hex);
  CHECK(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0, "abc: %s", hex);
  const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  hex_of(two_blocks, strlen(two_blocks), hex);
  CHECK(strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") == 0, "448 bits: %s", hex);

  /* A million 'a's fed in uneven pieces exercises the partial-block path. */
  sha256_ctx ctx;
  uint8_t digest[32];
  char chunk[997];
  memset(chunk, 'a', sizeof chunk);
  sha256_init(&ctx);
  size_t left = 1000000;
  while (left > 0) {
    size_t n = left < sizeof chunk ? left : sizeof chunk;
    sha256_update(&ctx, chunk, n);
    left -= n;
  }
  sha256_final(&ctx, digest);
  sha256_hex(digest, hex);
  CHECK(strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0, "1M a: %s", hex);
}

static void write_file(const char *path, const void *data, size_t size) {
  FILE *f = fopen(path, "wb");
  fwrite(data, 1, size, f);
  fclose(f);
}

static int exists(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f) fclose(f);
  return f != NULL;
}

static void test_restore(void) {
  size_t size = 300000;
  unsigned char *data = malloc(size);
  for (size_t i = 0; i < size; i++) data[i] = (unsigned char)((i * 7919) ^ (i >> 5));
  unsigned char *frame = malloc(raw_frame_bound(size));
  size_t n = raw_frame(frame, data, size);
  write_file("t_frame.zst", frame, n);
  char want[65];
  hex_of(data, size, want);

  restore_options ok = {(int64_t)size, want, 0755};
  restore_result r;
  remove("t_out.bin");
  CHECK(restore_file("t_frame.zst", "t_out.bin", &ok, &r) == RESTORE_OK, "restore: %s", r.message);
  CHECK(r.size == size && strcmp(r.sha256, want) == 0, "restored size/hash");

  restore_options wrong_hash = {(int64_t)size, "0000000000000000000000000000000000000000000000000000000000000000", 0644};
  remove("t_bad.bin");
  CHECK(restore_file("t_frame.zst", "t_bad.bin", &wrong_hash, &r) == RESTORE_MISMATCH, "hash mismatch refused");
  CHECK(!exists("t_bad.bin"), "no output after a hash mismatch");

  restore_options wrong_size = {(int64_t)size + 1, NULL, 0644};
  CHECK(restore_file("t_frame.zst", "t_bad.bin", &wrong_size, &r) == RESTORE_MISMATCH, "size mismatch refused");
  CHECK(!exists("t_bad.bin"), "no output after a size mismatch");

  write_file("t_trunc.zst", frame, n / 2);
  CHECK(restore_file("t_trunc.zst", "t_bad.bin", &wrong_size, &r) == RESTORE_CORRUPT, "truncated refused: %s", r.message);
  CHECK(!exists("t_bad.bin"), "no output after truncation");

  /* The frame has no checksum, so a flipped byte in a raw block decodes "cleanly": the expected
     SHA-256 is what must catch it. */
  frame[n / 2] ^= 0xff;
  write_file("t_flip.zst", frame, n);
  restore_status s = restore_file("t_flip.zst", "t_bad.bin", &ok, &r);
  CHECK(s == RESTORE_CORRUPT || s == RESTORE_MISMATCH, "flipped byte refused (%d)", s);
  CHECK(!exists("t_bad.bin"), "no output after a flipped byte");
  restore_options any = {-1, NULL, 0644};

  write_file("t_empty.zst", "", 0);
  CHECK(restore_file("t_empty.zst", "t_bad.bin", &any, &r) == RESTORE_CORRUPT, "empty input refused");
  CHECK(restore_file("t_missing.zst", "t_bad.bin", &any, &r) == RESTORE_IO, "missing input is an I/O error");

  free(data);
  free(frame);
}

int main(void) {
  test_sha256_vectors();
  test_restore();
  if (failures == 0) printf("binflate_test: all checks passed\n");
  return failures == 0 ? 0 : 1;
}
