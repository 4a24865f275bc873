#ifndef BTM_FORMAT_H
#define BTM_FORMAT_H

/*
 * Reader of BTM's compressed-binary format (docs/binpress-format.md): the stub executable, then
 * the zstd payload, then a fixed 128-byte trailer. The one writer is tools/Btm.Core/Press.
 */
#include <stddef.h>
#include <stdint.h>

#define BTM_TRAILER_SIZE 128
#define BTM_FORMAT_VERSION 1
#define BTM_CODEC_ZSTD 1
/* Refuse absurd sizes from a damaged trailer before allocating or writing anything. */
#define BTM_MAX_UNCOMPRESSED (UINT64_C(1) << 36)

/* Exit codes of the stub, distinct so a caller can tell what failed. */
enum {
  BTM_EXIT_CORRUPT = 120, /* trailer or payload damaged, truncated, or hash mismatch */
  BTM_EXIT_NOSPACE = 121, /* no space left to extract, even in the fallback */
  BTM_EXIT_CACHE = 122,   /* no writable cache and no fallback */
  BTM_EXIT_EXEC = 123,    /* the extracted binary could not be executed */
  BTM_EXIT_SELF = 124,    /* the stub could not read its own executable */
};

typedef enum {
  BTM_OK = 0,
  BTM_NOT_PRESSED, /* no trailer: not a compressed binary */
  BTM_CORRUPT,
  BTM_IO,
  BTM_NOSPACE,
} btm_status;

typedef struct {
  uint16_t version;
  uint16_t codec;
  uint32_t flags;
  uint64_t payload_offset;
  uint64_t payload_size;
  uint64_t uncompressed_size;
  uint8_t original_sha256[32];
  uint8_t payload_sha256[32];
  uint8_t cache_key[16];
} btm_trailer;

/* Parses and checks a trailer read from the last 128 bytes of a file of file_size bytes. */
btm_status btm_parse_trailer(const uint8_t bytes[BTM_TRAILER_SIZE], uint64_t file_size, btm_trailer *trailer, char *error,
                             size_t error_size);

/* Reads the trailer at the end of an open file. */
btm_status btm_read_trailer(int fd, uint64_t file_size, btm_trailer *trailer, char *error, size_t error_size);

/*
 * Decompresses the payload of fd into out_fd, checking the output's size and SHA-256 against
 * the trailer (and, with check_payload, the payload's SHA-256 too). On BTM_OK, out_fd holds
 * exactly the original bytes. The original's hash alone proves that; the stub skips the payload
 * pass to start faster, binflate checks both.
 */
btm_status btm_unpack(int fd, const btm_trailer *trailer, int out_fd, int check_payload, char *error, size_t error_size);

/* 32 lowercase hex digits of the cache key, NUL-terminated. */
void btm_cache_key_hex(const btm_trailer *trailer, char hex[33]);

#endif
