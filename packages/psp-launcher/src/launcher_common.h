#ifndef BTM_LAUNCHER_COMMON_H
#define BTM_LAUNCHER_COMMON_H

/* What the POSIX launcher (launcher.c) and the Windows one (launcher_win32.c) share: the trusted
 * keys written in at pack time, messages, {workenv} substitution and the size cap's syntax. */
#include <stdint.h>

#include "psp.h"
#include "psp_fs.h"

enum {
  EXIT_REFUSED = 120, /* the package is damaged, or not signed by a key this launcher trusts */
  EXIT_CACHE = 122, /* no work environment could be made, not even a private one */
  EXIT_EXEC = 123,
  EXIT_SELF = 124,
};

#define KEY_SLOTS 8

/* The program's name in its messages (argv[0]'s file name). */
extern const char *self_name;

/* The keys written into this launcher's key block; their count. */
int load_keys(uint8_t keys[KEY_SLOTS][32]);

/* "<self>: <message>" on stderr; returns code. */
int die(int code, const char *format, ...);

/* With BTM_PSP_TRACE=1: which slots were extracted or reused, and what ran. */
void trace(const char *format, ...);

/* value with every {workenv} replaced by env; malloc'd, NULL when out of memory. */
char *substitute(const char *value, const char *env);

/* BTM_WORKENV_MAX's syntax: bytes, or a number with k, m, g or t. */
uint64_t parse_size(const char *text);

/* The cap on extracted slots: BTM_WORKENV_MAX, else 2 GiB. */
uint64_t workenv_max(void);

/* printf into a PSP_PATH_MAX buffer; -1 when it does not fit. */
int path_of(char *out, const char *format, ...);

/* A work environment's places for one package (docs/psp-format.md, "Work environment"). */
typedef struct {
  char root[PSP_PATH_MAX], slots[PSP_PATH_MAX], envs[PSP_PATH_MAX], tmp[PSP_PATH_MAX], env[PSP_PATH_MAX], env_record[PSP_PATH_MAX];
  char checksum[65];
} workenv;

int workenv_paths(workenv *w, const char *root, const psp_package *p);

/* slots/<content address> of slot s. */
int slot_dir(const workenv *w, const psp_slot *s, char *out);

/* The slot the entry point lies in (its first segment names it) and the path inside that slot. */
const psp_slot *entry_slot(const psp_package *p, const char **rest);

/*
 * 1 when the extracted copy of slot s can be used as it is: present and, when check is set,
 * compared with the package file by file (a damaged one is said on stderr); 0 to extract it.
 */
int slot_reusable(const workenv *w, const psp_package *p, const psp_slot *s, int present, int check);

#endif
