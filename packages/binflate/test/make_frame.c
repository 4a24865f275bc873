/*
 * Test helper: compresses a file into one zstd frame with libzstd (the frames binflate reads),
 * or with --flip copies a file with the byte in its middle changed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

static int flip(const char *from, const char *to) {
  FILE *in = fopen(from, "rb");
  if (in == NULL) return perror(from), 2;
  fseek(in, 0, SEEK_END);
  long size = ftell(in);
  rewind(in);
  unsigned char *data = malloc((size_t)size);
  if (fread(data, 1, (size_t)size, in) != (size_t)size) return perror(from), 2;
  fclose(in);
  data[size / 2] ^= 0x01;
  FILE *out = fopen(to, "wb");
  if (out == NULL || fwrite(data, 1, (size_t)size, out) != (size_t)size || fclose(out) != 0) return perror(to), 2;
  free(data);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "--flip") == 0) return flip(argv[2], argv[3]);
  if (argc != 3) {
    fprintf(stderr, "usage: make_frame <input> <output.zst>\n");
    return 1;
  }
  FILE *in = fopen(argv[1], "rb");
  if (in == NULL) return perror(argv[1]), 2;
  fseek(in, 0, SEEK_END);
  long size = ftell(in);
  rewind(in);
  char *data = malloc(size > 0 ? (size_t)size : 1);
  if (fread(data, 1, (size_t)size, in) != (size_t)size) return perror(argv[1]), 2;
  fclose(in);
  size_t bound = ZSTD_compressBound((size_t)size);
  char *frame = malloc(bound);
  size_t n = ZSTD_compress(frame, bound, data, (size_t)size, 3);
  if (ZSTD_isError(n)) return fprintf(stderr, "%s\n", ZSTD_getErrorName(n)), 3;
  FILE *out = fopen(argv[2], "wb");
  if (out == NULL || fwrite(frame, 1, n, out) != n || fclose(out) != 0) return perror(argv[2]), 2;
  free(data);
  free(frame);
  return 0;
}
