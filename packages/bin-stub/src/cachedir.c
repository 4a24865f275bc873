#define _GNU_SOURCE
#include "cachedir.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
/* getrandom() came with glibc 2.25; the floor is 2.17, so ask the kernel directly. */
#include <sys/syscall.h>
#ifndef GRND_NONBLOCK
#define GRND_NONBLOCK 1
#endif
#endif
#ifdef __APPLE__
#include <mach-o/dyld.h>
#endif

int btm_self_path(char *path, size_t size) {
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

int btm_mkdirs(const char *path) {
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

const char *btm_unsafe_dir(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) return strerror(errno);
  if (S_ISLNK(st.st_mode)) return "it is a symbolic link";
  if (!S_ISDIR(st.st_mode)) return "it is not a folder";
  if (st.st_uid != geteuid()) return "another user owns it";
  if (st.st_mode & (S_IWGRP | S_IWOTH)) return "others can write to it";
  return NULL;
}

unsigned long long btm_random_suffix(void) {
  unsigned long long r = 0;
#ifdef __linux__
  if (syscall(SYS_getrandom, &r, sizeof r, GRND_NONBLOCK) == (long)sizeof r) return r;
#else
  arc4random_buf(&r, sizeof r);
  if (r) return r;
#endif
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (unsigned long long)ts.tv_nsec ^ ((unsigned long long)getpid() << 32) ^ (unsigned long long)(uintptr_t)&r;
}

