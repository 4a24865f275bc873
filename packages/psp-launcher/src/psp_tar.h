#ifndef BTM_PSP_TAR_H
#define BTM_PSP_TAR_H

#include <stdint.h>

#include "psp.h"

typedef enum {
  PSP_TAR_EXTRACT, /* write the slot's files under a folder that holds nothing yet */
  PSP_TAR_COMPARE, /* check that a folder holds exactly the slot's files, bytes and modes */
} psp_tar_mode;

typedef struct {
  uint64_t files, folders, bytes;
} psp_tar_counts;

/*
 * Decompresses one slot (its zstd frame at base) and walks its tar with every rule of
 * docs/psp-format.md: only regular files and folders, no absolute path, no '.' or '..' segment,
 * no backslash, checksummed ustar headers, nothing after the end. Returns 0, or -1 with the slot
 * named in e. A COMPARE mismatch is reported as region "work environment".
 */
int psp_tar_walk(const psp_slot *slot, const uint8_t *base, const char *folder, psp_tar_mode mode, psp_tar_counts *counts, psp_error *e);

#endif
