/*
 * Test helper: writes a file as one zstd frame of raw blocks (raw_frame.h), or with --flip copies
 * a file with the byte in its middle changed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raw_frame.h"

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
  unsigned char *data = malloc(size > 0 ? (size_t)size : 1);
  if (fread(data, 1, (size_t)size, in) != (size_t)size) return perror(argv[1]), 2;
  fclose(in);
  unsigned char *frame = malloc(raw_frame_bound((size_t)size));
  size_t n = raw_frame(frame, data, (size_t)size);
  FILE *out = fopen(argv[2], "wb");
  if (out == NULL || fwrite(frame, 1, n, out) != n || fclose(out) != 0) return perror(argv[2]), 2;
  free(data);
  free(frame);
  return 0;
}
