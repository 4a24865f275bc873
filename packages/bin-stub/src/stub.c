/*
 * BTM self-extracting stub. Appended payload + trailer make it a compressed copy of another
 * executable. First run: extract into the cache atomically and verified; every run: exec the
 * cached binary, so arguments, environment, stdio, exit code and signals are the binary's own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/mman.h>
#endif
#ifdef __APPLE__
#include <mach-o/dyld.h>
#endif

#include "btm_format.h"

extern char **environ;

static const char *self_name = "btm-stub";

static int die(int code, const char *what, const char *detail) {
  fprintf(stderr, "%s: %s%s%s\n", self_name, what, detail[0] ? ": " : "", detail);
  return code;
}

static int self_path(char *path, size_t size) {
#ifdef __APPLE__
  char raw[PATH_MAX];
  uint32_t n = sizeof raw;
  if (_NSGetExecutablePath(raw, &n) != 0 || realpath(raw, path) == NULL) return -1;
  (void)size;
  return 0;
#else
  ssize_t n = readlink("/proc/self/exe", path, size - 1);
  if (n <= 0) return -1;
  path[n] = '\0';
  return 0;
#endif
}

static int mkdirs(const char *path) {
  char tmp[PATH_MAX];
  if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) return -1;
  for (char *p = tmp + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  return mkdir(tmp, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

/* $BTM_DLX_DIR, else $XDG_CACHE_HOME/btm/dlx, else ~/.cache/btm/dlx. */
static int cache_root(char *out, size_t size) {
  const char *dlx = getenv("BTM_DLX_DIR"), *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
  int n;
  if (dlx && dlx[0]) n = snprintf(out, size, "%s", dlx);
  else if (xdg && xdg[0]) n = snprintf(out, size, "%s/btm/dlx", xdg);
  else if (home && home[0]) n = snprintf(out, size, "%s/.cache/btm/dlx", home);
  else return -1;
  return n > 0 && (size_t)n < size ? 0 : -1;
}

/* A complete entry: the right size, executable, and its completion marker present. */
static int cached(const char *entry, const char *marker, uint64_t size) {
  struct stat st;
  return stat(entry, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == size && (st.st_mode & S_IXUSR) &&
         access(marker, F_OK) == 0;
}

static void fsync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

/* Extracts into dir/name through a temp file: verified, flushed, made executable, renamed. */
static btm_status extract(int self_fd, const btm_trailer *t, const char *dir, const char *entry, const char *marker,
                          char *error, size_t error_size) {
  char temp[PATH_MAX];
  int n = snprintf(temp, sizeof temp, "%s/.extract.tmp-%ld-%lx", dir, (long)getpid(), (unsigned long)random());
  if (n < 0 || (size_t)n >= sizeof temp) {
    snprintf(error, error_size, "cache path too long");
    return BTM_IO;
  }
  int out = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
  if (out < 0) {
    snprintf(error, error_size, "cannot create %s: %s", temp, strerror(errno));
    return errno == ENOSPC || errno == EDQUOT ? BTM_NOSPACE : BTM_IO;
  }
  btm_status status = btm_unpack(self_fd, t, out, 0, error, error_size);
  if (status == BTM_OK && fsync(out) != 0) {
    snprintf(error, error_size, "cannot flush %s: %s", temp, strerror(errno));
    status = errno == ENOSPC ? BTM_NOSPACE : BTM_IO;
  }
  if (close(out) != 0 && status == BTM_OK) status = BTM_IO;
  if (status == BTM_OK && (chmod(temp, 0755) != 0 || rename(temp, entry) != 0)) {
    snprintf(error, error_size, "cannot move the binary into %s: %s", entry, strerror(errno));
    status = BTM_IO;
  }
  if (status != BTM_OK) {
    unlink(temp);
    return status;
  }
  /* The marker is written only after the binary is complete and in place. */
  int m = open(marker, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (m >= 0) {
    fsync(m);
    close(m);
  }
  fsync_dir(dir);
  return BTM_OK;
}

#ifdef __linux__
/* No writable cache: extract into memory and execute that. */
static int run_from_memory(int self_fd, const btm_trailer *t, char **argv) {
  char error[512];
  int fd = (int)memfd_create(self_name, MFD_CLOEXEC);
  if (fd < 0) return die(BTM_EXIT_CACHE, "no writable cache and no memfd", strerror(errno));
  btm_status status = btm_unpack(self_fd, t, fd, 0, error, sizeof error);
  if (status == BTM_CORRUPT) return die(BTM_EXIT_CORRUPT, "corrupt compressed binary", error);
  if (status != BTM_OK) return die(status == BTM_NOSPACE ? BTM_EXIT_NOSPACE : BTM_EXIT_CACHE, "cannot extract into memory", error);
  fexecve(fd, argv, environ);
  return die(BTM_EXIT_EXEC, "cannot execute the extracted binary", strerror(errno));
}
#endif

int main(int argc, char **argv) {
  (void)argc;
  char self[PATH_MAX], error[512];
  if (argv[0] && argv[0][0]) {
    const char *slash = strrchr(argv[0], '/');
    self_name = slash ? slash + 1 : argv[0];
  }
  if (self_path(self, sizeof self) != 0) return die(BTM_EXIT_SELF, "cannot find its own executable", strerror(errno));
  int self_fd = open(self, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (self_fd < 0 || fstat(self_fd, &st) != 0) return die(BTM_EXIT_SELF, "cannot read its own executable", strerror(errno));
  btm_trailer t;
  btm_status status = btm_read_trailer(self_fd, (uint64_t)st.st_size, &t, error, sizeof error);
  if (status == BTM_NOT_PRESSED)
    return die(BTM_EXIT_CORRUPT, "no BTMPRESS trailer in the last 128 bytes: a truncated compressed binary, or the bare stub (make one with `btm binpress`)", "");
  if (status != BTM_OK) return die(BTM_EXIT_CORRUPT, "corrupt compressed binary", error);

  const char *slash = strrchr(self, '/');
  const char *name = slash ? slash + 1 : self;
  char root[PATH_MAX], dir[PATH_MAX], entry[PATH_MAX], marker[PATH_MAX], lock[PATH_MAX], key[33];
  btm_cache_key_hex(&t, key);
  int have_cache = cache_root(root, sizeof root) == 0 && snprintf(dir, sizeof dir, "%s/%s", root, key) < (int)sizeof dir &&
                   snprintf(entry, sizeof entry, "%s/%s", dir, name) < (int)sizeof entry &&
                   snprintf(marker, sizeof marker, "%s/.%s.complete", dir, name) < (int)sizeof marker &&
                   snprintf(lock, sizeof lock, "%s/.lock", dir) < (int)sizeof lock;

  if (have_cache && cached(entry, marker, t.uncompressed_size)) {
    execve(entry, argv, environ);
    /* An unusable entry (noexec mount, deleted meanwhile) falls through to extraction. */
  }
  int cache_ok = have_cache && mkdirs(dir) == 0;
  if (have_cache && !cache_ok) fprintf(stderr, "%s: cannot create the cache folder %s (%s); extracting privately\n", self_name, dir, strerror(errno));
  if (cache_ok) {
    /* One extractor at a time; the others wait, then find the entry complete. */
    int lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd >= 0) flock(lock_fd, LOCK_EX);
    if (!cached(entry, marker, t.uncompressed_size)) status = extract(self_fd, &t, dir, entry, marker, error, sizeof error);
    else status = BTM_OK;
    if (lock_fd >= 0) close(lock_fd);
    if (status == BTM_OK) {
      execve(entry, argv, environ);
      return die(BTM_EXIT_EXEC, "cannot execute the extracted binary", strerror(errno));
    }
    if (status == BTM_CORRUPT) return die(BTM_EXIT_CORRUPT, "corrupt compressed binary", error);
    fprintf(stderr, "%s: cannot use the cache (%s); extracting privately\n", self_name, error);
  }
#ifdef __linux__
  return run_from_memory(self_fd, &t, argv);
#else
  char temp_dir[] = "/tmp/btm-dlx-XXXXXX";
  if (mkdtemp(temp_dir) == NULL) return die(BTM_EXIT_CACHE, "no writable cache and no temp folder", strerror(errno));
  snprintf(entry, sizeof entry, "%s/%s", temp_dir, name);
  snprintf(marker, sizeof marker, "%s/.%s.complete", temp_dir, name);
  status = extract(self_fd, &t, temp_dir, entry, marker, error, sizeof error);
  if (status == BTM_CORRUPT) return die(BTM_EXIT_CORRUPT, "corrupt compressed binary", error);
  if (status != BTM_OK) return die(status == BTM_NOSPACE ? BTM_EXIT_NOSPACE : BTM_EXIT_CACHE, "cannot extract", error);
  execve(entry, argv, environ);
  return die(BTM_EXIT_EXEC, "cannot execute the extracted binary", strerror(errno));
#endif
}
