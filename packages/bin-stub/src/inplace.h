#ifndef BTM_INPLACE_H
#define BTM_INPLACE_H

/*
 * Loading a verified program into the stub's own process (docs/binpress-format.md, "In place"):
 * its segments mapped from the cache descriptor, its interpreter mapped beside it, a fresh initial
 * stack and auxiliary vector, then a jump to its entry. The process stays the packed file, so
 * /proc/self/exe, argv[0] and AT_EXECFN name it, as if it were the program.
 */
#include <stddef.h>

typedef enum {
  BTM_INPLACE_UNSUPPORTED = 1, /* not loadable here: exec the descriptor instead (why says so) */
  BTM_INPLACE_NOEXEC,          /* the file's mount refuses executable mappings */
} btm_inplace_status;

/* Finds the auxiliary vector the kernel gave the stub; call first thing in main with its envp. */
void btm_inplace_init(char **envp);

/*
 * Runs the ELF program open on fd and never returns, or returns why not with nothing left mapped.
 * argv must be main's own: the program starts on the kernel's stack right below it.
 */
btm_inplace_status btm_run_in_place(int fd, const char *what, char **argv, char *why, size_t why_size);

#endif
