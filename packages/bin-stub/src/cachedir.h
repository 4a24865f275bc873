#ifndef BTM_CACHEDIR_H
#define BTM_CACHEDIR_H

/*
 * What the stub and the PSP launcher (packages/psp-launcher) share about their cache folders and
 * themselves: where their own executable is, the trust rule for a folder, creating folders,
 * unpredictable temp names. POSIX only (the win32 stub has its own).
 */
#include <stddef.h>
#include <sys/stat.h>

#ifdef __APPLE__
#define BTM_MTIM(st) (st).st_mtimespec
#define BTM_CTIM(st) (st).st_ctimespec
#else
#define BTM_MTIM(st) (st).st_mtim
#define BTM_CTIM(st) (st).st_ctim
#endif

/* The running executable's path (the kernel's /proc/self/exe, or dyld's); -1 with errno. */
int btm_self_path(char *path, size_t size);

/* NULL for a folder only this user can change (not a symlink, owned by us, not group- or
 * other-writable); else why not. */
const char *btm_unsafe_dir(const char *path);

/* Creates path and its missing parents, 0700; -1 with errno. */
int btm_mkdirs(const char *path);

/* 64 random bits for a temp name (getrandom, arc4random; the clock and pid if neither answers). */
unsigned long long btm_random_suffix(void);

#endif
