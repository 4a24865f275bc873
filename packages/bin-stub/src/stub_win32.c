/*
 * BTM self-extracting stub for Windows: the same contract as stub.c (docs/binpress-format.md).
 * First run: extract into %BTM_DLX_DIR% or %LOCALAPPDATA%\btm\dlx, verified, under LockFileEx,
 * through a temp file moved into place with MoveFileExW. Every run: open the entry denying
 * writers, check it against the record written at extraction, then CreateProcessW it with the
 * original command line and inherited stdio, and return its exit code. Windows has no exec, so
 * the stub waits as the parent; Ctrl-C and Ctrl-Break reach the child through the shared console
 * and the stub ignores them itself.
 */
#define _CRT_RAND_S
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <wchar.h>
#include <windows.h>

#include "btm_format.h"

static int die(int code, const char *what, const char *detail) {
  fprintf(stderr, "btm-stub: %s%s%s\n", what, detail[0] ? ": " : "", detail);
  return code;
}

static const char *last_error(void) {
  static char text[256];
  DWORD code = GetLastError();
  if (!FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, code, 0, text, sizeof text, NULL))
    snprintf(text, sizeof text, "error %lu", (unsigned long)code);
  text[strcspn(text, "\r\n")] = '\0';
  return text;
}

/* The entry's identity, from the open handle: volume, file index, size, last write. */
static int entry_record(HANDLE file, char *out, size_t size) {
  BY_HANDLE_FILE_INFORMATION info;
  if (!GetFileInformationByHandle(file, &info)) return -1;
  snprintf(out, size, "btm-dlx-entry-win32 1 %lu %lu:%lu %lu:%lu %lu:%lu\n", (unsigned long)info.dwVolumeSerialNumber,
           (unsigned long)info.nFileIndexHigh, (unsigned long)info.nFileIndexLow, (unsigned long)info.nFileSizeHigh,
           (unsigned long)info.nFileSizeLow, (unsigned long)info.ftLastWriteTime.dwHighDateTime,
           (unsigned long)info.ftLastWriteTime.dwLowDateTime);
  return 0;
}

/* The entry opened denying writers and deleters (so it cannot change until it has started), if its record matches. */
static HANDLE open_verified(const wchar_t *entry, const wchar_t *marker, uint64_t size) {
  HANDLE file = CreateFileW(entry, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
  if (file == INVALID_HANDLE_VALUE) return INVALID_HANDLE_VALUE;
  LARGE_INTEGER length;
  char want[160], have[160] = {0};
  if (!GetFileSizeEx(file, &length) || (uint64_t)length.QuadPart != size || entry_record(file, want, sizeof want) != 0) goto mismatch;
  HANDLE m = CreateFileW(marker, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
  if (m == INVALID_HANDLE_VALUE) goto mismatch;
  DWORD got = 0;
  BOOL read = ReadFile(m, have, sizeof have - 1, &got, NULL);
  CloseHandle(m);
  if (read && strcmp(want, have) == 0) return file;
mismatch:
  CloseHandle(file);
  return INVALID_HANDLE_VALUE;
}

static void remove_stale_temps(const wchar_t *dir) {
  wchar_t pattern[MAX_PATH * 2], path[MAX_PATH * 2];
  _snwprintf(pattern, MAX_PATH * 2, L"%ls\\.extract.tmp-*", dir);
  WIN32_FIND_DATAW found;
  HANDLE search = FindFirstFileW(pattern, &found);
  if (search == INVALID_HANDLE_VALUE) return;
  do {
    _snwprintf(path, MAX_PATH * 2, L"%ls\\%ls", dir, found.cFileName);
    DeleteFileW(path);
  } while (FindNextFileW(search, &found));
  FindClose(search);
}

/* Extracts into dir\name through a temp file: verified by btm_unpack, flushed, moved into place, recorded. */
static btm_status extract(int self_fd, const btm_trailer *t, const wchar_t *dir, const wchar_t *entry, const wchar_t *marker,
                          char *error, size_t error_size) {
  unsigned int r1 = 0, r2 = 0;
  rand_s(&r1);
  rand_s(&r2);
  wchar_t temp[MAX_PATH * 2];
  _snwprintf(temp, MAX_PATH * 2, L"%ls\\.extract.tmp-%lu-%08x%08x", dir, (unsigned long)GetCurrentProcessId(), r1, r2);
  int out = _wopen(temp, _O_WRONLY | _O_CREAT | _O_EXCL | _O_BINARY, _S_IREAD | _S_IWRITE);
  if (out < 0) {
    snprintf(error, error_size, "cannot create a temp file in the cache: %s", strerror(errno));
    return errno == ENOSPC ? BTM_NOSPACE : BTM_IO;
  }
  btm_status status = btm_unpack(self_fd, t, out, 0, error, error_size);
  if (status == BTM_OK && _commit(out) != 0) status = BTM_IO;
  _close(out);
  DeleteFileW(marker);
  if (status == BTM_OK && !MoveFileExW(temp, entry, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
    snprintf(error, error_size, "cannot move the binary into the cache: %s", last_error());
    status = BTM_IO;
  }
  if (status != BTM_OK) {
    DeleteFileW(temp);
    return status;
  }
  HANDLE file = CreateFileW(entry, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
  char record[160];
  if (file == INVALID_HANDLE_VALUE || entry_record(file, record, sizeof record) != 0) {
    if (file != INVALID_HANDLE_VALUE) CloseHandle(file);
    snprintf(error, error_size, "cannot read back the extracted binary: %s", last_error());
    return BTM_IO;
  }
  CloseHandle(file);
  HANDLE m = CreateFileW(marker, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
  if (m != INVALID_HANDLE_VALUE) {
    DWORD written = 0;
    WriteFile(m, record, (DWORD)strlen(record), &written, NULL);
    FlushFileBuffers(m);
    CloseHandle(m);
  }
  return BTM_OK;
}

static BOOL WINAPI ignore_ctrl(DWORD type) {
  (void)type;
  return TRUE; /* the child, on the same console, gets the event and decides */
}

/* Runs the verified entry with this process's command line and stdio; returns its exit code. */
static int run(HANDLE verified, const wchar_t *entry) {
  STARTUPINFOW startup;
  PROCESS_INFORMATION child;
  memset(&startup, 0, sizeof startup);
  startup.cb = sizeof startup;
  SetConsoleCtrlHandler(ignore_ctrl, TRUE);
  BOOL started = CreateProcessW(entry, GetCommandLineW(), NULL, NULL, TRUE, 0, NULL, NULL, &startup, &child);
  /* Started (or not): writers may touch the entry again. */
  CloseHandle(verified);
  if (!started) return die(BTM_EXIT_EXEC, "cannot start the extracted binary", last_error());
  CloseHandle(child.hThread);
  WaitForSingleObject(child.hProcess, INFINITE);
  DWORD code = 1;
  GetExitCodeProcess(child.hProcess, &code);
  CloseHandle(child.hProcess);
  return (int)code;
}

static int make_dirs(wchar_t *path) {
  for (wchar_t *p = path + 3; *p; p++) {
    if (*p != L'\\' && *p != L'/') continue;
    wchar_t saved = *p;
    *p = L'\0';
    CreateDirectoryW(path, NULL);
    *p = saved;
  }
  return CreateDirectoryW(path, NULL) || GetLastError() == ERROR_ALREADY_EXISTS ? 0 : -1;
}

int main(void) {
  wchar_t self[MAX_PATH * 2];
  char error[512];
  DWORD n = GetModuleFileNameW(NULL, self, MAX_PATH * 2);
  if (n == 0 || n >= MAX_PATH * 2) return die(BTM_EXIT_SELF, "cannot find its own executable", last_error());
  int self_fd = _wopen(self, _O_RDONLY | _O_BINARY);
  struct _stat64 st;
  if (self_fd < 0 || _fstat64(self_fd, &st) != 0) return die(BTM_EXIT_SELF, "cannot read its own executable", strerror(errno));
  btm_trailer t;
  btm_status status = btm_read_trailer(self_fd, (uint64_t)st.st_size, &t, error, sizeof error);
  if (status == BTM_NOT_PRESSED)
    return die(BTM_EXIT_CORRUPT, "no BTMPRESS trailer in the last 128 bytes: a truncated compressed binary, or the bare stub (make one with `btm binpress`)", "");
  if (status != BTM_OK) return die(BTM_EXIT_CORRUPT, "corrupt compressed binary", error);

  const wchar_t *name = wcsrchr(self, L'\\');
  name = name ? name + 1 : self;
  char key[33];
  btm_cache_key_hex(&t, key);
  wchar_t root[MAX_PATH * 2], dir[MAX_PATH * 2], entry[MAX_PATH * 2], marker[MAX_PATH * 2], lock[MAX_PATH * 2], base[MAX_PATH];
  DWORD got = GetEnvironmentVariableW(L"BTM_DLX_DIR", root, MAX_PATH);
  if (got == 0 || got >= MAX_PATH) {
    if (GetEnvironmentVariableW(L"LOCALAPPDATA", base, MAX_PATH) == 0) GetTempPathW(MAX_PATH, base);
    _snwprintf(root, MAX_PATH * 2, L"%ls\\btm\\dlx", base);
  }
  _snwprintf(dir, MAX_PATH * 2, L"%ls\\%hs", root, key);
  _snwprintf(entry, MAX_PATH * 2, L"%ls\\%ls", dir, name);
  _snwprintf(marker, MAX_PATH * 2, L"%ls\\.%ls.complete", dir, name);
  _snwprintf(lock, MAX_PATH * 2, L"%ls\\.lock", dir);

  HANDLE verified = open_verified(entry, marker, t.uncompressed_size);
  if (verified != INVALID_HANDLE_VALUE) return run(verified, entry);

  if (make_dirs(dir) != 0) {
    /* No usable cache: a private folder in %TEMP%, removed after the run. */
    wchar_t temp[MAX_PATH];
    GetTempPathW(MAX_PATH, temp);
    fprintf(stderr, "btm-stub: cannot create the cache folder (%s); extracting privately\n", last_error());
    _snwprintf(dir, MAX_PATH * 2, L"%lsbtm-dlx-%lu", temp, (unsigned long)GetCurrentProcessId());
    CreateDirectoryW(dir, NULL);
    _snwprintf(entry, MAX_PATH * 2, L"%ls\\%ls", dir, name);
    _snwprintf(marker, MAX_PATH * 2, L"%ls\\.%ls.complete", dir, name);
    status = extract(self_fd, &t, dir, entry, marker, error, sizeof error);
    if (status == BTM_CORRUPT) return die(BTM_EXIT_CORRUPT, "corrupt compressed binary", error);
    if (status != BTM_OK) return die(status == BTM_NOSPACE ? BTM_EXIT_NOSPACE : BTM_EXIT_CACHE, "cannot extract", error);
    int code = run(open_verified(entry, marker, t.uncompressed_size), entry);
    DeleteFileW(entry);
    DeleteFileW(marker);
    RemoveDirectoryW(dir);
    return code;
  }
  /* One extractor at a time; the others wait, then find the entry complete. */
  HANDLE lock_file = CreateFileW(lock, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
  OVERLAPPED whole = {0};
  if (lock_file != INVALID_HANDLE_VALUE) LockFileEx(lock_file, LOCKFILE_EXCLUSIVE_LOCK, 0, MAXDWORD, MAXDWORD, &whole);
  remove_stale_temps(dir);
  verified = open_verified(entry, marker, t.uncompressed_size);
  status = BTM_OK;
  if (verified == INVALID_HANDLE_VALUE) {
    status = extract(self_fd, &t, dir, entry, marker, error, sizeof error);
    if (status == BTM_OK) verified = open_verified(entry, marker, t.uncompressed_size);
    if (status == BTM_OK && verified == INVALID_HANDLE_VALUE) {
      snprintf(error, sizeof error, "the extracted binary does not match its record");
      status = BTM_IO;
    }
  }
  if (lock_file != INVALID_HANDLE_VALUE) {
    UnlockFileEx(lock_file, 0, MAXDWORD, MAXDWORD, &whole);
    CloseHandle(lock_file);
  }
  if (status == BTM_CORRUPT) return die(BTM_EXIT_CORRUPT, "corrupt compressed binary", error);
  if (status != BTM_OK) return die(status == BTM_NOSPACE ? BTM_EXIT_NOSPACE : BTM_EXIT_CACHE, "cannot use the cache", error);
  return run(verified, entry);
}
