#define _POSIX_C_SOURCE 200809L
#include "restore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "btm_format.h"
#include "sha256.h"

#include <fcntl.h>
#include <sys/stat.h>
#ifdef _WIN32
#include <io.h>
#include <process.h>
#include <windows.h>
#define getpid _getpid
#else
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

static restore_status fail(restore_result *r, restore_status status, const char *fmt, const char *a, const char *b) {
  snprintf(r->message, sizeof r->message, fmt, a, b);
  return status;
}

static int flush_to_disk(FILE *f) {
  if (fflush(f) != 0) return -1;
#ifdef _WIN32
  return _commit(_fileno(f));
#else
  return fsync(fileno(f));
#endif
}

static int replace_file(const char *from, const char *to) {
#ifdef _WIN32
  return MoveFileExA(from, to, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH) ? 0 : -1;
#else
  return rename(from, to);
#endif
}

static FILE *create_temp(const char *output, char *path, size_t path_size) {
  for (unsigned attempt = 0; attempt < 100; attempt++) {
    snprintf(path, path_size, "%s.tmp-%ld-%u", output, (long)getpid(), attempt);
    FILE *f = fopen(path, "wbx"); /* C11 exclusive create: never reuses another writer's file */
    if (f != NULL || errno != EEXIST) return f;
  }
  return NULL;
}

restore_status restore_file(const char *input, const char *output, const restore_options *options,
                            restore_result *result) {
  memset(result, 0, sizeof *result);
  FILE *in = fopen(input, "rb");
  if (in == NULL) return fail(result, RESTORE_IO, "cannot open %s: %s", input, strerror(errno));

  char temp[4096];
  FILE *out = create_temp(output, temp, sizeof temp);
  if (out == NULL) {
    fclose(in);
    return fail(result, RESTORE_IO, "cannot create a temp file beside %s: %s", output, strerror(errno));
  }

  restore_status status = RESTORE_OK;
  ZSTD_DStream *stream = ZSTD_createDStream();
  size_t in_cap = ZSTD_DStreamInSize(), out_cap = ZSTD_DStreamOutSize();
  uint8_t *in_buf = malloc(in_cap), *out_buf = malloc(out_cap);
  sha256_ctx hash;
  sha256_init(&hash);
  size_t pending = 1; /* non-zero while a frame is open or none has been read yet */
  int saw_input = 0;

  if (stream == NULL || in_buf == NULL || out_buf == NULL) {
    status = fail(result, RESTORE_IO, "out of memory restoring %s%s", input, "");
    goto done;
  }
  ZSTD_initDStream(stream);
  for (;;) {
    size_t got = fread(in_buf, 1, in_cap, in);
    if (got == 0) {
      if (ferror(in)) status = fail(result, RESTORE_IO, "cannot read %s: %s", input, strerror(errno));
      break;
    }
    saw_input = 1;
    ZSTD_inBuffer src = {in_buf, got, 0};
    while (src.pos < src.size) {
      ZSTD_outBuffer dst = {out_buf, out_cap, 0};
      pending = ZSTD_decompressStream(stream, &dst, &src);
      if (ZSTD_isError(pending)) {
        status = fail(result, RESTORE_CORRUPT, "%s is not a valid zstd stream: %s", input, ZSTD_getErrorName(pending));
        goto done;
      }
      if (dst.pos > 0) {
        sha256_update(&hash, out_buf, dst.pos);
        result->size += dst.pos;
        if (fwrite(out_buf, 1, dst.pos, out) != dst.pos) {
          status = fail(result, RESTORE_IO, "cannot write %s: %s", temp, strerror(errno));
          goto done;
        }
      }
    }
  }
  if (status == RESTORE_OK && (!saw_input || pending != 0)) {
    status = fail(result, RESTORE_CORRUPT, "%s is truncated: the zstd frame %s", input,
                  saw_input ? "does not end" : "is missing (empty file)");
  }
  if (status == RESTORE_OK) {
    uint8_t digest[32];
    sha256_final(&hash, digest);
    sha256_hex(digest, result->sha256);
    char size_text[32];
    snprintf(size_text, sizeof size_text, "%llu", (unsigned long long)result->size);
    if (options->expected_size >= 0 && (uint64_t)options->expected_size != result->size) {
      char want[32];
      snprintf(want, sizeof want, "%lld", (long long)options->expected_size);
      status = fail(result, RESTORE_MISMATCH, "size mismatch: restored %s bytes, expected %s", size_text, want);
    } else if (options->expected_sha256 != NULL && strcmp(options->expected_sha256, result->sha256) != 0) {
      status = fail(result, RESTORE_MISMATCH, "sha256 mismatch: restored %s, expected %s", result->sha256,
                    options->expected_sha256);
    }
  }
  if (status == RESTORE_OK && flush_to_disk(out) != 0)
    status = fail(result, RESTORE_IO, "cannot flush %s: %s", temp, strerror(errno));

done:
  ZSTD_freeDStream(stream);
  free(in_buf);
  free(out_buf);
  fclose(in);
  if (fclose(out) != 0 && status == RESTORE_OK)
    status = fail(result, RESTORE_IO, "cannot close %s: %s", temp, strerror(errno));
#ifndef _WIN32
  if (status == RESTORE_OK && chmod(temp, options->mode) != 0)
    status = fail(result, RESTORE_IO, "cannot set the mode of %s: %s", temp, strerror(errno));
#endif
  if (status == RESTORE_OK && replace_file(temp, output) != 0)
    status = fail(result, RESTORE_IO, "cannot move the restored file to %s: %s", output, strerror(errno));
  if (status != RESTORE_OK) remove(temp);
  return status;
}

restore_status restore_pressed(const char *input, const char *output, restore_result *result) {
  memset(result, 0, sizeof *result);
#ifdef _WIN32
  int fd = _open(input, _O_RDONLY | _O_BINARY);
  struct _stat64 st;
  if (fd < 0 || _fstat64(fd, &st) != 0) return fail(result, RESTORE_IO, "cannot open %s: %s", input, strerror(errno));
#define close _close
#else
  int fd = open(input, O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) return fail(result, RESTORE_IO, "cannot open %s: %s", input, strerror(errno));
#endif
  btm_trailer trailer;
  char error[512];
  btm_status status = btm_read_trailer(fd, (uint64_t)st.st_size, &trailer, error, sizeof error);
  if (status != BTM_OK) {
    close(fd);
    if (status == BTM_NOT_PRESSED) return RESTORE_USAGE;
    return fail(result, status == BTM_CORRUPT ? RESTORE_CORRUPT : RESTORE_IO, "%s: %s", input, error);
  }
  char temp[4096];
  FILE *out = create_temp(output, temp, sizeof temp);
  if (out == NULL) {
    close(fd);
    return fail(result, RESTORE_IO, "cannot create a temp file beside %s: %s", output, strerror(errno));
  }
  status = btm_unpack(fd, &trailer, fileno(out), 1, error, sizeof error);
  close(fd);
  restore_status code = status == BTM_OK ? RESTORE_OK : status == BTM_CORRUPT ? RESTORE_CORRUPT : RESTORE_IO;
  if (code != RESTORE_OK) fail(result, code, "%s: %s", input, error);
  if (code == RESTORE_OK && flush_to_disk(out) != 0) code = fail(result, RESTORE_IO, "cannot flush %s: %s", temp, strerror(errno));
  if (fclose(out) != 0 && code == RESTORE_OK) code = fail(result, RESTORE_IO, "cannot close %s: %s", temp, strerror(errno));
#ifndef _WIN32
  if (code == RESTORE_OK && chmod(temp, st.st_mode & 07777) != 0)
    code = fail(result, RESTORE_IO, "cannot set the mode of %s: %s", temp, strerror(errno));
#endif
  if (code == RESTORE_OK && replace_file(temp, output) != 0)
    code = fail(result, RESTORE_IO, "cannot move the restored file to %s: %s", output, strerror(errno));
  if (code != RESTORE_OK) {
    remove(temp);
    return code;
  }
  result->size = trailer.uncompressed_size;
  sha256_hex(trailer.original_sha256, result->sha256);
  return RESTORE_OK;
}
