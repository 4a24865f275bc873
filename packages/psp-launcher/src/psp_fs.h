#ifndef BTM_PSP_FS_H
#define BTM_PSP_FS_H

/*
 * The file operations a slot's extraction and comparison need, one implementation per system:
 * paths are UTF-8 with '/' or '\' between segments everywhere in the launcher; on Windows they
 * become wide strings (with the \\?\ prefix, so deep trees pass MAX_PATH) only at the system call.
 */
#include <stddef.h>
#include <stdint.h>

#ifdef _WIN32
#define PSP_PATH_MAX 4096
#define PSP_SEP '\\'
#include <wchar.h>
/* path as a wide string the system takes (separators '\', \\?\ before a drive path); -1 when too long or not UTF-8. */
int psp_fs_wide(const char *path, wchar_t *out, size_t capacity);
/* A UTF-8 copy of a wide string; -1 when it does not fit. */
int psp_fs_utf8(const wchar_t *text, char *out, size_t capacity);
#else
#include <limits.h>
#define PSP_PATH_MAX PATH_MAX
#define PSP_SEP '/'
#endif

/* Creates a folder; 0, or -1 with errno (EEXIST when something is there). */
int psp_fs_mkdir(const char *path);

/* A new regular file for writing (never an existing one, never through a link), its mode 0755 or
 * 0644 where the system has modes; a descriptor, or -1 with errno. */
int psp_fs_create(const char *path, int executable);

/* A regular file for reading, not through a link, if it has this size (and executable bit, where
 * the system has one); else -1. */
int psp_fs_open_matching(const char *path, uint64_t size, int executable);

/* 1 when path is a folder itself, not a link to one. */
int psp_fs_is_folder(const char *path);

/* Counts the files and folders under path; -1 when it holds anything else or cannot be read. */
int psp_fs_count_tree(const char *path, uint64_t *files, uint64_t *folders);

/* NULL when the system can create a file of this relative slot path as named; else why not
 * (Windows: reserved characters, which would name a stream or a device instead). */
const char *psp_fs_name_problem(const char *path);

#endif
