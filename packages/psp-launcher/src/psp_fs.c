#define _GNU_SOURCE
#include "psp_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#ifdef _WIN32
#include <ctype.h>
#include <io.h>
#include <windows.h>

int psp_fs_wide(const char *path, wchar_t *out, size_t capacity) {
  size_t at = 0;
  if (((path[0] >= 'A' && path[0] <= 'Z') || (path[0] >= 'a' && path[0] <= 'z')) && path[1] == ':' && (path[2] == '\\' || path[2] == '/')) {
    if (capacity < 5) return -1;
    wcscpy(out, L"\\\\?\\");
    at = 4;
  }
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, out + at, (int)(capacity - at));
  if (n <= 0) return -1;
  for (wchar_t *c = out + at; *c; c++)
    if (*c == L'/') *c = L'\\';
  return 0;
}

int psp_fs_utf8(const wchar_t *text, char *out, size_t capacity) {
  return WideCharToMultiByte(CP_UTF8, 0, text, -1, out, (int)capacity, NULL, NULL) > 0 ? 0 : -1;
}

static void set_errno(void) {
  DWORD code = GetLastError();
  errno = code == ERROR_ALREADY_EXISTS || code == ERROR_FILE_EXISTS ? EEXIST
        : code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND ? ENOENT
        : code == ERROR_DISK_FULL || code == ERROR_HANDLE_DISK_FULL ? ENOSPC
        : code == ERROR_ACCESS_DENIED ? EACCES : EIO;
}

int psp_fs_mkdir(const char *path) {
  wchar_t w[PSP_PATH_MAX];
  if (psp_fs_wide(path, w, PSP_PATH_MAX) != 0) return errno = ENAMETOOLONG, -1;
  if (CreateDirectoryW(w, NULL)) return 0;
  set_errno();
  return -1;
}

int psp_fs_create(const char *path, int executable) {
  (void)executable; /* Windows runs a file by its name, not a mode */
  wchar_t w[PSP_PATH_MAX];
  if (psp_fs_wide(path, w, PSP_PATH_MAX) != 0) return errno = ENAMETOOLONG, -1;
  HANDLE h = CreateFileW(w, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
  if (h == INVALID_HANDLE_VALUE) {
    set_errno();
    return -1;
  }
  int fd = _open_osfhandle((intptr_t)h, _O_WRONLY | _O_BINARY);
  if (fd < 0) CloseHandle(h);
  return fd;
}

int psp_fs_open_matching(const char *path, uint64_t size, int executable) {
  (void)executable;
  wchar_t w[PSP_PATH_MAX];
  if (psp_fs_wide(path, w, PSP_PATH_MAX) != 0) return -1;
  HANDLE h = CreateFileW(w, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, FILE_FLAG_OPEN_REPARSE_POINT, NULL);
  if (h == INVALID_HANDLE_VALUE) return -1;
  BY_HANDLE_FILE_INFORMATION info;
  if (!GetFileInformationByHandle(h, &info) || (info.dwFileAttributes & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT)) ||
      ((uint64_t)info.nFileSizeHigh << 32 | info.nFileSizeLow) != size) {
    CloseHandle(h);
    return -1;
  }
  int fd = _open_osfhandle((intptr_t)h, _O_RDONLY | _O_BINARY);
  if (fd < 0) CloseHandle(h);
  return fd;
}

int psp_fs_is_folder(const char *path) {
  wchar_t w[PSP_PATH_MAX];
  if (psp_fs_wide(path, w, PSP_PATH_MAX) != 0) return 0;
  DWORD a = GetFileAttributesW(w);
  return a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY) && !(a & FILE_ATTRIBUTE_REPARSE_POINT);
}

int psp_fs_count_tree(const char *path, uint64_t *files, uint64_t *folders) {
  char pattern[PSP_PATH_MAX];
  wchar_t w[PSP_PATH_MAX];
  if (snprintf(pattern, sizeof pattern, "%s\\*", path) >= (int)sizeof pattern || psp_fs_wide(pattern, w, PSP_PATH_MAX) != 0) return -1;
  WIN32_FIND_DATAW found;
  HANDLE search = FindFirstFileW(w, &found);
  if (search == INVALID_HANDLE_VALUE) return -1;
  int result = 0;
  do {
    if (wcscmp(found.cFileName, L".") == 0 || wcscmp(found.cFileName, L"..") == 0) continue;
    char name[1024], child[PSP_PATH_MAX];
    if (found.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) result = -1; /* a link was never extracted */
    else if (psp_fs_utf8(found.cFileName, name, sizeof name) != 0 || snprintf(child, sizeof child, "%s\\%s", path, name) >= (int)sizeof child) result = -1;
    else if (found.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) {
      ++*folders;
      result = psp_fs_count_tree(child, files, folders);
    } else ++*files;
  } while (result == 0 && FindNextFileW(search, &found));
  FindClose(search);
  return result;
}

static int reserved_device(const char *segment, size_t n) {
  static const char *names[] = {"CON", "PRN", "AUX", "NUL"};
  size_t stem = 0;
  while (stem < n && segment[stem] != '.') stem++;
  for (size_t i = 0; i < 4; i++)
    if (stem == 3 && _strnicmp(segment, names[i], 3) == 0) return 1;
  return stem == 4 && (_strnicmp(segment, "COM", 3) == 0 || _strnicmp(segment, "LPT", 3) == 0) && segment[3] >= '1' && segment[3] <= '9';
}

const char *psp_fs_name_problem(const char *path) {
  for (const char *c = path; *c; c++)
    if ((unsigned char)*c < 32 || strchr(":*?\"<>|", *c)) return "it has a character Windows reserves (: * ? \" < > | or a control character)";
  for (const char *s = path; *s;) {
    size_t n = strcspn(s, "/");
    if (n > 0 && (s[n - 1] == '.' || s[n - 1] == ' ')) return "a segment ends in a dot or a space, which Windows drops";
    if (reserved_device(s, n)) return "a segment is a Windows device name (CON, PRN, AUX, NUL, COM1-9, LPT1-9)";
    s += n;
    if (*s) s++;
  }
  return NULL;
}

#else
#include <dirent.h>
#include <unistd.h>

int psp_fs_mkdir(const char *path) { return mkdir(path, 0755); }

int psp_fs_create(const char *path, int executable) {
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, executable ? 0755 : 0644);
  /* The umask may have narrowed the mode; the format fixes it. */
  if (fd >= 0) fchmod(fd, executable ? 0755 : 0644);
  return fd;
}

int psp_fs_open_matching(const char *path, uint64_t size, int executable) {
  struct stat st;
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == size && ((st.st_mode & 0111) != 0) == (executable != 0))
    return fd;
  if (fd >= 0) close(fd);
  return -1;
}

int psp_fs_is_folder(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int psp_fs_count_tree(const char *path, uint64_t *files, uint64_t *folders) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -1;
  DIR *d = fdopendir(fd);
  if (!d) {
    close(fd);
    return -1;
  }
  struct dirent *entry;
  int result = 0;
  while (result == 0 && (entry = readdir(d)) != NULL) {
    if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
    char child[PSP_PATH_MAX];
    struct stat st;
    if (snprintf(child, sizeof child, "%s/%s", path, entry->d_name) >= (int)sizeof child || lstat(child, &st) != 0) result = -1;
    else if (S_ISDIR(st.st_mode)) {
      ++*folders;
      result = psp_fs_count_tree(child, files, folders);
    } else if (S_ISREG(st.st_mode)) ++*files;
    else result = -1; /* anything else was never extracted */
  }
  closedir(d);
  return result;
}

const char *psp_fs_name_problem(const char *path) {
  (void)path;
  return NULL;
}
#endif
