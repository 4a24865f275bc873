#ifndef BTM_PSP_H
#define BTM_PSP_H

/*
 * The launcher's reader of a PSP package (docs/psp-format.md) held in memory: index, metadata
 * records, slot table, and the Ed25519 signature checked against keys the caller trusts. The
 * one writer is tools/Btm.Core/Psp; the golden package in test/ is read by this, the C# reader
 * and the independent Python reader.
 */
#include <stddef.h>
#include <stdint.h>

#define PSP_INDEX_SIZE 320
#define PSP_SLOT_ENTRY_SIZE 128
#define PSP_MAX_SLOTS 64
#define PSP_MAX_RECORDS 64
#define PSP_MAX_SLOT_RAW (UINT64_C(16) << 30)

typedef struct {
  char name[32];
  uint8_t purpose, compression, policy;
  uint64_t offset, size, raw_size;
  uint8_t sha256[32];  /* of the compressed bytes */
  uint8_t content[32]; /* of the tar: the slot's content address */
} psp_slot;

typedef struct {
  const uint8_t *base; /* the whole file */
  uint64_t size;
  const uint8_t *index; /* its last 320 bytes */
  uint64_t launcher_size, meta_size, table_offset, table_size;
  uint16_t count;
  psp_slot slots[PSP_MAX_SLOTS];
  /* Metadata values, NUL-terminated copies. */
  char *name, *version, *platform, *entry;
  char *args[PSP_MAX_RECORDS];
  int nargs;
  char *env[PSP_MAX_RECORDS];
  int nenv;
} psp_package;

/* What is wrong and where: region is "index", "launcher", "metadata", "table", "slot <name>" or "signature". */
typedef struct {
  char region[48];
  char message[384];
} psp_error;

/*
 * For a PE (the win32 launcher): reads the fields Authenticode sets (checksum, certificate-table
 * entry) as the packer wrote them, zero, in base (a private, writable view of the file), and
 * returns where the package ends: before the certificate table when one was appended. Any other
 * file: size, untouched.
 */
uint64_t psp_pe_normalize(uint8_t *base, uint64_t size);

/*
 * Reads the index, the metadata and the table of the size bytes at base (layout, the metadata's
 * and the table's hashes, every record and row). Nothing here vouches for the bytes: psp_verify does.
 */
int psp_open(psp_package *p, const uint8_t *base, uint64_t size, psp_error *e);

/*
 * The signature over every byte before it, under the trusted key the index's key id names. When it
 * does not hold, each region's hash is checked to name the region a changed byte lies in.
 */
int psp_verify(const psp_package *p, const uint8_t (*keys)[32], int nkeys, psp_error *e);

/* The checks psp_verify makes only after a failed signature: launcher, each slot, the package checksum. */
int psp_check_regions(const psp_package *p, psp_error *e);

/* A path inside a work environment: relative, '/'-separated, no empty, '.' or '..' segment, no backslash. */
int psp_path_ok(const char *path, size_t length);

void psp_close(psp_package *p);

/* Fills e with the region and the formatted problem; returns -1. */
int psp_fail(psp_error *e, const char *region, const char *format, ...);

void psp_hex(const uint8_t *bytes, size_t n, char *out);

#endif
