#define _GNU_SOURCE /* sync_file_range */
#include "btm_format.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "pe_signed.h"
#include "sha256.h"

#ifdef _WIN32
#include <io.h>
#include <windows.h>
/* POSIX pread over a CRT descriptor: a positioned ReadFile, so no shared file offset is moved. */
static ssize_t pread(int fd, void *buffer, size_t size, off_t offset) {
  OVERLAPPED at = {0};
  at.Offset = (DWORD)((uint64_t)offset & 0xffffffffu);
  at.OffsetHigh = (DWORD)((uint64_t)offset >> 32);
  DWORD got = 0;
  if (!ReadFile((HANDLE)_get_osfhandle(fd), buffer, (DWORD)size, &got, &at))
    return GetLastError() == ERROR_HANDLE_EOF ? 0 : -1;
  return (ssize_t)got;
}
#ifndef EDQUOT
#define EDQUOT ENOSPC
#endif
#endif

static const uint8_t MAGIC[8] = {'B', 'T', 'M', 'P', 'R', 'E', 'S', 'S'};

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

static btm_status fail(char *error, size_t size, btm_status status, const char *message) {
  snprintf(error, size, "%s", message);
  return status;
}

btm_status btm_parse_trailer(const uint8_t b[BTM_TRAILER_SIZE], uint64_t file_size, btm_trailer *t, char *error,
                             size_t error_size) {
  if (memcmp(b, MAGIC, sizeof MAGIC) != 0)
    return fail(error, error_size, BTM_NOT_PRESSED, "no BTMPRESS trailer at the end of the file");
  sha256_ctx ctx;
  uint8_t digest[32];
  sha256_init(&ctx);
  sha256_update(&ctx, b, 120);
  sha256_final(&ctx, digest);
  if (memcmp(digest, b + 120, 8) != 0) return fail(error, error_size, BTM_CORRUPT, "trailer check mismatch (damaged trailer)");
  t->version = le16(b + 8);
  t->codec = le16(b + 10);
  t->flags = le32(b + 12);
  t->payload_offset = le64(b + 16);
  t->payload_size = le64(b + 24);
  t->uncompressed_size = le64(b + 32);
  memcpy(t->original_sha256, b + 40, 32);
  memcpy(t->payload_sha256, b + 72, 32);
  memcpy(t->cache_key, b + 104, 16);
  if (t->version != BTM_FORMAT_VERSION) {
    snprintf(error, error_size, "format version %u; this reader understands %d", t->version, BTM_FORMAT_VERSION);
    return BTM_CORRUPT;
  }
  if (t->codec != BTM_CODEC_ZSTD) {
    snprintf(error, error_size, "codec %u; this reader understands zstd (%d)", t->codec, BTM_CODEC_ZSTD);
    return BTM_CORRUPT;
  }
  if (t->flags != 0) return fail(error, error_size, BTM_CORRUPT, "unknown trailer flags");
  if (file_size < BTM_TRAILER_SIZE || t->payload_offset == 0 || t->payload_size == 0 ||
      t->payload_offset > file_size - BTM_TRAILER_SIZE ||
      t->payload_size > file_size - BTM_TRAILER_SIZE - t->payload_offset)
    return fail(error, error_size, BTM_CORRUPT, "payload offset or size lies outside the file (truncated?)");
  if (t->uncompressed_size == 0 || t->uncompressed_size > BTM_MAX_UNCOMPRESSED)
    return fail(error, error_size, BTM_CORRUPT, "uncompressed size out of range");
  return BTM_OK;
}

btm_status btm_read_trailer(int fd, uint64_t file_size, btm_trailer *t, char *error, size_t error_size) {
  uint8_t bytes[BTM_TRAILER_SIZE + 7];
  if (file_size < BTM_TRAILER_SIZE) return fail(error, error_size, BTM_NOT_PRESSED, "file too short for a trailer");
  /* An Authenticode-signed program: its trailer ends where the certificate table (and the zeros
     aligning it) begins (docs/binpress-format.md, "Authenticode"); any other file ends with it. */
  uint8_t head[4096];
  ssize_t got = pread(fd, head, sizeof head, 0);
  uint64_t table = got > 0 ? pe_certificate_table(head, (uint64_t)got, file_size, BTM_TRAILER_SIZE) : 0;
  uint64_t end = table ? table : file_size;
  uint64_t from = end >= sizeof bytes ? end - sizeof bytes : 0;
  if (pread(fd, bytes, (size_t)(end - from), (off_t)from) != (ssize_t)(end - from)) {
    snprintf(error, error_size, "cannot read the trailer: %s", strerror(errno));
    return BTM_IO;
  }
  const uint8_t *last = bytes + (end - from);
  int pad = 0;
  while (table && pad < 7 && end - pad > BTM_TRAILER_SIZE && memcmp(last - pad - BTM_TRAILER_SIZE, MAGIC, sizeof MAGIC) != 0 && last[-pad - 1] == 0) pad++;
  return btm_parse_trailer(last - pad - BTM_TRAILER_SIZE, end - pad, t, error, error_size);
}

static btm_status write_all(int fd, const uint8_t *data, size_t size, char *error, size_t error_size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      snprintf(error, error_size, "cannot write the extracted binary: %s", strerror(errno));
      return errno == ENOSPC || errno == EDQUOT ? BTM_NOSPACE : BTM_IO;
    }
    data += n;
    size -= (size_t)n;
  }
  return BTM_OK;
}

/*
 * Decompression feeds a writer thread through a ring of chunks: hashing and write(2) of one
 * chunk overlap decompressing the next, as `zstd -d` overlaps its writes. Writeback is started
 * every few MiB so the final fsync has little left to wait for.
 */
#define CHUNK_SIZE ((size_t)1 << 20)
#define SLOTS 4
#define WRITEBACK_EVERY ((uint64_t)8 << 20)

typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t changed;
  uint8_t *buf[SLOTS];
  size_t len[SLOTS];
  unsigned filled, drained; /* chunks handed over and written; filled - drained are in flight */
  int finished;             /* no more chunks will come */
  int out_fd;
  sha256_ctx hash;
  uint64_t written, flushed;
  btm_status status; /* the writer's first failure */
  char error[256];
} writer;

static btm_status drain(writer *w, unsigned slot) {
  sha256_update(&w->hash, w->buf[slot], w->len[slot]);
  btm_status s = write_all(w->out_fd, w->buf[slot], w->len[slot], w->error, sizeof w->error);
  w->written += w->len[slot];
#ifdef __linux__
  if (s == BTM_OK && w->written - w->flushed >= WRITEBACK_EVERY) {
    /* Fails harmlessly (EINVAL, ESPIPE) on a memfd or a pipe. */
    sync_file_range(w->out_fd, (off_t)w->flushed, (off_t)(w->written - w->flushed), SYNC_FILE_RANGE_WRITE);
    w->flushed = w->written;
  }
#endif
  return s;
}

static void *writer_main(void *arg) {
  writer *w = arg;
  pthread_mutex_lock(&w->mu);
  for (;;) {
    while (w->filled == w->drained && !w->finished) pthread_cond_wait(&w->changed, &w->mu);
    if (w->filled == w->drained) break;
    unsigned slot = w->drained % SLOTS;
    int failed = w->status != BTM_OK;
    pthread_mutex_unlock(&w->mu);
    btm_status s = failed ? BTM_OK : drain(w, slot);
    pthread_mutex_lock(&w->mu);
    if (s != BTM_OK) w->status = s;
    w->drained++;
    pthread_cond_broadcast(&w->changed);
  }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

btm_status btm_unpack(int fd, const btm_trailer *t, int out_fd, int check_payload, char *error, size_t error_size) {
  btm_status status = BTM_OK;
  size_t in_cap = ZSTD_DStreamInSize();
  uint8_t *in = malloc(in_cap);
  ZSTD_DStream *stream = ZSTD_createDStream();
  sha256_ctx payload_hash;
  sha256_init(&payload_hash);
  writer w = {.out_fd = out_fd, .status = BTM_OK};
  pthread_mutex_init(&w.mu, NULL);
  pthread_cond_init(&w.changed, NULL);
  sha256_init(&w.hash);
  int have_buffers = 1;
  for (int i = 0; i < SLOTS; i++) have_buffers &= (w.buf[i] = malloc(CHUNK_SIZE)) != NULL;
  pthread_t thread;
  int threaded = 0;
  uint64_t offset = t->payload_offset, left = t->payload_size, produced = 0;
  size_t pending = 1;
  ZSTD_inBuffer src = {in, 0, 0};
  if (in == NULL || stream == NULL || !have_buffers) {
    status = fail(error, error_size, BTM_IO, "out of memory");
    goto done;
  }
  ZSTD_initDStream(stream);
  /* Without a thread (none left to create), each chunk is written before the next is made. */
  threaded = pthread_create(&thread, NULL, writer_main, &w) == 0;
  for (;;) {
    pthread_mutex_lock(&w.mu);
    while (w.filled - w.drained == SLOTS && w.status == BTM_OK) pthread_cond_wait(&w.changed, &w.mu);
    int writer_failed = w.status != BTM_OK;
    pthread_mutex_unlock(&w.mu);
    if (writer_failed) break;
    unsigned slot = w.filled % SLOTS;
    ZSTD_outBuffer dst = {w.buf[slot], CHUNK_SIZE, 0};
    while (dst.pos < dst.size) {
      if (src.pos == src.size && left > 0) {
        size_t want = left < in_cap ? (size_t)left : in_cap;
        ssize_t got = pread(fd, in, want, (off_t)offset);
        if (got <= 0) {
          status = fail(error, error_size, got == 0 ? BTM_CORRUPT : BTM_IO, got == 0 ? "payload truncated" : "cannot read the payload");
          goto done;
        }
        if (check_payload) sha256_update(&payload_hash, in, (size_t)got);
        offset += (uint64_t)got;
        left -= (uint64_t)got;
        src = (ZSTD_inBuffer){in, (size_t)got, 0};
      }
      /* The frame is complete: another call would start a new frame and report it unfinished. */
      if (pending == 0 && src.pos == src.size && left == 0) break;
      size_t out_before = dst.pos, in_before = src.pos;
      pending = ZSTD_decompressStream(stream, &dst, &src);
      if (ZSTD_isError(pending)) {
        snprintf(error, error_size, "corrupt payload: %s", ZSTD_getErrorName(pending));
        status = BTM_CORRUPT;
        goto done;
      }
      /* No progress with all input read: the payload is truncated (checked below). */
      if (dst.pos == out_before && src.pos == in_before) break;
    }
    produced += dst.pos;
    if (produced > t->uncompressed_size) {
      status = fail(error, error_size, BTM_CORRUPT, "corrupt payload: more bytes than the trailer promises");
      goto done;
    }
    if (dst.pos == 0) break;
    w.len[slot] = dst.pos;
    btm_status inline_status = threaded ? BTM_OK : drain(&w, slot);
    pthread_mutex_lock(&w.mu);
    if (inline_status != BTM_OK) w.status = inline_status;
    w.filled++;
    if (!threaded) w.drained++;
    pthread_cond_broadcast(&w.changed);
    pthread_mutex_unlock(&w.mu);
  }
done:
  pthread_mutex_lock(&w.mu);
  w.finished = 1;
  pthread_cond_broadcast(&w.changed);
  pthread_mutex_unlock(&w.mu);
  if (threaded) pthread_join(thread, NULL);
  if (status == BTM_OK && w.status != BTM_OK) {
    status = w.status;
    snprintf(error, error_size, "%s", w.error);
  }
  if (status == BTM_OK) {
    uint8_t digest[32];
    sha256_final(&payload_hash, digest);
    if (check_payload && memcmp(digest, t->payload_sha256, 32) != 0)
      status = fail(error, error_size, BTM_CORRUPT, "corrupt payload: SHA-256 of the payload does not match the trailer");
    else if (pending != 0 || produced != t->uncompressed_size)
      status = fail(error, error_size, BTM_CORRUPT, "corrupt payload: decompressed size does not match the trailer");
    else if (sha256_final(&w.hash, digest), memcmp(digest, t->original_sha256, 32) != 0)
      status = fail(error, error_size, BTM_CORRUPT, "corrupt payload: SHA-256 of the binary does not match the trailer");
  }
  ZSTD_freeDStream(stream);
  free(in);
  for (int i = 0; i < SLOTS; i++) free(w.buf[i]);
  pthread_cond_destroy(&w.changed);
  pthread_mutex_destroy(&w.mu);
  return status;
}

void btm_cache_key_hex(const btm_trailer *t, char hex[33]) {
  static const char digits[] = "0123456789abcdef";
  for (int i = 0; i < 16; i++) {
    hex[2 * i] = digits[t->cache_key[i] >> 4];
    hex[2 * i + 1] = digits[t->cache_key[i] & 15];
  }
  hex[32] = '\0';
}
