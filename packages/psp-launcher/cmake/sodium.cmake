# Ed25519 verification from libsodium, built from the pinned Debian source (btm.json "sources",
# unpacked into sodium/ of the source tree) with this unit's toolchain: only the files a detached
# verify reaches, each function in its own section so the linker keeps what is called.
if(NOT DEFINED SODIUM_SOURCE_DIR)
  message(FATAL_ERROR "set SODIUM_SOURCE_DIR to the unpacked libsodium tree")
endif()
set(SODIUM_LIB_DIR ${SODIUM_SOURCE_DIR}/src/libsodium)
if(NOT EXISTS ${SODIUM_LIB_DIR}/include/sodium/version.h.in)
  message(FATAL_ERROR "no libsodium sources at ${SODIUM_SOURCE_DIR}: BTM unpacks them there from btm.json \"sources\"")
endif()

# configure writes version.h; without running configure, write it the same way.
file(READ ${SODIUM_LIB_DIR}/include/sodium/version.h.in SODIUM_VERSION_H)
string(REPLACE "@VERSION@" "1.0.18" SODIUM_VERSION_H "${SODIUM_VERSION_H}")
string(REPLACE "@SODIUM_LIBRARY_VERSION_MAJOR@" "10" SODIUM_VERSION_H "${SODIUM_VERSION_H}")
string(REPLACE "@SODIUM_LIBRARY_VERSION_MINOR@" "3" SODIUM_VERSION_H "${SODIUM_VERSION_H}")
string(REPLACE "@SODIUM_LIBRARY_MINIMAL_DEF@" "#define SODIUM_LIBRARY_MINIMAL 1" SODIUM_VERSION_H "${SODIUM_VERSION_H}")
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/sodium-include/sodium/version.h "${SODIUM_VERSION_H}")

add_library(sodium_verify STATIC EXCLUDE_FROM_ALL
  ${SODIUM_LIB_DIR}/crypto_sign/ed25519/ref10/open.c
  ${SODIUM_LIB_DIR}/crypto_sign/ed25519/ref10/sign.c
  ${SODIUM_LIB_DIR}/crypto_core/ed25519/ref10/ed25519_ref10.c
  ${SODIUM_LIB_DIR}/crypto_hash/sha512/cp/hash_sha512_cp.c
  ${SODIUM_LIB_DIR}/crypto_verify/sodium/verify.c
  ${SODIUM_LIB_DIR}/sodium/utils.c
  ${CMAKE_CURRENT_SOURCE_DIR}/src/sodium_unused.c)
target_include_directories(sodium_verify SYSTEM PUBLIC ${CMAKE_CURRENT_BINARY_DIR}/sodium-include ${SODIUM_LIB_DIR}/include
  PRIVATE ${SODIUM_LIB_DIR}/include/sodium)
# Every target BTM builds for is little-endian; 64-bit GCC and Clang have 128-bit integers (the faster field arithmetic).
target_compile_definitions(sodium_verify PRIVATE CONFIGURED=1 NATIVE_LITTLE_ENDIAN=1 SODIUM_STATIC=1 HAVE_TI_MODE=1)
if(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
  target_compile_options(sodium_verify PRIVATE -O2 -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-unwind-tables -w)
endif()
