#define _GNU_SOURCE
#include "psp_tar.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <io.h>
#else
#include <unistd.h>
#endif

#include "psp_fs.h"
#include "zstd.h"

#define BLOCK 512

typedef struct {
  ZSTD_DStream *z;
  ZSTD_inBuffer in;
  uint8_t *buf;
  size_t cap, have, at; /* decompressed bytes in buf[at..have) */
  uint64_t produced, limit;
  int frame_done;
  const char *region;
  psp_error *e;
} reader;

/* Refills buf; 0 at the end of the frame, -1 on damage. */
static int refill(reader *r) {
  r->at = r->have = 0;
  while (r->have == 0) {
    if (r->frame_done) return 0;
    ZSTD_outBuffer out = {r->buf, r->cap, 0};
    size_t ret = ZSTD_decompressStream(r->z, &out, &r->in);
    if (ZSTD_isError(ret)) return psp_fail(r->e, r->region, "its zstd frame is damaged: %s", ZSTD_getErrorName(ret));
    r->have = out.pos;
    r->produced += out.pos;
    if (r->produced > r->limit) return psp_fail(r->e, r->region, "decompresses to more than the table's %llu bytes", (unsigned long long)r->limit);
    if (ret == 0) {
      r->frame_done = 1;
      if (r->in.pos != r->in.size) return psp_fail(r->e, r->region, "bytes follow its zstd frame");
    } else if (out.pos == 0 && r->in.pos == r->in.size) {
      return psp_fail(r->e, r->region, "its zstd frame is cut short (truncated)");
    }
  }
  return 1;
}

/* Exactly n bytes into dst (or skipped when dst is NULL); -1 when the tar ends first. */
static int take(reader *r, uint8_t *dst, size_t n) {
  while (n > 0) {
    if (r->at == r->have) {
      int got = refill(r);
      if (got < 0) return -1;
      if (got == 0) return psp_fail(r->e, r->region, "its tar is cut short (truncated)");
    }
    size_t k = r->have - r->at < n ? r->have - r->at : n;
    if (dst) {
      memcpy(dst, r->buf + r->at, k);
      dst += k;
    }
    r->at += k;
    n -= k;
  }
  return 0;
}

static int octal(const uint8_t *h, int at, int width, uint64_t *value) {
  uint64_t v = 0;
  int digits = 0;
  for (int i = at; i < at + width; i++) {
    uint8_t b = h[i];
    if (b == 0 || b == ' ') {
      if (digits > 0) break;
      continue;
    }
    if (b < '0' || b > '7' || v >> 60) return -1;
    v = v * 8 + (uint64_t)(b - '0');
    digits++;
  }
  *value = v;
  return 0;
}

static int all_zero(const uint8_t *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (b[i]) return 0;
  return 1;
}

/* Creates the folders leading to path (relative, already checked) under root. */
static int make_parents(char *full, size_t root_length) {
  for (char *p = full + root_length + 1; *p; p++) {
    if (*p != PSP_SEP) continue;
    *p = '\0';
    int ok = psp_fs_mkdir(full) == 0 || errno == EEXIST;
    *p = PSP_SEP;
    if (!ok) return -1;
  }
  return 0;
}

int psp_tar_walk(const psp_slot *slot, const uint8_t *base, const char *folder, psp_tar_mode mode, psp_tar_counts *counts, psp_error *e) {
  char region[48];
  snprintf(region, sizeof region, "slot %s", slot->name);
  const char *where = mode == PSP_TAR_COMPARE ? "work environment" : region;
  reader r = {0};
  r.region = region;
  r.e = e;
  r.limit = slot->raw_size;
  r.cap = ZSTD_DStreamOutSize();
  r.buf = malloc(r.cap);
  r.z = ZSTD_createDStream();
  r.in.src = base + slot->offset;
  r.in.size = (size_t)slot->size;
  uint8_t *chunk = malloc(1 << 16);
  int result = -1;
  size_t root_length = strlen(folder);
  memset(counts, 0, sizeof *counts);
  if (!r.buf || !r.z || !chunk || ZSTD_isError(ZSTD_initDStream(r.z))) {
    psp_fail(e, region, "out of memory");
    goto done;
  }
  for (;;) {
    uint8_t h[BLOCK];
    if (take(&r, h, BLOCK) != 0) goto done;
    if (all_zero(h, BLOCK)) {
      if (take(&r, h, BLOCK) != 0) goto done;
      if (!all_zero(h, BLOCK)) {
        psp_fail(e, region, "its tar has data after an end block");
        goto done;
      }
      /* Nothing may follow the two zero blocks. */
      int more = r.at != r.have ? 1 : refill(&r);
      if (more != 0) {
        if (more > 0) psp_fail(e, region, "bytes follow its tar's end");
        goto done;
      }
      if (r.produced != slot->raw_size) {
        psp_fail(e, region, "decompresses to %llu bytes, the table says %llu", (unsigned long long)r.produced, (unsigned long long)slot->raw_size);
        goto done;
      }
      break;
    }
    uint64_t stored, size, mode_bits, sum = 0;
    if (octal(h, 148, 8, &stored) != 0) {
      psp_fail(e, region, "tar checksum field is not octal");
      goto done;
    }
    for (int i = 0; i < BLOCK; i++) sum += (i >= 148 && i < 156) ? ' ' : h[i];
    if (sum != stored) {
      psp_fail(e, region, "a tar header has a wrong checksum");
      goto done;
    }
    if (memcmp(h + 257, "ustar\0", 6) != 0) {
      psp_fail(e, region, "a tar header is not ustar");
      goto done;
    }
    char path[260];
    size_t np = strnlen((const char *)h + 345, 155), nn = strnlen((const char *)h, 100), length = 0;
    if (np) {
      memcpy(path, h + 345, np);
      path[np] = '/';
      length = np + 1;
    }
    memcpy(path + length, h, nn);
    length += nn;
    path[length] = '\0';
    char type = (char)h[156];
    if (octal(h, 124, 12, &size) != 0 || octal(h, 100, 8, &mode_bits) != 0) {
      psp_fail(e, region, "entry %s: a size or mode field is not octal", path);
      goto done;
    }
    if (type != '0' && type != '\0' && type != '5') {
      const char *what = type == '1' ? "a hard link" : type == '2' ? "a symbolic link" : (type == '3' || type == '4') ? "a device" : type == '6' ? "a fifo"
                       : (type == 'x' || type == 'g') ? "a PAX header" : (type == 'L' || type == 'K') ? "a GNU long-name header" : "of an unknown type";
      psp_fail(e, region, "entry %s is %s: a slot holds regular files and folders only", path, what);
      goto done;
    }
    int is_folder = type == '5';
    if (is_folder && length > 0 && path[length - 1] == '/') path[--length] = '\0';
    if (memchr(h, '\\', 100) || !psp_path_ok(path, length)) {
      psp_fail(e, region, "entry path '%s' is absolute or has an empty, '.' or '..' segment or a backslash", path);
      goto done;
    }
    const char *unnamable = psp_fs_name_problem(path);
    if (unnamable) {
      psp_fail(e, region, "entry path '%s' cannot be created here: %s", path, unnamable);
      goto done;
    }
    if (is_folder && size != 0) {
      psp_fail(e, region, "folder %s has a size", path);
      goto done;
    }
    char full[PSP_PATH_MAX];
    if (snprintf(full, sizeof full, "%s%c%s", folder, PSP_SEP, path) >= (int)sizeof full) {
      psp_fail(e, region, "entry %s makes a path longer than this system allows", path);
      goto done;
    }
#ifdef _WIN32
    for (char *c = full; *c; c++)
      if (*c == '/') *c = PSP_SEP;
#endif
    int executable = (mode_bits & 0111) != 0;
    if (is_folder) {
      counts->folders++;
      if (mode == PSP_TAR_EXTRACT) {
        if (make_parents(full, root_length) != 0 || (psp_fs_mkdir(full) != 0 && errno != EEXIST)) {
          psp_fail(e, "work environment", "cannot create %s: %s", full, strerror(errno));
          goto done;
        }
      } else if (!psp_fs_is_folder(full)) {
        psp_fail(e, where, "%s is missing or not a folder", full);
        goto done;
      }
      continue;
    }
    counts->files++;
    counts->bytes += size;
    int fd;
    if (mode == PSP_TAR_EXTRACT) {
      if (make_parents(full, root_length) != 0) {
        psp_fail(e, "work environment", "cannot create the folders of %s: %s", full, strerror(errno));
        goto done;
      }
      fd = psp_fs_create(full, executable);
      if (fd < 0) {
        if (errno == EEXIST) psp_fail(e, region, "entry %s appears twice", path);
        else psp_fail(e, "work environment", "cannot create %s: %s", full, strerror(errno));
        goto done;
      }
    } else {
      fd = psp_fs_open_matching(full, size, executable);
      if (fd < 0) {
        psp_fail(e, where, "%s is missing, or its size or mode changed", full);
        goto done;
      }
    }
    uint64_t left = size;
    while (left > 0) {
      size_t n = left > (1 << 16) ? (size_t)1 << 16 : (size_t)left;
      if (mode == PSP_TAR_EXTRACT) {
        /* Straight from the decompressed buffer when it holds enough: no copy. */
        if (r.at == r.have) {
          int got = refill(&r);
          if (got <= 0) {
            if (got == 0) psp_fail(e, region, "entry %s is cut short (truncated)", path);
            close(fd);
            goto done;
          }
        }
        if (n > r.have - r.at) n = r.have - r.at;
        const uint8_t *p = r.buf + r.at;
        size_t w = 0;
        while (w < n) {
          long k = (long)write(fd, p + w, (unsigned)(n - w));
          if (k < 0 && errno == EINTR) continue;
          if (k <= 0) {
            psp_fail(e, "work environment", "cannot write %s: %s", full, strerror(errno));
            close(fd);
            goto done;
          }
          w += (size_t)k;
        }
        r.at += n;
      } else {
        uint8_t want[1 << 16];
        if (take(&r, want, n) != 0) {
          close(fd);
          goto done;
        }
        size_t got = 0;
        while (got < n) {
          long k = (long)read(fd, chunk + got, (unsigned)(n - got));
          if (k <= 0) break;
          got += (size_t)k;
        }
        if (got != n || memcmp(want, chunk, n) != 0) {
          close(fd);
          psp_fail(e, where, "%s differs from the package", full);
          goto done;
        }
      }
      left -= n;
    }
    if (close(fd) != 0 && mode == PSP_TAR_EXTRACT) {
      psp_fail(e, "work environment", "cannot write %s: %s", full, strerror(errno));
      goto done;
    }
    size_t pad = (size_t)((BLOCK - size % BLOCK) % BLOCK);
    if (pad && take(&r, NULL, pad) != 0) goto done;
  }
  if (mode == PSP_TAR_COMPARE) {
    uint64_t files = 0, folders = 0;
    if (psp_fs_count_tree(folder, &files, &folders) != 0 || files != counts->files || folders < counts->folders) {
      psp_fail(e, where, "%s holds files the package does not", folder);
      goto done;
    }
  }
  result = 0;
done:
  free(chunk);
  free(r.buf);
  ZSTD_freeDStream(r.z);
  return result;
}
