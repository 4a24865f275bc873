/*
 * BTM's PSP launcher for Windows: the contract of launcher.c (docs/psp-format.md, "On Windows") with what
 * Windows has. Without privileges a folder symlink cannot be made, so an environment
 * (envs\<checksum>\<slot>\...) is a tree of hard links into the content-addressed slots: a new
 * version still extracts only the slots that changed, and nothing is copied. Windows has no exec:
 * the launcher waits as the parent, holding the environment's record share-locked (cleanup never
 * removes an environment in use), passes on the exit code, and lets Ctrl-C and Ctrl-Break reach
 * the program through the shared console. The entry is opened denying writers from its check
 * until the program has started.
 */
#define _CRT_RAND_S
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <windows.h>

#include "launcher_common.h"
#include "psp.h"
#include "psp_fs.h"
#include "psp_tar.h"

#define W PSP_PATH_MAX

static const char *last_error(void) {
  static char text[256];
  DWORD code = GetLastError();
  if (!FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, code, 0, text, sizeof text, NULL))
    snprintf(text, sizeof text, "error %lu", (unsigned long)code);
  text[strcspn(text, "\r\n")] = '\0';
  return text;
}

static unsigned long long random_suffix(void) {
  unsigned int a = 0, b = 0;
  if (rand_s(&a) != 0 || rand_s(&b) != 0) return (unsigned long long)GetTickCount64() << 20 ^ GetCurrentProcessId();
  return (unsigned long long)a << 32 | b;
}

static HANDLE open_path(const char *path, DWORD access, DWORD share, DWORD disposition, DWORD flags) {
  wchar_t w[W];
  if (psp_fs_wide(path, w, W) != 0) {
    SetLastError(ERROR_FILENAME_EXCED_RANGE);
    return INVALID_HANDLE_VALUE;
  }
  return CreateFileW(w, access, share, NULL, disposition, flags, NULL);
}

static DWORD attributes(const char *path) {
  wchar_t w[W];
  return psp_fs_wide(path, w, W) == 0 ? GetFileAttributesW(w) : INVALID_FILE_ATTRIBUTES;
}

/* NULL for a folder that is one itself (no junction or symlink standing in for it); else why not. */
static const char *unsafe_dir(const char *path) {
  DWORD a = attributes(path);
  if (a == INVALID_FILE_ATTRIBUTES) return "it is missing";
  if (!(a & FILE_ATTRIBUTE_DIRECTORY)) return "it is not a folder";
  if (a & FILE_ATTRIBUTE_REPARSE_POINT) return "it is a link or junction, not a folder of its own";
  return NULL;
}

static int make_dirs(const char *path) {
  char copy[W];
  if (path_of(copy, "%s", path) != 0) return -1;
  /* Past the drive (C:\) or the share (\\server\share\): those exist or nothing does. */
  char *p = copy;
  if (copy[0] && copy[1] == ':') p = copy + 3;
  else if ((copy[0] == '\\' || copy[0] == '/') && (copy[1] == '\\' || copy[1] == '/')) {
    int seen = 0;
    for (p = copy + 2; *p && seen < 2; p++)
      if (*p == '\\' || *p == '/') seen++;
  }
  for (; *p; p++) {
    if (*p != '\\' && *p != '/') continue;
    char saved = *p;
    *p = '\0';
    psp_fs_mkdir(copy);
    *p = saved;
  }
  return psp_fs_mkdir(copy) == 0 || errno == EEXIST ? 0 : -1;
}

static int remove_tree(const char *path) {
  wchar_t w[W];
  if (psp_fs_wide(path, w, W) != 0) return -1;
  DWORD a = GetFileAttributesW(w);
  if (a == INVALID_FILE_ATTRIBUTES) return 0;
  if (!(a & FILE_ATTRIBUTE_DIRECTORY)) {
    SetFileAttributesW(w, FILE_ATTRIBUTE_NORMAL);
    return DeleteFileW(w) ? 0 : -1;
  }
  int result = 0;
  /* A junction or link is removed itself, never followed. */
  if (!(a & FILE_ATTRIBUTE_REPARSE_POINT)) {
    char pattern[W];
    wchar_t wp[W];
    WIN32_FIND_DATAW found;
    HANDLE search = path_of(pattern, "%s\\*", path) == 0 && psp_fs_wide(pattern, wp, W) == 0 ? FindFirstFileW(wp, &found) : INVALID_HANDLE_VALUE;
    if (search != INVALID_HANDLE_VALUE) {
      do {
        char name[1024], child[W];
        if (wcscmp(found.cFileName, L".") == 0 || wcscmp(found.cFileName, L"..") == 0) continue;
        if (psp_fs_utf8(found.cFileName, name, sizeof name) != 0 || path_of(child, "%s\\%s", path, name) != 0 || remove_tree(child) != 0) result = -1;
      } while (FindNextFileW(search, &found));
      FindClose(search);
    }
  }
  return RemoveDirectoryW(w) ? result : -1;
}

static int move_path(const char *from, const char *to, DWORD flags) {
  wchar_t a[W], b[W];
  return psp_fs_wide(from, a, W) == 0 && psp_fs_wide(to, b, W) == 0 && MoveFileExW(a, b, flags) ? 0 : -1;
}

/* Writes path through a temp file and a move: a reader sees the old text or the whole new one. */
static int write_atomically(const char *dir, const char *path, const char *text) {
  char temp[W];
  if (path_of(temp, "%s\\rec-%lu-%016llx", dir, (unsigned long)GetCurrentProcessId(), random_suffix()) != 0) return -1;
  HANDLE h = open_path(temp, GENERIC_WRITE, 0, CREATE_NEW, FILE_ATTRIBUTE_NORMAL);
  if (h == INVALID_HANDLE_VALUE) return -1;
  DWORD n = (DWORD)strlen(text), written = 0;
  BOOL ok = WriteFile(h, text, n, &written, NULL) && written == n && FlushFileBuffers(h);
  CloseHandle(h);
  if (!ok || move_path(temp, path, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH) != 0) {
    remove_tree(temp);
    return -1;
  }
  return 0;
}

/* Whole-file byte-range locks: shared while a program runs from an environment, exclusive to change one. */
static int lock(HANDLE h, DWORD flags) {
  OVERLAPPED whole;
  memset(&whole, 0, sizeof whole);
  return LockFileEx(h, flags, 0, MAXDWORD, MAXDWORD, &whole) ? 0 : -1;
}

/* %BTM_WORKENV_DIR%, else %LOCALAPPDATA%\btm\workenv. */
static int workenv_root(char *out) {
  wchar_t value[W];
  char utf8[W];
  DWORD n = GetEnvironmentVariableW(L"BTM_WORKENV_DIR", value, W);
  if (n > 0 && n < W) return psp_fs_utf8(value, out, W);
  n = GetEnvironmentVariableW(L"LOCALAPPDATA", value, W);
  if (n == 0 || n >= W || psp_fs_utf8(value, utf8, W) != 0) return -1;
  return path_of(out, "%s\\btm\\workenv", utf8);
}

/* The entry's path in the environment, '\' between segments. */
static int entry_path(const workenv *w, const psp_package *p, char *out) {
  if (path_of(out, "%s\\%s", w->env, p->entry) != 0) return -1;
  for (char *c = out; *c; c++)
    if (*c == '/') *c = '\\';
  return 0;
}

/*
 * The record an intact environment has: the exact index (so metadata and table are as signed),
 * each slot's content address (what cleanup counts as in use), and the entry's identity from its
 * handle. The entry stays open denying writers (*entry) so it cannot change before it starts.
 */
static int expected_record(const workenv *w, const psp_package *p, char *out, size_t size, HANDLE *entry) {
  char path[W], index[PSP_INDEX_SIZE * 2 + 1];
  *entry = INVALID_HANDLE_VALUE;
  if (entry_path(w, p, path) != 0) return -1;
  HANDLE h = open_path(path, GENERIC_READ, FILE_SHARE_READ, OPEN_EXISTING, FILE_FLAG_OPEN_REPARSE_POINT);
  BY_HANDLE_FILE_INFORMATION info;
  if (h == INVALID_HANDLE_VALUE) return -1;
  if (!GetFileInformationByHandle(h, &info) || (info.dwFileAttributes & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT))) {
    CloseHandle(h);
    return -1;
  }
  psp_hex(p->index, PSP_INDEX_SIZE, index);
  size_t at = (size_t)snprintf(out, size, "btm-psp-env-win32 1\nindex %s\n", index);
  for (int i = 0; i < p->count && at < size; i++) {
    char hex[65];
    psp_hex(p->slots[i].content, 32, hex);
    at += (size_t)snprintf(out + at, size - at, "slot %s\n", hex);
  }
  if (at < size)
    at += (size_t)snprintf(out + at, size - at, "entry %lu %lu:%lu %lu:%lu %lu:%lu\n", (unsigned long)info.dwVolumeSerialNumber,
                           (unsigned long)info.nFileIndexHigh, (unsigned long)info.nFileIndexLow, (unsigned long)info.nFileSizeHigh,
                           (unsigned long)info.nFileSizeLow, (unsigned long)info.ftLastWriteTime.dwHighDateTime,
                           (unsigned long)info.ftLastWriteTime.dwLowDateTime);
  if (at >= size) {
    CloseHandle(h);
    return -1;
  }
  *entry = h;
  return 0;
}

#define RECORD_MAX (PSP_INDEX_SIZE * 2 + 80 * PSP_MAX_SLOTS + 256)

static HANDLE open_record(const char *path) {
  /* Others may read it, lock it and replace it (a new record) while this run holds it. */
  return open_path(path, GENERIC_READ | FILE_WRITE_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, OPEN_EXISTING,
                   FILE_FLAG_OPEN_REPARSE_POINT);
}

static int read_text(HANDLE h, char *out, DWORD size) {
  DWORD got = 0;
  LARGE_INTEGER zero = {0};
  if (!SetFilePointerEx(h, zero, NULL, FILE_BEGIN) || !ReadFile(h, out, size - 1, &got, NULL)) return -1;
  out[got] = '\0';
  return (int)got;
}

/*
 * Warm: the environment's record names this very index, and the entry is the file extracted.
 * Returns the record share-locked (and the entry, denying writers), INVALID_HANDLE_VALUE when the
 * environment is missing; *damaged when it is this package's but the entry changed.
 */
static HANDLE open_warm(const workenv *w, const psp_package *p, HANDLE *entry, int *damaged) {
  char *have = malloc(RECORD_MAX), *want = malloc(RECORD_MAX);
  *damaged = 0;
  *entry = INVALID_HANDLE_VALUE;
  if (!have || !want || unsafe_dir(w->root) || unsafe_dir(w->envs) || unsafe_dir(w->slots)) return INVALID_HANDLE_VALUE;
  HANDLE record = open_record(w->env_record);
  if (record == INVALID_HANDLE_VALUE) return INVALID_HANDLE_VALUE;
  lock(record, 0);
  if (read_text(record, have, RECORD_MAX) > 0) {
    int made = expected_record(w, p, want, RECORD_MAX, entry) == 0;
    if (made && strcmp(have, want) == 0) {
      FILETIME now;
      GetSystemTimeAsFileTime(&now);
      SetFileTime(record, NULL, NULL, &now); /* last use, for cleanup's least-recent order */
      free(have);
      free(want);
      return record;
    }
    if (*entry != INVALID_HANDLE_VALUE) CloseHandle(*entry);
    *entry = INVALID_HANDLE_VALUE;
    size_t head = strlen("btm-psp-env-win32 1\nindex ") + PSP_INDEX_SIZE * 2;
    *damaged = !made || strncmp(have, want, head) == 0;
  }
  free(have);
  free(want);
  CloseHandle(record);
  return INVALID_HANDLE_VALUE;
}

static int slot_present(const workenv *w, const psp_slot *s) {
  char dir[W], record[W];
  if (slot_dir(w, s, dir) != 0 || path_of(record, "%s.ok", dir) != 0) return 0;
  DWORD a = attributes(record);
  return a != INVALID_FILE_ATTRIBUTES && !(a & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT)) && !unsafe_dir(dir);
}

static int fail(psp_error *e, const char *format, ...) {
  va_list args;
  va_start(args, format);
  snprintf(e->region, sizeof e->region, "work environment");
  vsnprintf(e->message, sizeof e->message, format, args);
  va_end(args);
  return -1;
}

/* A slot extracted into tmp, then moved into place; a damaged copy is moved aside first. */
static int extract_slot(const workenv *w, const psp_package *p, const psp_slot *s, psp_error *e) {
  char dir[W], record[W], temp[W], aside[W];
  unsigned long pid = (unsigned long)GetCurrentProcessId();
  if (slot_dir(w, s, dir) != 0 || path_of(record, "%s.ok", dir) != 0 || path_of(temp, "%s\\slot-%lu-%016llx", w->tmp, pid, random_suffix()) != 0 ||
      path_of(aside, "%s\\old-%lu-%016llx", w->tmp, pid, random_suffix()) != 0)
    return fail(e, "its path is too long");
  if (psp_fs_mkdir(temp) != 0) return fail(e, "cannot create %s: %s", temp, strerror(errno));
  psp_tar_counts counts;
  if (psp_tar_walk(s, p->base, temp, PSP_TAR_EXTRACT, &counts, e) != 0) {
    remove_tree(temp);
    return -1;
  }
  remove_tree(record);
  if (attributes(dir) != INVALID_FILE_ATTRIBUTES && move_path(dir, aside, 0) != 0) {
    remove_tree(temp);
    return fail(e, "cannot move the old copy of slot %s aside (%s): a program may still run from it", s->name, last_error());
  }
  if (move_path(temp, dir, MOVEFILE_WRITE_THROUGH) != 0) {
    fail(e, "cannot move the slot into %s: %s", dir, last_error());
    remove_tree(temp);
    return -1;
  }
  remove_tree(aside);
  char text[128];
  snprintf(text, sizeof text, "btm-psp-slot 1 %llu %llu %llu\n", (unsigned long long)s->raw_size, (unsigned long long)counts.files,
           (unsigned long long)counts.bytes);
  if (write_atomically(w->tmp, record, text) != 0) return fail(e, "cannot write %s: %s", record, last_error());
  return 0;
}

/* to\... as hard links to from\... (copies where the volume has no hard links). */
static int link_tree(const char *from, const char *to) {
  char pattern[W];
  wchar_t wp[W];
  WIN32_FIND_DATAW found;
  if (psp_fs_mkdir(to) != 0 || path_of(pattern, "%s\\*", from) != 0 || psp_fs_wide(pattern, wp, W) != 0) return -1;
  HANDLE search = FindFirstFileW(wp, &found);
  if (search == INVALID_HANDLE_VALUE) return -1;
  int result = 0;
  do {
    char name[1024], a[W], b[W];
    wchar_t wa[W], wb[W];
    if (wcscmp(found.cFileName, L".") == 0 || wcscmp(found.cFileName, L"..") == 0) continue;
    if ((found.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) || psp_fs_utf8(found.cFileName, name, sizeof name) != 0 ||
        path_of(a, "%s\\%s", from, name) != 0 || path_of(b, "%s\\%s", to, name) != 0)
      result = -1;
    else if (found.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
      result = link_tree(a, b);
    else if (psp_fs_wide(a, wa, W) != 0 || psp_fs_wide(b, wb, W) != 0 || (!CreateHardLinkW(wb, wa, NULL) && !CopyFileW(wa, wb, TRUE)))
      result = -1;
  } while (result == 0 && FindNextFileW(search, &found));
  FindClose(search);
  return result;
}

/* envs\<checksum>\<slot name>\... linked to slots\<content address>\..., for every slot, built aside and moved in. */
static int link_env(const workenv *w, const psp_package *p) {
  char temp[W], aside[W];
  unsigned long pid = (unsigned long)GetCurrentProcessId();
  if (path_of(temp, "%s\\env-%lu-%016llx", w->tmp, pid, random_suffix()) != 0 || path_of(aside, "%s\\old-%lu-%016llx", w->tmp, pid, random_suffix()) != 0 ||
      psp_fs_mkdir(temp) != 0)
    return -1;
  for (int i = 0; i < p->count; i++) {
    char from[W], to[W];
    if (slot_dir(w, &p->slots[i], from) != 0 || path_of(to, "%s\\%s", temp, p->slots[i].name) != 0 || link_tree(from, to) != 0) {
      remove_tree(temp);
      return -1;
    }
  }
  if (attributes(w->env) != INVALID_FILE_ATTRIBUTES && move_path(w->env, aside, 0) != 0) {
    remove_tree(temp);
    return -1;
  }
  remove_tree(aside);
  if (move_path(temp, w->env, 0) != 0) {
    remove_tree(temp);
    return -1;
  }
  return 0;
}

static uint64_t slots_size(const workenv *w) {
  uint64_t total = 0;
  char pattern[W];
  wchar_t wp[W];
  WIN32_FIND_DATAW found;
  if (path_of(pattern, "%s\\*.ok", w->slots) != 0 || psp_fs_wide(pattern, wp, W) != 0) return 0;
  HANDLE search = FindFirstFileW(wp, &found);
  if (search == INVALID_HANDLE_VALUE) return 0;
  do {
    char name[256], path[W], text[128];
    if (wcslen(found.cFileName) != 67 || psp_fs_utf8(found.cFileName, name, sizeof name) != 0 || path_of(path, "%s\\%s", w->slots, name) != 0) continue;
    HANDLE h = open_path(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_DELETE, OPEN_EXISTING, FILE_FLAG_OPEN_REPARSE_POINT);
    if (h == INVALID_HANDLE_VALUE) continue;
    unsigned long long raw;
    if (read_text(h, text, sizeof text) > 0 && sscanf(text, "btm-psp-slot 1 %llu", &raw) == 1) total += raw;
    CloseHandle(h);
  } while (FindNextFileW(search, &found));
  FindClose(search);
  return total;
}

/* Every envs\*.ok record, or (with remove) removing what no record accounts for. */
typedef struct {
  char name[68];
  FILETIME used;
} env_entry;

static int list_envs(const workenv *w, env_entry *out, int cap) {
  char pattern[W];
  wchar_t wp[W];
  WIN32_FIND_DATAW found;
  if (path_of(pattern, "%s\\*.ok", w->envs) != 0 || psp_fs_wide(pattern, wp, W) != 0) return 0;
  HANDLE search = FindFirstFileW(wp, &found);
  if (search == INVALID_HANDLE_VALUE) return 0;
  int n = 0;
  do {
    if (wcslen(found.cFileName) != 67 || n == cap || psp_fs_utf8(found.cFileName, out[n].name, sizeof out[n].name) != 0) continue;
    out[n++].used = found.ftLastWriteTime;
  } while (FindNextFileW(search, &found));
  FindClose(search);
  return n;
}

/* Removes slots no environment's record names, and environment trees without a record (a killed run's). */
static void remove_unreferenced(const workenv *w) {
  env_entry *envs = calloc(1024, sizeof *envs);
  char *text = malloc(RECORD_MAX);
  if (!envs || !text) return;
  int count = list_envs(w, envs, 1024);
  char pattern[W];
  wchar_t wp[W];
  WIN32_FIND_DATAW found;
  for (int pass = 0; pass < 2; pass++) {
    const char *dir = pass == 0 ? w->slots : w->envs;
    if (path_of(pattern, "%s\\*", dir) != 0 || psp_fs_wide(pattern, wp, W) != 0) break;
    HANDLE search = FindFirstFileW(wp, &found);
    if (search == INVALID_HANDLE_VALUE) continue;
    do {
      char name[256], path[W], record[W];
      if (wcslen(found.cFileName) != 64 || psp_fs_utf8(found.cFileName, name, sizeof name) != 0) continue;
      int used = 0;
      for (int i = 0; i < count && !used; i++) {
        if (pass == 1) {
          used = strncmp(envs[i].name, name, 64) == 0;
          continue;
        }
        char env_record[W];
        if (path_of(env_record, "%s\\%s", w->envs, envs[i].name) != 0) continue;
        HANDLE h = open_record(env_record);
        if (h == INVALID_HANDLE_VALUE) continue;
        char needle[80];
        snprintf(needle, sizeof needle, "\nslot %s\n", name);
        used = read_text(h, text, RECORD_MAX) > 0 && strstr(text, needle) != NULL;
        CloseHandle(h);
      }
      if (used || path_of(path, "%s\\%s", dir, name) != 0 || path_of(record, "%s.ok", path) != 0) continue;
      if (pass == 0) remove_tree(record);
      remove_tree(path);
      trace("removed %s %.16s (%s)", pass == 0 ? "slot" : "environment", name, pass == 0 ? "no environment uses it" : "it has no record");
    } while (FindNextFileW(search, &found));
    FindClose(search);
  }
  free(envs);
  free(text);
}

/* Removes environments by least-recent use until the slots fit under max; envs is room for the list. */
static void clean_up_with(const workenv *w, uint64_t max, env_entry *envs) {
  for (;;) {
    remove_unreferenced(w);
    if (slots_size(w) <= max) return;
    int count = list_envs(w, envs, 1024), removed = 0;
    while (!removed) {
      int oldest = -1;
      for (int i = 0; i < count; i++)
        if (envs[i].name[0] && strncmp(envs[i].name, w->checksum, 64) != 0 && (oldest < 0 || CompareFileTime(&envs[i].used, &envs[oldest].used) < 0))
          oldest = i;
      if (oldest < 0) return;
      char record[W], tree[W];
      if (path_of(record, "%s\\%s", w->envs, envs[oldest].name) != 0 || path_of(tree, "%s\\%.64s", w->envs, envs[oldest].name) != 0) return;
      envs[oldest].name[0] = '\0';
      HANDLE h = open_record(record);
      if (h == INVALID_HANDLE_VALUE || lock(h, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY) != 0) {
        if (h != INVALID_HANDLE_VALUE) CloseHandle(h);
        continue; /* in use: the next oldest */
      }
      wchar_t wr[W];
      if (psp_fs_wide(record, wr, W) == 0) DeleteFileW(wr);
      CloseHandle(h);
      remove_tree(tree);
      trace("removed environment %s (least recently used, over BTM_WORKENV_MAX)", tree);
      removed = 1;
    }
  }
}

/*
 * Past BTM_WORKENV_MAX (default 2 GiB) of extracted slots, removes environments by least-recent
 * use, never this run's and never one a running program holds, then the slots nobody uses.
 */
static void clean_up(const workenv *w) {
  uint64_t max = workenv_max();
  if (slots_size(w) <= max) return;
  env_entry *envs = calloc(1024, sizeof *envs);
  if (envs) clean_up_with(w, max, envs);
  free(envs);
}

static void remove_stale_temps(const workenv *w) {
  char pattern[W];
  wchar_t wp[W];
  WIN32_FIND_DATAW found;
  if (path_of(pattern, "%s\\*", w->tmp) != 0 || psp_fs_wide(pattern, wp, W) != 0) return;
  HANDLE search = FindFirstFileW(wp, &found);
  if (search == INVALID_HANDLE_VALUE) return;
  do {
    char name[1024], path[W];
    if (wcscmp(found.cFileName, L".") == 0 || wcscmp(found.cFileName, L"..") == 0) continue;
    if (psp_fs_utf8(found.cFileName, name, sizeof name) == 0 && path_of(path, "%s\\%s", w->tmp, name) == 0) remove_tree(path);
  } while (FindNextFileW(search, &found));
  FindClose(search);
}

static const char *prepare(const workenv *w) {
  static char why[300];
  const char *bad;
  if (make_dirs(w->root) != 0) return snprintf(why, sizeof why, "cannot create it: %s", last_error()), why;
  if ((bad = unsafe_dir(w->root)) != NULL) return bad;
  const char *dirs[] = {w->slots, w->envs, w->tmp};
  for (int i = 0; i < 3; i++) {
    if (psp_fs_mkdir(dirs[i]) != 0 && errno != EEXIST) return snprintf(why, sizeof why, "cannot create %s: %s", dirs[i], strerror(errno)), why;
    if ((bad = unsafe_dir(dirs[i])) != NULL) return snprintf(why, sizeof why, "%s: %s", dirs[i], bad), why;
  }
  return NULL;
}

/*
 * Makes the environment complete under the root's lock: each slot present (or, when asked to or
 * found damaged, compared with the package and extracted again), the linked tree, then the record.
 * Returns the record share-locked and the entry denying writers, or INVALID_HANDLE_VALUE with e.
 */
static HANDLE make_env(const workenv *w, const psp_package *p, int full_check, int entry_damaged, int clean, HANDLE *entry, psp_error *e) {
  char lock_path[W];
  *entry = INVALID_HANDLE_VALUE;
  if (path_of(lock_path, "%s\\.lock", w->root) != 0) return fail(e, "its path is too long"), INVALID_HANDLE_VALUE;
  HANDLE root_lock = open_path(lock_path, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL);
  if (root_lock == INVALID_HANDLE_VALUE) return fail(e, "cannot open the lock %s: %s", lock_path, last_error()), INVALID_HANDLE_VALUE;
  lock(root_lock, LOCKFILE_EXCLUSIVE_LOCK);
  remove_stale_temps(w);
  int extracted = 0, reused = 0;
  HANDLE result = INVALID_HANDLE_VALUE;
  char *text = malloc(RECORD_MAX), *have = malloc(RECORD_MAX);
  if (!text || !have) {
    fail(e, "out of memory");
    goto done;
  }
  const char *rest;
  const psp_slot *entry_in = entry_slot(p, &rest);
  for (int i = 0; i < p->count; i++) {
    const psp_slot *s = &p->slots[i];
    if (slot_reusable(w, p, s, slot_present(w, s), full_check || (entry_damaged && s == entry_in))) {
      reused++;
      continue;
    }
    if (extract_slot(w, p, s, e) != 0) goto done;
    extracted++;
    trace("slot %s extracted (%02x%02x%02x%02x...)", s->name, s->content[0], s->content[1], s->content[2], s->content[3]);
  }
  /* A run that waited on the lock finds the environment another made: it is used as it stands (a
   * program may be running from it, and Windows will not move that), not made again. */
  HANDLE current = open_record(w->env_record);
  int intact = 0;
  if (current != INVALID_HANDLE_VALUE) {
    intact = !extracted && !full_check && read_text(current, have, RECORD_MAX) > 0 && expected_record(w, p, text, RECORD_MAX, entry) == 0 &&
             strcmp(have, text) == 0;
    CloseHandle(current);
  }
  if (!intact) {
    if (*entry != INVALID_HANDLE_VALUE) CloseHandle(*entry);
    if (link_env(w, p) != 0) {
      fail(e, "cannot link the slots into %s: %s", w->env, last_error());
      goto done;
    }
    if (expected_record(w, p, text, RECORD_MAX, entry) != 0) {
      snprintf(e->region, sizeof e->region, "metadata");
      snprintf(e->message, sizeof e->message, "the entry point %s is not a file of the package's slots", p->entry);
      goto done;
    }
    if (write_atomically(w->tmp, w->env_record, text) != 0) {
      fail(e, "cannot write %s: %s", w->env_record, last_error());
      goto done;
    }
  }
  trace("environment %.16s ready: %d slot(s) extracted, %d reused", w->checksum, extracted, reused);
  if (full_check) fprintf(stderr, "%s: work environment checked: %d slot(s) intact, %d extracted again\n", self_name, reused, extracted);
  result = open_record(w->env_record);
  if (result != INVALID_HANDLE_VALUE) lock(result, 0);
  if (clean) clean_up(w);
done:
  if (result == INVALID_HANDLE_VALUE && *entry != INVALID_HANDLE_VALUE) {
    CloseHandle(*entry);
    *entry = INVALID_HANDLE_VALUE;
  }
  free(text);
  free(have);
  CloseHandle(root_lock);
  return result;
}

/* One argument quoted the way CommandLineToArgvW and the C runtime read it back. */
static int append_quoted(wchar_t *out, size_t cap, size_t *at, const wchar_t *arg) {
  int plain = arg[0] != L'\0' && wcspbrk(arg, L" \t\n\v\"") == NULL;
  size_t need = wcslen(arg) * 2 + 4;
  if (*at + need >= cap) return -1;
  if (*at > 0) out[(*at)++] = L' ';
  if (plain) {
    wcscpy(out + *at, arg);
    *at += wcslen(arg);
    return 0;
  }
  out[(*at)++] = L'"';
  for (const wchar_t *c = arg;; c++) {
    size_t slashes = 0;
    while (*c == L'\\') {
      c++;
      slashes++;
    }
    if (*c == L'\0') {
      for (size_t i = 0; i < slashes * 2; i++) out[(*at)++] = L'\\';
      break;
    }
    for (size_t i = 0; i < (*c == L'"' ? slashes * 2 + 1 : slashes); i++) out[(*at)++] = L'\\';
    out[(*at)++] = *c;
  }
  out[(*at)++] = L'"';
  out[*at] = L'\0';
  return 0;
}

/* Past one argument of a command line (the rules CommandLineToArgvW applies), and the blanks after it. */
static const wchar_t *skip_argument(const wchar_t *c, int first) {
  int quoted = 0;
  if (first) {
    /* The program name: quotes group, backslashes are plain. */
    for (; *c && (quoted || (*c != L' ' && *c != L'\t')); c++)
      if (*c == L'"') quoted = !quoted;
  } else {
    while (*c && (quoted || (*c != L' ' && *c != L'\t'))) {
      size_t slashes = 0;
      while (*c == L'\\') c++, slashes++;
      if (*c == L'"') {
        if (slashes % 2 == 0) quoted = !quoted;
        c++;
      } else if (slashes == 0) {
        c++;
      }
    }
  }
  while (*c == L' ' || *c == L'\t') c++;
  return c;
}

static wchar_t *wide_copy(const char *utf8) {
  int n = MultiByteToWideChar(CP_UTF8, 0, utf8, -1, NULL, 0);
  wchar_t *out = n > 0 ? malloc((size_t)n * sizeof *out) : NULL;
  if (out) MultiByteToWideChar(CP_UTF8, 0, utf8, -1, out, n);
  return out;
}

static BOOL WINAPI ignore_ctrl(DWORD type) {
  (void)type;
  return TRUE; /* the program, on the same console, gets the event and decides */
}

/*
 * Elsewhere the launcher becomes the program (exec), so killing it kills the program. Here the
 * program runs in a job that ends it when the job's last handle closes, which is the launcher's,
 * closed by Windows however the launcher ends (a kill in Task Manager included); without it the
 * program would run on orphaned, holding the caller's pipes open. Processes the program starts
 * leave the job silently and outlive it, as they would a program started directly.
 * NULL where this Windows cannot make the job (before 8, nested in a job that forbids it).
 */
static HANDLE kill_on_close_job(void) {
  HANDLE job = CreateJobObjectW(NULL, NULL);
  if (!job) return NULL;
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits;
  memset(&limits, 0, sizeof limits);
  limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_SILENT_BREAKAWAY_OK;
  if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits, sizeof limits)) {
    CloseHandle(job);
    return NULL;
  }
  return job;
}

/*
 * Windows 10 and later put the program in the job as they create it: a launcher killed inside
 * CreateProcessW then leaves nothing behind. NULL before 10, where the program starts suspended
 * and joins the job before it runs instead.
 */
static LPPROC_THREAD_ATTRIBUTE_LIST job_list(HANDLE *job) {
  SIZE_T size = 0;
  InitializeProcThreadAttributeList(NULL, 1, 0, &size);
  LPPROC_THREAD_ATTRIBUTE_LIST list = size ? malloc(size) : NULL;
  if (!list) return NULL;
  if (!InitializeProcThreadAttributeList(list, 1, 0, &size)) {
    free(list);
    return NULL;
  }
  if (!UpdateProcThreadAttribute(list, 0, PROC_THREAD_ATTRIBUTE_JOB_LIST, job, sizeof *job, NULL, NULL)) {
    DeleteProcThreadAttributeList(list);
    free(list);
    return NULL;
  }
  return list;
}

/*
 * Runs the entry with the package's arguments and environment ({workenv} substituted), then the
 * user's arguments exactly as typed, and the inherited console and stdio; returns its exit code.
 */
static int run(const workenv *w, const psp_package *p, HANDLE entry, int skip_user_args) {
  char path[W];
  if (entry_path(w, p, path) != 0) return die(EXIT_EXEC, "the entry point's path is too long");
  wchar_t *app = wide_copy(path);
  size_t cap = 32768, at = 0;
  wchar_t *line = calloc(cap, sizeof *line);
  if (!app || !line || append_quoted(line, cap, &at, app) != 0) return die(EXIT_EXEC, "out of memory");
  for (int i = 0; i < p->nargs; i++) {
    char *value = substitute(p->args[i], w->env);
    wchar_t *wide = value ? wide_copy(value) : NULL;
    if (!wide || append_quoted(line, cap, &at, wide) != 0) return die(EXIT_EXEC, "the command line is longer than Windows allows (32767 characters)");
    free(value);
    free(wide);
  }
  const wchar_t *user = skip_argument(GetCommandLineW(), 1);
  for (int i = 0; i < skip_user_args; i++) user = skip_argument(user, 0);
  if (*user) {
    if (at + 1 + wcslen(user) >= cap) return die(EXIT_EXEC, "the command line is longer than Windows allows (32767 characters)");
    line[at++] = L' ';
    wcscpy(line + at, user);
  }
  for (int i = 0; i < p->nenv; i++) {
    char *value = substitute(p->env[i], w->env);
    char *eq = value ? strchr(value, '=') : NULL;
    if (!eq) return die(EXIT_EXEC, "out of memory");
    *eq = '\0';
    wchar_t *name = wide_copy(value), *text = wide_copy(eq + 1);
    if (!name || !text || !SetEnvironmentVariableW(name, text)) return die(EXIT_EXEC, "cannot set %s: %s", value, last_error());
    free(name);
    free(text);
    free(value);
  }
  trace("run %s", path);
  SetConsoleCtrlHandler(ignore_ctrl, TRUE);
  STARTUPINFOEXW startup;
  PROCESS_INFORMATION child;
  memset(&startup, 0, sizeof startup);
  startup.StartupInfo.cb = sizeof startup;
  /* Not inheritable (no security attributes): a copy in the program would keep the job open. */
  HANDLE job = kill_on_close_job();
  if (!job) trace("no job for the program: %s", last_error());
  startup.lpAttributeList = job ? job_list(&job) : NULL;
  BOOL started = startup.lpAttributeList &&
                 CreateProcessW(app, line, NULL, NULL, TRUE, EXTENDED_STARTUPINFO_PRESENT, NULL, NULL, &startup.StartupInfo, &child);
  BOOL joined = started;
  if (!started) {
    /* Suspended until it is in the job, so that nothing it starts escapes the job unseen. */
    startup.StartupInfo.cb = sizeof startup.StartupInfo;
    started = CreateProcessW(app, line, NULL, NULL, TRUE, job ? CREATE_SUSPENDED : 0, NULL, NULL, &startup.StartupInfo, &child);
  }
  if (startup.lpAttributeList) {
    DeleteProcThreadAttributeList(startup.lpAttributeList);
    free(startup.lpAttributeList);
  }
  /* Started (or not): writers may touch the entry again. */
  if (entry != INVALID_HANDLE_VALUE) CloseHandle(entry);
  if (!started) return die(EXIT_EXEC, "cannot start %s: %s", path, last_error());
  if (job && !joined) {
    trace("the program joins its job after it is created");
    if (!AssignProcessToJobObject(job, child.hProcess)) trace("the program runs outside a job: %s", last_error());
    ResumeThread(child.hThread);
  }
  CloseHandle(child.hThread);
  WaitForSingleObject(child.hProcess, INFINITE);
  DWORD code = EXIT_EXEC;
  GetExitCodeProcess(child.hProcess, &code);
  CloseHandle(child.hProcess);
  return (int)code;
}

/* No usable work environment: the slots go into a private folder in %TEMP%, removed after the run. */
static int run_privately(const psp_package *p, int skip_user_args, const char *why) {
  wchar_t temp[MAX_PATH + 1];
  char base[W], root[W];
  DWORD n = GetTempPathW(MAX_PATH + 1, temp);
  if (n == 0 || n > MAX_PATH || psp_fs_utf8(temp, base, W) != 0) return die(EXIT_CACHE, "%s, and there is no temp folder", why);
  if (path_of(root, "%sbtm-psp-%lu-%016llx", base, (unsigned long)GetCurrentProcessId(), random_suffix()) != 0 || psp_fs_mkdir(root) != 0)
    return die(EXIT_CACHE, "%s, and cannot create a private folder in %s: %s", why, base, strerror(errno));
  fprintf(stderr, "%s: %s; running from a private copy in %s (removed on exit)\n", self_name, why, root);
  workenv w;
  psp_error e = {"", ""};
  HANDLE entry = INVALID_HANDLE_VALUE;
  const char *bad = workenv_paths(&w, root, p) == 0 ? prepare(&w) : "its path is too long";
  HANDLE record = bad ? INVALID_HANDLE_VALUE : make_env(&w, p, 0, 0, 0, &entry, &e);
  if (record == INVALID_HANDLE_VALUE) {
    remove_tree(root);
    if (strncmp(e.region, "slot", 4) == 0 || strcmp(e.region, "metadata") == 0)
      return die(EXIT_REFUSED, "refused: %s: %s (nothing was run)", e.region, e.message);
    return die(EXIT_CACHE, "cannot extract into %s: %s", root, bad ? bad : e.message);
  }
  int code = run(&w, p, entry, skip_user_args);
  CloseHandle(record);
  remove_tree(root);
  return code;
}

int main(int argc, char **argv) {
  wchar_t self_w[W];
  char self[W], name[W];
  DWORD n = GetModuleFileNameW(NULL, self_w, W);
  if (n > 0 && n < W && psp_fs_utf8(self_w, self, W) == 0) {
    const char *slash = strrchr(self, '\\');
    snprintf(name, sizeof name, "%s", slash ? slash + 1 : self);
    char *dot = strrchr(name, '.');
    if (dot && _stricmp(dot, ".exe") == 0) *dot = '\0';
    self_name = name;
  } else {
    return die(EXIT_SELF, "cannot find its own executable: %s", last_error());
  }
  HANDLE file = CreateFileW(self_w, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_DELETE, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
  LARGE_INTEGER size;
  if (file == INVALID_HANDLE_VALUE || !GetFileSizeEx(file, &size) || size.QuadPart == 0)
    return die(EXIT_SELF, "cannot read its own executable %s: %s", self, last_error());
  /* Copy-on-write: reading an Authenticode-signed file as packed changes a page of the view, never the file. */
  HANDLE mapping = CreateFileMappingW(file, NULL, PAGE_WRITECOPY, 0, 0, NULL);
  uint8_t *base = mapping ? MapViewOfFile(mapping, FILE_MAP_COPY, 0, 0, 0) : NULL;
  if (!base) return die(EXIT_SELF, "cannot map its own executable %s: %s", self, last_error());
  psp_package p;
  psp_error e = {"", ""};
  if (psp_open(&p, base, psp_pe_normalize(base, (uint64_t)size.QuadPart), &e) != 0) return die(EXIT_REFUSED, "refused %s: %s: %s (nothing was run)", self, e.region, e.message);

  char verify_env[4];
  DWORD got = GetEnvironmentVariableA("BTM_PSP_VERIFY", verify_env, sizeof verify_env);
  int full_check = got > 0 && got < sizeof verify_env && verify_env[0] == '1', skip = 0;
  if (argc > 1 && strcmp(argv[1], "--psp-verify") == 0) full_check = skip = 1;

  workenv w;
  char root[W];
  int have_root = workenv_root(root) == 0 && workenv_paths(&w, root, &p) == 0;
  int entry_damaged = 0;
  HANDLE entry = INVALID_HANDLE_VALUE;
  if (have_root && !full_check) {
    HANDLE record = open_warm(&w, &p, &entry, &entry_damaged);
    if (record != INVALID_HANDLE_VALUE) {
      int code = run(&w, &p, entry, skip);
      CloseHandle(record);
      return code;
    }
    if (entry_damaged) fprintf(stderr, "%s: the entry point in %s changed since it was extracted; extracting it again\n", self_name, w.env);
  }

  /* Cold: nothing is extracted, and nothing run, before the signature holds. */
  uint8_t keys[KEY_SLOTS][32];
  int nkeys = load_keys(keys);
  if (psp_verify(&p, (const uint8_t (*)[32])keys, nkeys, &e) != 0) return die(EXIT_REFUSED, "refused %s: %s: %s (nothing was run)", self, e.region, e.message);
  const char *why = have_root ? prepare(&w) : "no cache folder: set BTM_WORKENV_DIR or LOCALAPPDATA";
  if (why) {
    char reason[W + 400];
    snprintf(reason, sizeof reason, "cannot use the work environment %s (%s)", have_root ? w.root : "", why);
    return run_privately(&p, skip, reason);
  }
  HANDLE record = make_env(&w, &p, full_check, entry_damaged, 1, &entry, &e);
  if (record == INVALID_HANDLE_VALUE) {
    if (strncmp(e.region, "slot", 4) == 0 || strcmp(e.region, "metadata") == 0)
      return die(EXIT_REFUSED, "refused %s: %s: %s (nothing was run)", self, e.region, e.message);
    char reason[W + 512];
    snprintf(reason, sizeof reason, "cannot use the work environment (%s)", e.message);
    return run_privately(&p, skip, reason);
  }
  int code = run(&w, &p, entry, skip);
  CloseHandle(record);
  return code;
}
