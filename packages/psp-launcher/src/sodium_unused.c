/*
 * libsodium's utils.c and sign.c refer to these from functions the launcher never calls (guarded
 * allocation, padding, signing); zig's Mach-O linker wants every reference resolved even in code
 * dead-stripping drops. Reaching one would be a bug: it aborts.
 */
#include <stddef.h>
#include <stdlib.h>

void randombytes_buf(void *const buf, const size_t size);
void sodium_misuse(void);

void randombytes_buf(void *const buf, const size_t size) {
  (void)buf;
  (void)size;
  abort();
}

void sodium_misuse(void) { abort(); }
