/*
 * Debian's libzstd.a is built with ZSTD_LEGACY_SUPPORT, so ZSTD_decompressStream drags in the
 * decoders of the v0.5-v0.7 formats: 91 KB, a third of the stub, in every compressed binary.
 * The stub only ever reads frames binpress wrote in the current format. Linked as an object
 * ahead of libzstd.a, these definitions satisfy its references, so the linker leaves the legacy
 * objects out; a legacy frame is refused as a corrupt payload. Where libzstd is built without
 * legacy support, nothing references them and --gc-sections drops them.
 */
#include <stddef.h>

#define REFUSED ((size_t)-1) /* ZSTD_error_GENERIC */

#define LEGACY_VERSION(v)                                                                                            \
  void *ZSTDv##v##_createDCtx(void);                                                                                 \
  size_t ZSTDv##v##_freeDCtx(void *dctx);                                                                            \
  size_t ZSTDv##v##_decompress_usingDict(void *dctx, void *dst, size_t dst_capacity, const void *src, size_t src_size, \
                                         const void *dict, size_t dict_size);                                        \
  size_t ZSTDv##v##_getFrameParams(void *params, const void *src, size_t src_size);                                  \
  void ZSTDv##v##_findFrameSizeInfoLegacy(const void *src, size_t src_size, size_t *c_size, unsigned long long *d_bound); \
  void *ZBUFFv##v##_createDCtx(void);                                                                                \
  size_t ZBUFFv##v##_freeDCtx(void *dctx);                                                                           \
  size_t ZBUFFv##v##_decompressInitDictionary(void *dctx, const void *dict, size_t dict_size);                       \
  size_t ZBUFFv##v##_decompressContinue(void *dctx, void *dst, size_t *dst_capacity, const void *src, size_t *src_size); \
  void *ZSTDv##v##_createDCtx(void) { return NULL; }                                                                 \
  size_t ZSTDv##v##_freeDCtx(void *dctx) { (void)dctx; return 0; }                                                   \
  size_t ZSTDv##v##_decompress_usingDict(void *dctx, void *dst, size_t dst_capacity, const void *src, size_t src_size, \
                                         const void *dict, size_t dict_size) {                                       \
    (void)dctx, (void)dst, (void)dst_capacity, (void)src, (void)src_size, (void)dict, (void)dict_size;               \
    return REFUSED;                                                                                                  \
  }                                                                                                                  \
  size_t ZSTDv##v##_getFrameParams(void *params, const void *src, size_t src_size) {                                 \
    (void)params, (void)src, (void)src_size;                                                                         \
    return REFUSED;                                                                                                  \
  }                                                                                                                  \
  void ZSTDv##v##_findFrameSizeInfoLegacy(const void *src, size_t src_size, size_t *c_size, unsigned long long *d_bound) { \
    (void)src, (void)src_size;                                                                                       \
    *c_size = REFUSED;                                                                                               \
    *d_bound = 0ULL - 2; /* ZSTD_CONTENTSIZE_ERROR */                                                                \
  }                                                                                                                  \
  void *ZBUFFv##v##_createDCtx(void) { return NULL; }                                                                \
  size_t ZBUFFv##v##_freeDCtx(void *dctx) { (void)dctx; return 0; }                                                  \
  size_t ZBUFFv##v##_decompressInitDictionary(void *dctx, const void *dict, size_t dict_size) {                      \
    (void)dctx, (void)dict, (void)dict_size;                                                                         \
    return REFUSED;                                                                                                  \
  }                                                                                                                  \
  size_t ZBUFFv##v##_decompressContinue(void *dctx, void *dst, size_t *dst_capacity, const void *src, size_t *src_size) { \
    (void)dctx, (void)dst, (void)dst_capacity, (void)src, (void)src_size;                                            \
    return REFUSED;                                                                                                  \
  }

LEGACY_VERSION(05)
LEGACY_VERSION(06)
LEGACY_VERSION(07)
