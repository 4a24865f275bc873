#ifndef BINFLATE_RESTORE_H
#define BINFLATE_RESTORE_H

#include <stdint.h>

/* Exit codes of the binflate command, one per kind of failure. */
typedef enum {
  RESTORE_OK = 0,
  RESTORE_USAGE = 1,
  RESTORE_IO = 2,       /* cannot read the input or write the output */
  RESTORE_CORRUPT = 3,  /* the input is not a complete, valid zstd stream */
  RESTORE_MISMATCH = 4, /* restored bytes differ from the expected size or SHA-256 */
} restore_status;

typedef struct {
  int64_t expected_size;       /* -1: not checked */
  const char *expected_sha256; /* lowercase hex, or NULL: not checked */
  unsigned mode;               /* permission bits of the output, e.g. 0755 */
} restore_options;

typedef struct {
  uint64_t size;
  char sha256[65];
  char message[8192]; /* room for a PATH_MAX path twice over */
} restore_result;

/*
 * Decompresses `input` into `output`. The bytes go to a temp file beside `output` that is
 * flushed to disk and renamed over it only when every check passes, so `output` is either
 * absent, its old self, or complete and verified.
 */
restore_status restore_file(const char *input, const char *output, const restore_options *options,
                            restore_result *result);

/*
 * Restores the original of a BTM compressed binary (docs/binpress-format.md), the same way:
 * both SHA-256s must match the trailer before `output` appears. The output gets `input`'s mode.
 * Returns RESTORE_USAGE when `input` has no BTM trailer (it is then taken as a zstd frame).
 */
restore_status restore_pressed(const char *input, const char *output, restore_result *result);

#endif
