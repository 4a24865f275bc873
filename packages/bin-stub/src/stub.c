/*
 * BTM self-extracting stub. Appended payload + trailer make it a compressed copy of another
 * executable. First run: extract into the cache atomically and verified; every run: load the
 * cached binary into this process (Linux) or exec it, so arguments, environment, stdio, exit code
 * and signals are the binary's own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
/* memfd_create() came with glibc 2.27; the stub runs on glibc 2.17 (the release floor), so it asks
 * the kernel directly. */
#include <sys/mman.h>
#include <sys/syscall.h>
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 1U
#endif
#endif

#include "btm_format.h"
#include "cachedir.h"
#ifdef __linux__
#include "inplace.h"
#endif

extern char **environ;

static const char *self_name = "btm-stub";

static int die(int code, const char *what, const char *detail) {
  fprintf(stderr, "%s: %s%s%s\n", self_name, what, detail[0] ? ": " : "", detail);
  return code;
}

/* BTM_DLX_TRACE=1: one line saying how the program was started and why. */
static void trace(const char *how, const char *detail) {
  const char *t = getenv("BTM_DLX_TRACE");
  if (t && t[0] == '1') fprintf(stderr, "%s: %s%s%s\n", self_name, how, detail[0] ? ": " : "", detail);
}

#ifdef __linux__
/* In place unless BTM_DLX_EXEC=1 asks for exec; returns (with why) when it falls back. */
static btm_inplace_status try_in_place(int fd, const char *what, char **argv, char *why, size_t why_size) {
  const char *force = getenv("BTM_DLX_EXEC");
  if (force && force[0] == '1') {
    snprintf(why, why_size, "BTM_DLX_EXEC=1");
    return BTM_INPLACE_UNSUPPORTED;
  }
  char line[PATH_MAX + 32];
  snprintf(line, sizeof line, "%s", what);
  trace("in place", line);
  return btm_run_in_place(fd, what, argv, why, why_size);
}
#endif

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

/*
 * The record written beside an entry at extraction (docs/binpress-format.md): what the file must
 * still be for a warm run to execute it. A replaced file has another inode; a modified one a new
 * mtime and ctime, and ctime cannot be set back by anyone but the kernel.
 */
static void entry_record(const struct stat *st, char *out, size_t size) {
  snprintf(out, size, "btm-dlx-entry 1 %llu %llu %llu %lld.%09ld %lld.%09ld %lu %o\n", (unsigned long long)st->st_dev,
           (unsigned long long)st->st_ino, (unsigned long long)st->st_size, (long long)BTM_MTIM(*st).tv_sec, (long)BTM_MTIM(*st).tv_nsec,
           (long long)BTM_CTIM(*st).tv_sec, (long)BTM_CTIM(*st).tv_nsec, (unsigned long)st->st_uid, (unsigned)(st->st_mode & 07777));
}

/* The entry opened once, without following links, and checked against its record; -1 if it does not match. */
static int open_verified(const char *entry, const char *marker, uint64_t size) {
  int fd = open(entry, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -1;
  struct stat st;
  char want[200], have[200];
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (uint64_t)st.st_size != size) goto mismatch;
  entry_record(&st, want, sizeof want);
  int m = open(marker, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (m < 0) goto mismatch;
  ssize_t n = read(m, have, sizeof have - 1);
  close(m);
  if (n <= 0) goto mismatch;
  have[n] = '\0';
  if (strcmp(want, have) == 0) return fd;
mismatch:
  close(fd);
  return -1;
}

/* Under the lock nobody else is extracting here: every temp file is a killed run's. */
static void remove_stale_temps(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, ".extract.tmp-", 13) == 0) unlinkat(dirfd(d), e->d_name, 0);
  }
  closedir(d);
}

static void fsync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

/* Extracts into dir/name through a temp file: verified, flushed, made executable, renamed, recorded. */
static btm_status extract(int self_fd, const btm_trailer *t, const char *dir, const char *entry, const char *marker,
                          char *error, size_t error_size) {
  char temp[PATH_MAX];
  int n = snprintf(temp, sizeof temp, "%s/.extract.tmp-%ld-%016llx", dir, (long)getpid(), btm_random_suffix());
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
  /* The old record goes first: an entry never matches a record that was not written for it. */
  unlink(marker);
  if (status == BTM_OK && (fchmod(out, 0755) != 0 || rename(temp, entry) != 0)) {
    snprintf(error, error_size, "cannot move the binary into %s: %s", entry, strerror(errno));
    status = BTM_IO;
  }
  struct stat st;
  if (status == BTM_OK && fstat(out, &st) != 0) status = BTM_IO;
  if (close(out) != 0 && status == BTM_OK) status = BTM_IO;
  if (status != BTM_OK) {
    unlink(temp);
    return status;
  }
  /* Taken after the rename (which changes ctime); a partly written record simply never matches. */
  char record[200];
  entry_record(&st, record, sizeof record);
  int m = open(marker, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (m >= 0) {
    if (write(m, record, strlen(record)) == (ssize_t)strlen(record)) fsync(m);
    close(m);
  }
  fsync_dir(dir);
  return BTM_OK;
}

/* No usable cache: extract into memory (Linux) or a private temp folder, and execute that. */
static int run_privately(int self_fd, const btm_trailer *t, const char *name, char **argv) {
  char error[512];
  btm_status status;
#ifdef __linux__
  (void)name;
  int fd = (int)syscall(SYS_memfd_create, self_name, MFD_CLOEXEC);
  if (fd < 0) return die(BTM_EXIT_CACHE, "no usable cache and no memfd", strerror(errno));
  status = btm_unpack(self_fd, t, fd, 0, error, sizeof error);
  if (status == BTM_CORRUPT) return die(BTM_EXIT_CORRUPT, "corrupt compressed binary", error);
  if (status != BTM_OK) return die(status == BTM_NOSPACE ? BTM_EXIT_NOSPACE : BTM_EXIT_CACHE, "cannot extract into memory", error);
  close(self_fd);
  if (try_in_place(fd, "memfd", argv, error, sizeof error) != 0) trace("exec", error);
  fexecve(fd, argv, environ);
#else
  char temp_dir[] = "/tmp/btm-dlx-XXXXXX", entry[PATH_MAX], marker[PATH_MAX];
  if (mkdtemp(temp_dir) == NULL) return die(BTM_EXIT_CACHE, "no usable cache and no temp folder", strerror(errno));
  snprintf(entry, sizeof entry, "%s/%s", temp_dir, name);
  snprintf(marker, sizeof marker, "%s/.%s.complete", temp_dir, name);
  status = extract(self_fd, t, temp_dir, entry, marker, error, sizeof error);
  if (status == BTM_CORRUPT) return die(BTM_EXIT_CORRUPT, "corrupt compressed binary", error);
  if (status != BTM_OK) return die(status == BTM_NOSPACE ? BTM_EXIT_NOSPACE : BTM_EXIT_CACHE, "cannot extract", error);
  execve(entry, argv, environ);
#endif
  return die(BTM_EXIT_EXEC, "cannot execute the extracted binary", strerror(errno));
}

/*
 * Runs the verified descriptor itself, nothing opened again between the check and the run: loaded
 * in place where it can be, else executed. Returns an errno, or -1 when the mount refuses to map
 * it executable (noexec).
 */
static int run_verified(int fd, int self_fd, const char *entry, char **argv) {
#ifdef __linux__
  char why[PATH_MAX + 128];
  close(self_fd);
  btm_inplace_status s = try_in_place(fd, entry, argv, why, sizeof why);
  if (s == BTM_INPLACE_NOEXEC) return -1;
  trace("exec", why);
  fexecve(fd, argv, environ);
#else
  (void)fd, (void)self_fd;
  trace("exec", "loading in place is for Linux");
  execve(entry, argv, environ);
#endif
  return errno;
}

/* The cache folders exist and only this user can change them; else why not. */
static const char *prepare_cache(const char *root, const char *dir) {
  const char *why;
  if (btm_mkdirs(root) != 0) return strerror(errno);
  if ((why = btm_unsafe_dir(root)) != NULL) return why;
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) return strerror(errno);
  return btm_unsafe_dir(dir);
}

int main(int argc, char **argv, char **envp) {
  (void)argc;
#ifdef __linux__
  btm_inplace_init(envp);
#else
  (void)envp;
#endif
  char self[PATH_MAX], error[512];
  if (argv[0] && argv[0][0]) {
    const char *slash = strrchr(argv[0], '/');
    self_name = slash ? slash + 1 : argv[0];
  }
  if (btm_self_path(self, sizeof self) != 0) return die(BTM_EXIT_SELF, "cannot find its own executable", strerror(errno));
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
  if (!have_cache) return run_privately(self_fd, &t, name, argv);

  /* Warm: both folders safe, the entry matching its record, then that very descriptor executed. */
  int fd = -1;
  if (btm_unsafe_dir(root) == NULL && btm_unsafe_dir(dir) == NULL) fd = open_verified(entry, marker, t.uncompressed_size);
  if (fd < 0) {
    const char *why = prepare_cache(root, dir);
    if (why != NULL) {
      fprintf(stderr, "%s: not using the cache folder %s (%s); extracting privately\n", self_name, dir, why);
      return run_privately(self_fd, &t, name, argv);
    }
    /* One extractor at a time; the others wait, then find the entry complete. */
    int lock_fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (lock_fd >= 0) flock(lock_fd, LOCK_EX);
    remove_stale_temps(dir);
    fd = open_verified(entry, marker, t.uncompressed_size);
    status = BTM_OK;
    if (fd < 0) {
      status = extract(self_fd, &t, dir, entry, marker, error, sizeof error);
      if (status == BTM_OK) {
        fd = open_verified(entry, marker, t.uncompressed_size);
        if (fd < 0) {
          snprintf(error, sizeof error, "the entry written to %s does not match its record", entry);
          status = BTM_IO;
        }
      }
    }
    if (lock_fd >= 0) close(lock_fd);
    if (status == BTM_CORRUPT) return die(BTM_EXIT_CORRUPT, "corrupt compressed binary", error);
    if (status != BTM_OK) {
      fprintf(stderr, "%s: cannot use the cache (%s); extracting privately\n", self_name, error);
      return run_privately(self_fd, &t, name, argv);
    }
  }
  int err = run_verified(fd, self_fd, entry, argv);
  if (err == -1 || err == EACCES || err == EPERM) {
    fprintf(stderr, "%s: cannot execute from the cache folder %s (%s: a noexec mount?); running from memory\n", self_name, root,
            strerror(err == -1 ? EPERM : err));
    close(fd);
    self_fd = open(self, O_RDONLY | O_CLOEXEC);
    if (self_fd < 0) return die(BTM_EXIT_SELF, "cannot read its own executable", strerror(errno));
    return run_privately(self_fd, &t, name, argv);
  }
  return die(BTM_EXIT_EXEC, "cannot execute the extracted binary", strerror(err));
}
