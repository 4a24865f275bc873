#include "launcher_common.h"

#include "psp_tar.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The public keys this launcher trusts, written in by the packer (tools/Btm.Core/Psp/PspLauncher):
 * a 16-byte marker, a count, then up to eight Ed25519 keys. volatile: the compiler must read what
 * the file holds, not the zeros it was built with.
 */
__attribute__((used)) static const volatile uint8_t key_block[16 + 8 + KEY_SLOTS * 32] = {
    'B', 'T', 'M', 'P', 'S', 'P', '-', 'K', 'E', 'Y', 'S', '-', 'v', '1', '\0', '\0'};

const char *self_name = "psp";

int load_keys(uint8_t keys[KEY_SLOTS][32]) {
  uint32_t count = (uint32_t)key_block[16] | (uint32_t)key_block[17] << 8 | (uint32_t)key_block[18] << 16 | (uint32_t)key_block[19] << 24;
  if (count > KEY_SLOTS) return 0;
  for (uint32_t k = 0; k < count; k++)
    for (int i = 0; i < 32; i++) keys[k][i] = key_block[24 + k * 32 + i];
  return (int)count;
}

static void say(const char *format, va_list args) {
  fprintf(stderr, "%s: ", self_name);
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
}

int die(int code, const char *format, ...) {
  va_list args;
  va_start(args, format);
  say(format, args);
  va_end(args);
  return code;
}

void trace(const char *format, ...) {
  static int on = -1;
  if (on < 0) {
    const char *t = getenv("BTM_PSP_TRACE");
    on = t && t[0] == '1';
  }
  if (!on) return;
  va_list args;
  va_start(args, format);
  say(format, args);
  va_end(args);
}

char *substitute(const char *value, const char *env) {
  static const char token[] = "{workenv}";
  size_t count = 0, tl = sizeof token - 1, el = strlen(env);
  for (const char *p = strstr(value, token); p; p = strstr(p + tl, token)) count++;
  char *out = malloc(strlen(value) + count * el + 1), *o = out;
  if (!out) return NULL;
  for (const char *p = value;;) {
    const char *hit = strstr(p, token);
    if (!hit) {
      strcpy(o, p);
      break;
    }
    memcpy(o, p, (size_t)(hit - p));
    o += hit - p;
    memcpy(o, env, el);
    o += el;
    p = hit + tl;
  }
  return out;
}

uint64_t parse_size(const char *text) {
  char *end;
  unsigned long long v = strtoull(text, &end, 10);
  switch (*end) {
  case 'k': case 'K': v <<= 10; break;
  case 'm': case 'M': v <<= 20; break;
  case 'g': case 'G': v <<= 30; break;
  case 't': case 'T': v <<= 40; break;
  default: break;
  }
  return v;
}

uint64_t workenv_max(void) {
  const char *text = getenv("BTM_WORKENV_MAX");
  return text && text[0] ? parse_size(text) : UINT64_C(2) << 30;
}

int path_of(char *out, const char *format, ...) {
  va_list args;
  va_start(args, format);
  int n = vsnprintf(out, PSP_PATH_MAX, format, args);
  va_end(args);
  return n > 0 && n < PSP_PATH_MAX ? 0 : -1;
}

int workenv_paths(workenv *w, const char *root, const psp_package *p) {
  const char s = PSP_SEP;
  psp_hex(p->index + 112, 32, w->checksum);
  return path_of(w->root, "%s", root) | path_of(w->slots, "%s%cslots", root, s) | path_of(w->envs, "%s%cenvs", root, s) |
         path_of(w->tmp, "%s%ctmp", root, s) | path_of(w->env, "%s%cenvs%c%s", root, s, s, w->checksum) |
         path_of(w->env_record, "%s%cenvs%c%s.ok", root, s, s, w->checksum);
}

int slot_dir(const workenv *w, const psp_slot *s, char *out) {
  char hex[65];
  psp_hex(s->content, 32, hex);
  return path_of(out, "%s%c%s", w->slots, PSP_SEP, hex);
}

/* The slot the entry point lies in (its first segment names it) and the path inside that slot. */
const psp_slot *entry_slot(const psp_package *p, const char **rest) {
  const char *slash = strchr(p->entry, '/');
  if (!slash) return NULL;
  for (int i = 0; i < p->count; i++)
    if (strlen(p->slots[i].name) == (size_t)(slash - p->entry) && strncmp(p->slots[i].name, p->entry, (size_t)(slash - p->entry)) == 0) {
      *rest = slash + 1;
      return &p->slots[i];
    }
  return NULL;
}

int slot_reusable(const workenv *w, const psp_package *p, const psp_slot *s, int present, int check) {
  if (!present) return 0;
  if (check) {
    char dir[PSP_PATH_MAX];
    psp_tar_counts c;
    psp_error why;
    if (slot_dir(w, s, dir) == 0 && psp_tar_walk(s, p->base, dir, PSP_TAR_COMPARE, &c, &why) != 0) {
      fprintf(stderr, "%s: slot %s in the work environment was damaged (%s); extracting it again\n", self_name, s->name, why.message);
      return 0;
    }
  }
  trace("slot %s reused (%02x%02x%02x%02x...)", s->name, s->content[0], s->content[1], s->content[2], s->content[3]);
  return 1;
}
