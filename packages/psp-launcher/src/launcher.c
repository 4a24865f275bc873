/*
 * BTM's PSP launcher (docs/psp-format.md, "Launcher" and "Work environment"): the first bytes of a signed
 * self-contained package. It checks the package against the keys written into it at pack time,
 * extracts each slot once into a content-addressed work environment, and executes the entry
 * point there, so argv, stdio, signals and the exit code are the program's own.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cachedir.h"
#include "launcher_common.h"
#include "psp.h"
#include "psp_tar.h"

/* $BTM_WORKENV_DIR, else $XDG_CACHE_HOME/btm/workenv, else ~/.cache/btm/workenv. */
static int workenv_root(char *out) {
  const char *dir = getenv("BTM_WORKENV_DIR"), *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
  if (dir && dir[0]) return path_of(out, "%s", dir);
  if (xdg && xdg[0]) return path_of(out, "%s/btm/workenv", xdg);
  if (home && home[0]) return path_of(out, "%s/.cache/btm/workenv", home);
  return -1;
}

static int remove_tree(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : -1;
  if (!S_ISDIR(st.st_mode)) return unlink(path);
  DIR *d = opendir(path);
  if (!d) return -1;
  struct dirent *e;
  int result = 0;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    char child[PATH_MAX];
    if (path_of(child, "%s/%s", path, e->d_name) != 0 || remove_tree(child) != 0) result = -1;
  }
  closedir(d);
  return rmdir(path) == 0 ? result : -1;
}

/* What the entry must still be for a warm run to execute it: a replaced file has another inode, a
 * changed one a new mtime and ctime (which only the kernel sets). */
static void stat_record(const struct stat *st, char *out, size_t size) {
  snprintf(out, size, "entry %llu %llu %llu %lld.%09ld %lld.%09ld %lu %o\n", (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
           (unsigned long long)st->st_size, (long long)BTM_MTIM(*st).tv_sec, (long)BTM_MTIM(*st).tv_nsec, (long long)BTM_CTIM(*st).tv_sec,
           (long)BTM_CTIM(*st).tv_nsec, (unsigned long)st->st_uid, (unsigned)(st->st_mode & 07777));
}

/* Writes path through a temp file and a rename: a reader sees the old record or the whole new one. */
static int write_atomically(const char *dir, const char *path, const char *text) {
  char temp[PATH_MAX];
  if (path_of(temp, "%s/rec-%ld-%016llx", dir, (long)getpid(), btm_random_suffix()) != 0) return -1;
  int fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  size_t n = strlen(text);
  int ok = write(fd, text, n) == (ssize_t)n && fsync(fd) == 0;
  ok = close(fd) == 0 && ok;
  if (!ok || rename(temp, path) != 0) {
    unlink(temp);
    return -1;
  }
  return 0;
}

/* The record this run expects: the exact index (so metadata and table are as signed) and the entry's stat. */
static int expected_record(const workenv *w, const psp_package *p, char *out, size_t size, int *entry_ok) {
  const char *rest;
  const psp_slot *s = entry_slot(p, &rest);
  char dir[PATH_MAX], entry[PATH_MAX], index[PSP_INDEX_SIZE * 2 + 1], line[256];
  struct stat st;
  *entry_ok = 0;
  if (!s || slot_dir(w, s, dir) != 0 || path_of(entry, "%s/%s", dir, rest) != 0) return -1;
  psp_hex(p->index, PSP_INDEX_SIZE, index);
  if (lstat(entry, &st) != 0 || !S_ISREG(st.st_mode)) return -1;
  *entry_ok = 1;
  stat_record(&st, line, sizeof line);
  snprintf(out, size, "btm-psp-env 1\nindex %s\n%s", index, line);
  return 0;
}

/*
 * Warm: the environment's record names this very index, and the entry is the file extracted. The
 * record stays open, share-locked, through exec: cleanup never removes an environment in use.
 * Returns the record's descriptor, -1 when the environment is missing, -2 when it is damaged.
 */
static int open_warm(const workenv *w, const psp_package *p) {
  if (btm_unsafe_dir(w->root) || btm_unsafe_dir(w->envs) || btm_unsafe_dir(w->slots)) return -1;
  int fd = open(w->env_record, O_RDONLY | O_NOFOLLOW);
  if (fd < 0) return -1;
  flock(fd, LOCK_SH);
  struct stat st;
  char have[2048], want[2048];
  ssize_t n = -1;
  if (fstat(fd, &st) == 0 && st.st_nlink > 0 && st.st_uid == geteuid()) n = pread(fd, have, sizeof have - 1, 0);
  if (n <= 0) {
    close(fd);
    return -1;
  }
  have[n] = '\0';
  int entry_ok;
  if (expected_record(w, p, want, sizeof want, &entry_ok) == 0 && strcmp(have, want) == 0) {
    futimens(fd, NULL); /* last use, for cleanup's least-recent order */
    return fd;
  }
  close(fd);
  /* Same package, entry changed: damaged, never run. */
  return !entry_ok || strncmp(have, want, strlen("btm-psp-env 1\nindex ") + PSP_INDEX_SIZE * 2) == 0 ? -2 : -1;
}

typedef struct {
  int extracted, reused;
} slot_counts;

/* A slot extracted into tmp, then moved into place; a damaged copy is moved aside first. */
static int extract_slot(const workenv *w, const psp_package *p, const psp_slot *s, psp_error *e) {
  char dir[PATH_MAX], record[PATH_MAX], temp[PATH_MAX], aside[PATH_MAX];
  if (slot_dir(w, s, dir) != 0 || path_of(record, "%s.ok", dir) != 0 ||
      path_of(temp, "%s/slot-%ld-%016llx", w->tmp, (long)getpid(), btm_random_suffix()) != 0 ||
      path_of(aside, "%s/old-%ld-%016llx", w->tmp, (long)getpid(), btm_random_suffix()) != 0) {
    snprintf(e->region, sizeof e->region, "work environment");
    snprintf(e->message, sizeof e->message, "its path is too long");
    return -1;
  }
  if (mkdir(temp, 0700) != 0) {
    snprintf(e->region, sizeof e->region, "work environment");
    snprintf(e->message, sizeof e->message, "cannot create %s: %s", temp, strerror(errno));
    return -1;
  }
  psp_tar_counts counts;
  if (psp_tar_walk(s, p->base, temp, PSP_TAR_EXTRACT, &counts, e) != 0 || chmod(temp, 0755) != 0) {
    remove_tree(temp);
    return -1;
  }
  unlink(record);
  rename(dir, aside);
  if (rename(temp, dir) != 0) {
    snprintf(e->region, sizeof e->region, "work environment");
    snprintf(e->message, sizeof e->message, "cannot move the slot into %s: %s", dir, strerror(errno));
    remove_tree(temp);
    return -1;
  }
  remove_tree(aside);
  char text[128];
  snprintf(text, sizeof text, "btm-psp-slot 1 %llu %llu %llu\n", (unsigned long long)s->raw_size, (unsigned long long)counts.files,
           (unsigned long long)counts.bytes);
  if (write_atomically(w->tmp, record, text) != 0) {
    snprintf(e->region, sizeof e->region, "work environment");
    snprintf(e->message, sizeof e->message, "cannot write %s: %s", record, strerror(errno));
    return -1;
  }
  return 0;
}

static int slot_present(const workenv *w, const psp_slot *s) {
  char dir[PATH_MAX], record[PATH_MAX];
  struct stat st;
  return slot_dir(w, s, dir) == 0 && path_of(record, "%s.ok", dir) == 0 && lstat(record, &st) == 0 && S_ISREG(st.st_mode) &&
         lstat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

/* envs/<checksum>/<slot name> -> ../../slots/<content address>, for every slot; rebuilt when any differs. */
static int link_env(const workenv *w, const psp_package *p) {
  int intact = 1;
  for (int i = 0; i < p->count && intact; i++) {
    char link[PATH_MAX], target[PATH_MAX], want[128], hex[65];
    psp_hex(p->slots[i].content, 32, hex);
    snprintf(want, sizeof want, "../../slots/%s", hex);
    ssize_t n = path_of(link, "%s/%s", w->env, p->slots[i].name) == 0 ? readlink(link, target, sizeof target - 1) : -1;
    intact = n > 0 && (target[n] = '\0', strcmp(target, want) == 0);
  }
  if (intact && !btm_unsafe_dir(w->env)) return 0;
  char temp[PATH_MAX];
  if (path_of(temp, "%s/env-%ld-%016llx", w->tmp, (long)getpid(), btm_random_suffix()) != 0 || mkdir(temp, 0700) != 0) return -1;
  for (int i = 0; i < p->count; i++) {
    char link[PATH_MAX], want[128], hex[65];
    psp_hex(p->slots[i].content, 32, hex);
    snprintf(want, sizeof want, "../../slots/%s", hex);
    if (path_of(link, "%s/%s", temp, p->slots[i].name) != 0 || symlink(want, link) != 0) {
      remove_tree(temp);
      return -1;
    }
  }
  remove_tree(w->env);
  if (rename(temp, w->env) != 0) {
    remove_tree(temp);
    return -1;
  }
  return 0;
}

static uint64_t slots_size(const workenv *w) {
  uint64_t total = 0;
  DIR *d = opendir(w->slots);
  if (!d) return 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    size_t n = strlen(e->d_name);
    char path[PATH_MAX], text[128];
    if (n != 67 || strcmp(e->d_name + 64, ".ok") != 0 || path_of(path, "%s/%s", w->slots, e->d_name) != 0) continue;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t k = read(fd, text, sizeof text - 1);
    close(fd);
    unsigned long long raw;
    if (k > 0 && (text[k] = '\0', sscanf(text, "btm-psp-slot 1 %llu", &raw) == 1)) total += raw;
  }
  closedir(d);
  return total;
}

/* Removes slots no remaining environment links to. */
static void remove_unreferenced_slots(const workenv *w) {
  DIR *d = opendir(w->slots);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strlen(e->d_name) != 64) continue;
    int used = 0;
    DIR *envs = opendir(w->envs);
    struct dirent *env;
    while (envs && !used && (env = readdir(envs)) != NULL) {
      if (strlen(env->d_name) != 64) continue;
      char dir[PATH_MAX];
      if (path_of(dir, "%s/%s", w->envs, env->d_name) != 0) continue;
      DIR *links = opendir(dir);
      struct dirent *l;
      while (links && !used && (l = readdir(links)) != NULL) {
        char link[PATH_MAX], target[PATH_MAX];
        ssize_t n = path_of(link, "%s/%s", dir, l->d_name) == 0 ? readlink(link, target, sizeof target - 1) : -1;
        used = n > 12 && (target[n] = '\0', strcmp(target + 12, e->d_name) == 0);
      }
      if (links) closedir(links);
    }
    if (envs) closedir(envs);
    if (used) continue;
    char dir[PATH_MAX], record[PATH_MAX];
    if (path_of(dir, "%s/%s", w->slots, e->d_name) == 0 && path_of(record, "%s.ok", dir) == 0) {
      unlink(record);
      remove_tree(dir);
      trace("removed slot %.16s (no environment uses it)", e->d_name);
    }
  }
  closedir(d);
}

/*
 * Past BTM_WORKENV_MAX (default 2 GiB) of extracted slots, removes environments by least-recent
 * use, never this run's and never one a running program holds, then the slots nobody links to.
 */
static void clean_up(const workenv *w) {
  uint64_t max = workenv_max();
  if (slots_size(w) <= max) return;
  for (;;) {
    remove_unreferenced_slots(w);
    if (slots_size(w) <= max) return;
    /* The least recently used environment not in use. */
    char oldest[PATH_MAX] = "";
    struct timespec oldest_time = {0, 0};
    DIR *d = opendir(w->envs);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      char record[PATH_MAX];
      struct stat st;
      if (strlen(e->d_name) != 67 || strcmp(e->d_name + 64, ".ok") != 0 || strncmp(e->d_name, w->checksum, 64) == 0) continue;
      if (path_of(record, "%s/%s", w->envs, e->d_name) != 0 || lstat(record, &st) != 0) continue;
      int fd = open(record, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) continue;
      int free_to_remove = flock(fd, LOCK_EX | LOCK_NB) == 0;
      close(fd);
      if (!free_to_remove) continue;
      struct timespec t = BTM_MTIM(st);
      if (!oldest[0] || t.tv_sec < oldest_time.tv_sec || (t.tv_sec == oldest_time.tv_sec && t.tv_nsec < oldest_time.tv_nsec)) {
        snprintf(oldest, sizeof oldest, "%s", record);
        oldest_time = t;
      }
    }
    closedir(d);
    if (!oldest[0]) return;
    int fd = open(oldest, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
      if (fd >= 0) close(fd);
      return;
    }
    unlink(oldest);
    oldest[strlen(oldest) - 3] = '\0';
    remove_tree(oldest);
    close(fd);
    trace("removed environment %s (least recently used, over BTM_WORKENV_MAX)", oldest);
  }
}

/* Under the root's lock nobody else is extracting: whatever tmp holds is a killed run's. */
static void remove_stale_temps(const workenv *w) {
  DIR *d = opendir(w->tmp);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    char path[PATH_MAX];
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 || path_of(path, "%s/%s", w->tmp, e->d_name) != 0) continue;
    remove_tree(path);
  }
  closedir(d);
}

static const char *prepare(const workenv *w) {
  static const char *why;
  if (btm_mkdirs(w->root) != 0) return strerror(errno);
  if ((why = btm_unsafe_dir(w->root)) != NULL) return why;
  const char *dirs[] = {w->slots, w->envs, w->tmp};
  for (int i = 0; i < 3; i++) {
    if (mkdir(dirs[i], 0700) != 0 && errno != EEXIST) return strerror(errno);
    if ((why = btm_unsafe_dir(dirs[i])) != NULL) return why;
  }
  /* A read-only mount passes every check above. */
  if (access(w->tmp, W_OK) != 0) return strerror(errno);
  return NULL;
}

/*
 * Makes the environment complete under the root's lock: each slot present (or, when asked to or
 * found damaged, compared with the package and extracted again), the links, then the record.
 * Returns the record's descriptor share-locked, or -1 with the reason in e.
 */
static int make_env(const workenv *w, const psp_package *p, int full_check, int entry_damaged, int clean, psp_error *e) {
  char lock_path[PATH_MAX];
  if (path_of(lock_path, "%s/.lock", w->root) != 0) return -1;
  int lock = open(lock_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (lock < 0) {
    snprintf(e->region, sizeof e->region, "work environment");
    snprintf(e->message, sizeof e->message, "cannot open the lock %s: %s", lock_path, strerror(errno));
    return -1;
  }
  flock(lock, LOCK_EX);
  remove_stale_temps(w);
  slot_counts counts = {0, 0};
  const char *rest;
  const psp_slot *entry = entry_slot(p, &rest);
  int result = -1;
  for (int i = 0; i < p->count; i++) {
    const psp_slot *s = &p->slots[i];
    if (slot_reusable(w, p, s, slot_present(w, s), full_check || (entry_damaged && s == entry))) {
      counts.reused++;
      continue;
    }
    if (extract_slot(w, p, s, e) != 0) goto done;
    counts.extracted++;
    trace("slot %s extracted (%02x%02x%02x%02x...)", s->name, s->content[0], s->content[1], s->content[2], s->content[3]);
  }
  if (link_env(w, p) != 0) {
    snprintf(e->region, sizeof e->region, "work environment");
    snprintf(e->message, sizeof e->message, "cannot link the slots into %s: %s", w->env, strerror(errno));
    goto done;
  }
  char text[2048];
  int entry_ok;
  if (expected_record(w, p, text, sizeof text, &entry_ok) != 0) {
    snprintf(e->region, sizeof e->region, "metadata");
    snprintf(e->message, sizeof e->message, "the entry point %s is not a file of the package's slots", p->entry);
    goto done;
  }
  if (write_atomically(w->tmp, w->env_record, text) != 0) {
    snprintf(e->region, sizeof e->region, "work environment");
    snprintf(e->message, sizeof e->message, "cannot write %s: %s", w->env_record, strerror(errno));
    goto done;
  }
  trace("environment %.16s ready: %d slot(s) extracted, %d reused", w->checksum, counts.extracted, counts.reused);
  if (full_check) fprintf(stderr, "%s: work environment checked: %d slot(s) intact, %d extracted again\n", self_name, counts.reused, counts.extracted);
  result = open(w->env_record, O_RDONLY | O_NOFOLLOW);
  if (result >= 0) flock(result, LOCK_SH);
  if (clean) clean_up(w);
done:
  close(lock);
  return result;
}

/* The entry's argv: the entry, the package's arguments, then the user's. */
static char **entry_argv(const psp_package *p, const char *env, const char *entry, int argc, char **argv) {
  char **out = calloc((size_t)(1 + p->nargs + argc + 1), sizeof *out);
  if (!out) return NULL;
  int n = 0;
  out[n++] = (char *)entry;
  for (int i = 0; i < p->nargs; i++)
    if (!(out[n++] = substitute(p->args[i], env))) return NULL;
  for (int i = 1; i < argc; i++) out[n++] = argv[i];
  out[n] = NULL;
  return out;
}

static int set_env(const psp_package *p, const char *env) {
  for (int i = 0; i < p->nenv; i++) {
    char *value = substitute(p->env[i], env);
    if (!value) return -1;
    char *eq = strchr(value, '=');
    *eq = '\0';
    if (setenv(value, eq + 1, 1) != 0) return -1;
    free(value);
  }
  return 0;
}

static int run(const workenv *w, const psp_package *p, int argc, char **argv) {
  char entry[PATH_MAX];
  if (path_of(entry, "%s/%s", w->env, p->entry) != 0) return die(EXIT_EXEC, "the entry point's path is too long");
  char **args = entry_argv(p, w->env, entry, argc, argv);
  if (!args || set_env(p, w->env) != 0) return die(EXIT_EXEC, "out of memory");
  trace("exec %s", entry);
  execv(entry, args);
  return errno == EACCES || errno == EPERM ? -1 : die(EXIT_EXEC, "cannot execute %s: %s", entry, strerror(errno));
}

static pid_t child;
static void forward(int sig) {
  if (child > 0) kill(child, sig);
}

/*
 * No usable work environment (read-only, noexec, unsafe): the slots go into a private temp
 * folder, the program runs as a child with signals passed on, and the folder is removed after.
 */
static int run_privately(const psp_package *p, int argc, char **argv, const char *why) {
  const char *bases[] = {getenv("TMPDIR"), "/tmp", "/var/tmp", "/dev/shm"};
  for (size_t b = 0; b < sizeof bases / sizeof *bases; b++) {
    if (!bases[b] || !bases[b][0]) continue;
    char root[PATH_MAX];
    if (path_of(root, "%s/btm-psp-XXXXXX", bases[b]) != 0 || mkdtemp(root) == NULL) continue;
    fprintf(stderr, "%s: %s; running from a private copy in %s (removed on exit)\n", self_name, why, root);
    workenv w;
    psp_error e = {"", ""};
    int record = workenv_paths(&w, root, p) == 0 && prepare(&w) == NULL ? make_env(&w, p, 0, 0, 0, &e) : -1;
    if (record < 0) {
      remove_tree(root);
      if (strncmp(e.region, "slot", 4) == 0 || strcmp(e.region, "metadata") == 0)
        return die(EXIT_REFUSED, "refused: %s: %s (nothing was run)", e.region, e.message);
      continue;
    }
    close(record);
    int status_pipe[2];
    if (pipe(status_pipe) != 0) return die(EXIT_EXEC, "cannot start the program: %s", strerror(errno));
    fcntl(status_pipe[1], F_SETFD, FD_CLOEXEC);
    pid_t launcher = getpid();
    child = fork();
    if (child == 0) {
      close(status_pipe[0]);
#ifdef __linux__
      /* A launcher that is killed takes the program with it, as exec does on the main path. macOS
         has no such setting; there a killed launcher leaves the program running, as any parent. */
      if (prctl(PR_SET_PDEATHSIG, SIGKILL) == 0 && getppid() != launcher) _exit(128 + SIGKILL);
#else
      (void)launcher;
#endif
      int failed = run(&w, p, argc, argv);
      int err = errno;
      (void)!write(status_pipe[1], &err, sizeof err);
      _exit(failed == -1 ? 126 : failed);
    }
    close(status_pipe[1]);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward;
    int signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < sizeof signals / sizeof *signals; i++) sigaction(signals[i], &sa, NULL);
    int err = 0, status = 0;
    int exec_failed = read(status_pipe[0], &err, sizeof err) == (ssize_t)sizeof err;
    close(status_pipe[0]);
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    remove_tree(root);
    if (exec_failed && (err == EACCES || err == EPERM)) {
      fprintf(stderr, "%s: %s does not let programs run (%s: noexec?)\n", self_name, bases[b], strerror(err));
      continue;
    }
    if (WIFSIGNALED(status)) {
      signal(WTERMSIG(status), SIG_DFL);
      raise(WTERMSIG(status));
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_EXEC;
  }
  return die(EXIT_CACHE, "no folder to extract into lets programs run (tried $TMPDIR, /tmp, /var/tmp, /dev/shm)");
}

int main(int argc, char **argv) {
  if (argv[0] && argv[0][0]) {
    const char *slash = strrchr(argv[0], '/');
    self_name = slash ? slash + 1 : argv[0];
  }
  char self[PATH_MAX];
  if (btm_self_path(self, sizeof self) != 0) return die(EXIT_SELF, "cannot find its own executable: %s", strerror(errno));
  int fd = open(self, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) return die(EXIT_SELF, "cannot read its own executable %s: %s", self, strerror(errno));
  const uint8_t *base = st.st_size > 0 ? mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
  close(fd);
  if (base == MAP_FAILED) return die(EXIT_SELF, "cannot map its own executable %s: %s", self, strerror(errno));
  psp_package p;
  psp_error e = {"", ""};
  if (psp_open(&p, base, (uint64_t)st.st_size, &e) != 0)
    return die(EXIT_REFUSED, "refused %s: %s: %s (nothing was run)", self, e.region, e.message);

  const char *verify_env = getenv("BTM_PSP_VERIFY");
  int full_check = verify_env && verify_env[0] == '1';
  if (argc > 1 && strcmp(argv[1], "--psp-verify") == 0) {
    full_check = 1;
    argv[1] = argv[0];
    argv++;
    argc--;
  }
  workenv w;
  char root[PATH_MAX];
  int have_root = workenv_root(root) == 0 && workenv_paths(&w, root, &p) == 0;
  int entry_damaged = 0;
  if (have_root && !full_check) {
    int record = open_warm(&w, &p);
    if (record >= 0) {
      int r = run(&w, &p, argc, argv);
      close(record);
      return r == -1 ? run_privately(&p, argc, argv, "the work environment does not let programs run") : r;
    }
    entry_damaged = record == -2;
    if (entry_damaged) fprintf(stderr, "%s: the entry point in %s changed since it was extracted; extracting it again\n", self_name, w.env);
  }

  /* Cold: nothing is extracted, and nothing run, before the signature holds. */
  uint8_t keys[KEY_SLOTS][32];
  int nkeys = load_keys(keys);
  if (psp_verify(&p, (const uint8_t (*)[32])keys, nkeys, &e) != 0)
    return die(EXIT_REFUSED, "refused %s: %s: %s (nothing was run)", self, e.region, e.message);
  const char *why = have_root ? prepare(&w) : "no cache folder: set BTM_WORKENV_DIR, XDG_CACHE_HOME or HOME";
  if (why) {
    char reason[PATH_MAX + 128];
    snprintf(reason, sizeof reason, "cannot use the work environment %s (%s)", have_root ? w.root : "", why);
    return run_privately(&p, argc, argv, reason);
  }
  int record = make_env(&w, &p, full_check, entry_damaged, 1, &e);
  if (record < 0) {
    if (strncmp(e.region, "slot", 4) == 0 || strcmp(e.region, "metadata") == 0)
      return die(EXIT_REFUSED, "refused %s: %s: %s (nothing was run)", self, e.region, e.message);
    char reason[PATH_MAX + 512];
    snprintf(reason, sizeof reason, "cannot use the work environment (%s)", e.message);
    return run_privately(&p, argc, argv, reason);
  }
  int r = run(&w, &p, argc, argv);
  close(record);
  return r == -1 ? run_privately(&p, argc, argv, "the work environment does not let programs run") : r;
}
