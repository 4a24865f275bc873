/*
 * The launcher's reader on its own: psp_check <package> <public key hex> [<slot> <folder>]
 * prints the package's metadata and slots, or "<region>: <problem>" and exits 1; with a slot and a
 * folder it also extracts that slot there. ctest runs it on the golden package the C# and Python
 * readers read too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "psp.h"
#include "psp_tar.h"

int main(int argc, char **argv) {
  if (argc != 3 && argc != 5) {
    fprintf(stderr, "usage: psp_check <package> <public key hex> [<slot> <folder>]\n");
    return 2;
  }
  uint8_t key[1][32];
  if (strlen(argv[2]) != 64) return fprintf(stderr, "the key is 64 hex digits\n"), 2;
  for (int i = 0; i < 32; i++) {
    unsigned v;
    if (sscanf(argv[2] + 2 * i, "%2x", &v) != 1) return 2;
    key[0][i] = (uint8_t)v;
  }
  /* Read whole (not mapped): the same test on every system, the golden package is small. */
  FILE *f = fopen(argv[1], "rb");
  long size = f && fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
  uint8_t *base = size > 0 ? malloc((size_t)size) : NULL;
  if (!base || fseek(f, 0, SEEK_SET) != 0 || fread(base, 1, (size_t)size, f) != (size_t)size) return perror(argv[1]), 2;
  fclose(f);
  psp_package p;
  psp_error e;
  if (psp_open(&p, base, psp_pe_normalize(base, (uint64_t)size), &e) != 0 || psp_verify(&p, (const uint8_t (*)[32])key, 1, &e) != 0) {
    printf("%s: %s\n", e.region, e.message);
    return 1;
  }
  char checksum[65];
  psp_hex(p.index + 112, 32, checksum);
  printf("name %s\nversion %s\nplatform %s\nentry %s\nchecksum %s\n", p.name, p.version, p.platform, p.entry, checksum);
  for (int i = 0; i < p.nargs; i++) printf("arg %s\n", p.args[i]);
  for (int i = 0; i < p.nenv; i++) printf("env %s\n", p.env[i]);
  for (int i = 0; i < p.count; i++) {
    char content[65];
    psp_hex(p.slots[i].content, 32, content);
    printf("slot %s %u %llu %llu %s\n", p.slots[i].name, p.slots[i].purpose, (unsigned long long)p.slots[i].size,
           (unsigned long long)p.slots[i].raw_size, content);
  }
  int result = 0;
  if (argc == 5) {
    result = 1;
    for (int i = 0; i < p.count; i++) {
      if (strcmp(p.slots[i].name, argv[3]) != 0) continue;
      psp_tar_counts counts;
      if (psp_tar_walk(&p.slots[i], p.base, argv[4], PSP_TAR_EXTRACT, &counts, &e) != 0) {
        printf("%s: %s\n", e.region, e.message);
        break;
      }
      printf("extracted %llu file(s), %llu folder(s), %llu byte(s)\n", (unsigned long long)counts.files, (unsigned long long)counts.folders,
             (unsigned long long)counts.bytes);
      result = 0;
    }
  }
  psp_close(&p);
  return result;
}
