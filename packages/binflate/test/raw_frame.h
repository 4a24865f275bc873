/*
 * Test helper: writes a zstd frame (RFC 8878) of raw blocks, so binflate's tests make frames
 * without linking zstd's compressor, whose compile costs each target more than the rest of
 * binflate. Frames from the real compressor reach binflate through the golden compressed binary
 * (cli_test.cmake) and the zstd CLI (the build host's tests).
 */
#ifndef BINFLATE_RAW_FRAME_H
#define BINFLATE_RAW_FRAME_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Bytes raw_frame needs for `size` bytes of content. */
static size_t raw_frame_bound(size_t size) {
  size_t blocks = size == 0 ? 1 : (size + (128u << 10) - 1) / (128u << 10);
  return 4 + 1 + 8 + blocks * 3 + size;
}

/* Writes the frame into `frame` (raw_frame_bound(size) bytes) and returns its length. */
static size_t raw_frame(unsigned char *frame, const unsigned char *data, size_t size) {
  const size_t max_block = 128u << 10;
  size_t at = 0;
  static const unsigned char magic[4] = {0x28, 0xB5, 0x2F, 0xFD};
  memcpy(frame, magic, 4);
  at = 4;
  /* Frame_Header_Descriptor: 8-byte Frame_Content_Size, single segment (the window is the
     content), no checksum, no dictionary. */
  frame[at++] = 0xE0;
  for (int i = 0; i < 8; i++) frame[at++] = (unsigned char)((uint64_t)size >> (8 * i));
  size_t done = 0;
  do {
    size_t n = size - done < max_block ? size - done : max_block;
    int last = done + n == size;
    /* Block_Header: Last_Block bit, Block_Type 0 (raw), Block_Size, 3 bytes little-endian. */
    uint32_t header = (uint32_t)last | (uint32_t)(n << 3);
    frame[at++] = (unsigned char)header;
    frame[at++] = (unsigned char)(header >> 8);
    frame[at++] = (unsigned char)(header >> 16);
    if (n > 0) memcpy(frame + at, data + done, n);
    at += n;
    done += n;
  } while (done < size);
  return at;
}

#endif
