#include "psp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pe_signed.h"
#include "sha256.h"
#include "sodium/crypto_sign_ed25519.h"

static const uint8_t magic[8] = {'B', 'T', 'M', 'P', 'S', 'P', '0', '1'};

int psp_fail(psp_error *e, const char *region, const char *format, ...) {
  va_list args;
  snprintf(e->region, sizeof e->region, "%s", region);
  va_start(args, format);
  vsnprintf(e->message, sizeof e->message, format, args);
  va_end(args);
  return -1;
}

static uint16_t u16(const uint8_t *b) { return (uint16_t)(b[0] | b[1] << 8); }
static uint32_t u32(const uint8_t *b) { return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24; }
static uint64_t u64(const uint8_t *b) { return (uint64_t)u32(b) | (uint64_t)u32(b + 4) << 32; }

static void sha256(const uint8_t *data, uint64_t size, uint8_t out[32]) {
  sha256_ctx ctx;
  sha256_init(&ctx);
  /* In pieces: size_t may be narrower than the region. */
  while (size > 0) {
    size_t n = size > (UINT64_C(1) << 30) ? (size_t)1 << 30 : (size_t)size;
    sha256_update(&ctx, data, n);
    data += n;
    size -= n;
  }
  sha256_final(&ctx, out);
}

static int is_zero(const uint8_t *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (b[i]) return 0;
  return 1;
}

static int name_ok(const char *s, size_t n, size_t max) {
  if (n < 1 || n > max) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) return 0;
  }
  return 1;
}

int psp_path_ok(const char *path, size_t length) {
  if (length == 0 || path[0] == '/' || (length > 1 && path[1] == ':')) return 0;
  size_t start = 0;
  for (size_t i = 0; i <= length; i++) {
    if (i < length && (path[i] == '\\' || path[i] == '\0')) return 0;
    if (i == length || path[i] == '/') {
      size_t n = i - start;
      /* A folder's trailing '/' ends the path; an empty segment anywhere else is refused. */
      if (n == 0 && !(i == length && i > 0 && path[i - 1] == '/')) return 0;
      if ((n == 1 && path[start] == '.') || (n == 2 && path[start] == '.' && path[start + 1] == '.')) return 0;
      start = i + 1;
    }
  }
  return 1;
}

/* Strict UTF-8: no overlongs, no surrogates, nothing past U+10FFFF. */
static int utf8_ok(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = s[i];
    size_t more;
    uint32_t cp, min;
    if (c < 0x80) {
      i++;
      continue;
    } else if ((c & 0xE0) == 0xC0) more = 1, cp = c & 0x1F, min = 0x80;
    else if ((c & 0xF0) == 0xE0) more = 2, cp = c & 0x0F, min = 0x800;
    else if ((c & 0xF8) == 0xF0) more = 3, cp = c & 0x07, min = 0x10000;
    else return 0;
    if (n - i <= more) return 0;
    for (size_t k = 1; k <= more; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return 0;
      cp = cp << 6 | (s[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    i += more + 1;
  }
  return 1;
}

static char *copy(const uint8_t *s, uint32_t n) {
  char *c = malloc((size_t)n + 1);
  if (c) {
    memcpy(c, s, n);
    c[n] = '\0';
  }
  return c;
}

static int read_metadata(psp_package *p, psp_error *e) {
  const uint8_t *m = p->base + p->launcher_size;
  uint64_t size = p->meta_size, at = 0;
  int counts[7] = {0};
  uint8_t last = 0;
  while (at < size) {
    if (size - at < 5) return psp_fail(e, "metadata", "a record header at byte %llu runs past the metadata", (unsigned long long)at);
    uint8_t tag = m[at];
    uint32_t length = u32(m + at + 1);
    if (tag < 1 || tag > 6) return psp_fail(e, "metadata", "unknown record tag %u at byte %llu", tag, (unsigned long long)at);
    if (tag < last)
      return psp_fail(e, "metadata", "record tag %u at byte %llu comes after tag %u (tags are in ascending order)", tag, (unsigned long long)at, last);
    if (length > size - at - 5)
      return psp_fail(e, "metadata", "record tag %u at byte %llu runs past the metadata (%u bytes)", tag, (unsigned long long)at, length);
    const uint8_t *value = m + at + 5;
    if (!utf8_ok(value, length) || memchr(value, 0, length))
      return psp_fail(e, "metadata", "record tag %u at byte %llu is not UTF-8 without NUL", tag, (unsigned long long)at);
    if ((tag >= 5 && counts[tag] >= PSP_MAX_RECORDS) || (tag < 5 && counts[tag] >= 1))
      return psp_fail(e, "metadata", tag < 5 ? "record tag %u appears more than once" : "more than 64 records of tag %u", tag);
    char *c = copy(value, length);
    if (!c) return psp_fail(e, "metadata", "out of memory");
    switch (tag) {
    case 1: p->name = c; break;
    case 2: p->version = c; break;
    case 3: p->platform = c; break;
    case 4: p->entry = c; break;
    case 5: p->args[p->nargs++] = c; break;
    default: p->env[p->nenv++] = c; break;
    }
    counts[tag]++;
    last = tag;
    at += 5 + (uint64_t)length;
  }
  static const char *const what[] = {"", "name", "version", "platform", "entry point"};
  for (int tag = 1; tag <= 4; tag++)
    if (counts[tag] != 1) return psp_fail(e, "metadata", "needs exactly one %s record (tag %d), found none", what[tag], tag);
  if (!name_ok(p->name, strlen(p->name), 64)) return psp_fail(e, "metadata", "package name '%s' is not 1-64 characters of a-z, 0-9, '.', '_', '-'", p->name);
  if (!psp_path_ok(p->entry, strlen(p->entry))) return psp_fail(e, "metadata", "entry point '%s' is not a relative path inside the work environment", p->entry);
  for (int i = 0; i < p->nenv; i++) {
    const char *eq = strchr(p->env[i], '=');
    if (!eq || eq == p->env[i]) return psp_fail(e, "metadata", "environment variable '%s' is not NAME=value", p->env[i]);
  }
  return 0;
}

static int read_table(psp_package *p, psp_error *e) {
  const uint8_t *t = p->base + p->table_offset;
  uint64_t at = p->table_offset + p->table_size, end = p->size - PSP_INDEX_SIZE;
  for (int i = 0; i < p->count; i++) {
    const uint8_t *row = t + (size_t)i * PSP_SLOT_ENTRY_SIZE;
    psp_slot *s = &p->slots[i];
    const uint8_t *nul = memchr(row, 0, 32);
    if (!nul || !is_zero(nul, (size_t)(row + 32 - nul))) return psp_fail(e, "table", "slot %d: its name is not NUL-padded within 32 bytes", i);
    size_t n = (size_t)(nul - row);
    memcpy(s->name, row, n);
    s->name[n] = '\0';
    if (!name_ok(s->name, n, 31)) return psp_fail(e, "table", "slot %d: its name is not 1-31 characters of a-z, 0-9, '.', '_', '-'", i);
    for (int k = 0; k < i; k++)
      if (strcmp(p->slots[k].name, s->name) == 0) return psp_fail(e, "table", "slot %d: name '%s' is used twice", i, s->name);
    s->purpose = row[32];
    s->compression = row[33];
    s->policy = row[34];
    if (s->purpose < 1 || s->purpose > 4) return psp_fail(e, "table", "slot %s: unknown purpose %u", s->name, s->purpose);
    if (s->compression != 1) return psp_fail(e, "table", "slot %s: unknown compression %u", s->name, s->compression);
    if (s->policy != 1) return psp_fail(e, "table", "slot %s: unknown extraction policy %u", s->name, s->policy);
    if (!is_zero(row + 35, 5)) return psp_fail(e, "table", "slot %s: reserved bytes are not zero", s->name);
    s->offset = u64(row + 40);
    s->size = u64(row + 48);
    s->raw_size = u64(row + 56);
    if (s->raw_size > PSP_MAX_SLOT_RAW) return psp_fail(e, "table", "slot %s: uncompressed size %llu is over 16 GiB", s->name, (unsigned long long)s->raw_size);
    memcpy(s->sha256, row + 64, 32);
    memcpy(s->content, row + 96, 32);
    char region[48];
    snprintf(region, sizeof region, "slot %s", s->name);
    if (s->offset != at || s->size > end - at)
      return psp_fail(e, region, "does not start where the previous region ends (%llu) or runs past the index", (unsigned long long)at);
    at += s->size;
  }
  if (at != end) return psp_fail(e, "index", "%llu byte(s) lie between the last slot and the index", (unsigned long long)(end - at));
  return 0;
}

uint64_t psp_pe_normalize(uint8_t *base, uint64_t size) {
  uint64_t checksum, security = pe_signature_fields(base, size, &checksum);
  if (!security) return size;
  uint64_t end = pe_certificate_table(base, size, size, PSP_INDEX_SIZE);
  if (end)
    for (int pad = 0; pad < 7 && end > PSP_INDEX_SIZE && memcmp(base + end - PSP_INDEX_SIZE, magic, 8) != 0 && base[end - 1] == 0; pad++) end--;
  else
    end = size;
  memset(base + checksum, 0, 4);
  memset(base + security, 0, 8);
  return end;
}

int psp_open(psp_package *p, const uint8_t *base, uint64_t size, psp_error *e) {
  memset(p, 0, sizeof *p);
  p->base = base;
  p->size = size;
  if (size < PSP_INDEX_SIZE) return psp_fail(e, "index", "not a PSP package, or truncated: shorter than its index");
  const uint8_t *x = p->index = base + size - PSP_INDEX_SIZE;
  if (memcmp(x, magic, 8) != 0) return psp_fail(e, "index", "not a PSP package, or truncated: no BTMPSP01 at the start of the last 320 bytes");
  if (u16(x + 8) != 1) return psp_fail(e, "index", "format version %u is not one this launcher knows (1)", u16(x + 8));
  p->count = u16(x + 10);
  if (p->count < 1 || p->count > PSP_MAX_SLOTS) return psp_fail(e, "index", "slot count %u is outside 1-%d", p->count, PSP_MAX_SLOTS);
  if (u32(x + 12) != 0 || !is_zero(x + 208, 48)) return psp_fail(e, "index", "flags or reserved bytes are not zero");
  p->launcher_size = u64(x + 16);
  p->meta_size = u64(x + 24);
  p->table_offset = u64(x + 32);
  p->table_size = u64(x + 40);
  uint64_t end = size - PSP_INDEX_SIZE;
  if (p->launcher_size > end || p->meta_size > end - p->launcher_size || p->table_offset != p->launcher_size + p->meta_size ||
      p->table_size != (uint64_t)p->count * PSP_SLOT_ENTRY_SIZE || p->table_size > end - p->table_offset)
    return psp_fail(e, "index", "its launcher, metadata and table sizes do not lay the regions out one after another inside the file");
  uint8_t digest[32];
  sha256(base + p->launcher_size, p->meta_size, digest);
  if (memcmp(digest, x + 48, 32) != 0) return psp_fail(e, "metadata", "its SHA-256 differs from the index's");
  sha256(base + p->table_offset, p->table_size, digest);
  if (memcmp(digest, x + 80, 32) != 0) return psp_fail(e, "table", "its SHA-256 differs from the index's");
  if (read_metadata(p, e) != 0 || read_table(p, e) != 0) return -1;
  return 0;
}

int psp_check_regions(const psp_package *p, psp_error *e) {
  uint8_t digest[32];
  sha256(p->base, p->launcher_size, digest);
  if (memcmp(digest, p->index + 176, 32) != 0) return psp_fail(e, "launcher", "its SHA-256 differs from the index's");
  for (int i = 0; i < p->count; i++) {
    const psp_slot *s = &p->slots[i];
    sha256(p->base + s->offset, s->size, digest);
    if (memcmp(digest, s->sha256, 32) != 0) {
      char region[48];
      snprintf(region, sizeof region, "slot %s", s->name);
      return psp_fail(e, region, "its SHA-256 differs from the table's");
    }
  }
  sha256(p->base + p->launcher_size, p->size - PSP_INDEX_SIZE - p->launcher_size, digest);
  if (memcmp(digest, p->index + 112, 32) != 0) return psp_fail(e, "index", "the package checksum differs from the bytes it covers");
  return 0;
}

int psp_verify(const psp_package *p, const uint8_t (*keys)[32], int nkeys, psp_error *e) {
  const uint8_t *key = NULL;
  for (int i = 0; i < nkeys && !key; i++) {
    uint8_t id[32];
    sha256(keys[i], 32, id);
    if (memcmp(id, p->index + 144, 32) == 0) key = keys[i];
  }
  /* A damaged region is named by its hash before the signature is blamed. */
  if (!key) {
    if (psp_check_regions(p, e) != 0) return -1;
    char id[17];
    psp_hex(p->index + 144, 8, id);
    return nkeys == 0 ? psp_fail(e, "signature", "this launcher trusts no key: it was packed without one")
                      : psp_fail(e, "signature", "signed by key %s..., which is none of the %d key(s) this launcher trusts", id, nkeys);
  }
  /* One pass over the file: the signature covers every byte before it, so when it holds each
   * region is as signed and the region hashes need not be computed again. */
  if (crypto_sign_ed25519_verify_detached(p->index + 256, p->base, (unsigned long long)(p->size - 64), key) != 0) {
    if (psp_check_regions(p, e) != 0) return -1;
    return psp_fail(e, "signature", "does not verify: a byte of the launcher, metadata, table, slots or index changed since it was signed");
  }
  return 0;
}

void psp_close(psp_package *p) {
  free(p->name);
  free(p->version);
  free(p->platform);
  free(p->entry);
  for (int i = 0; i < p->nargs; i++) free(p->args[i]);
  for (int i = 0; i < p->nenv; i++) free(p->env[i]);
  p->name = p->version = p->platform = p->entry = NULL;
  p->nargs = p->nenv = 0;
}

void psp_hex(const uint8_t *bytes, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 15];
  }
  out[2 * n] = '\0';
}
