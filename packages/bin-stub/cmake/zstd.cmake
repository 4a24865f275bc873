# zstd built from the pinned source (btm.json "sources", unpacked into zstd/ of the source tree)
# with this unit's toolchain, so every target gets its own. Decoders only: nothing BTM ships in C
# compresses, and the compressor's sources take longer to compile than all the rest. Two flavours:
#   zstd_decompress       small (the stub ships in every compressed binary)
#   zstd_decompress_fast  zstd's own speed settings (binflate, a tool people run on large files)
# Both without the x86-64 assembly, which only builds for one target.
if(NOT DEFINED ZSTD_SOURCE_DIR)
  message(FATAL_ERROR "set ZSTD_SOURCE_DIR to the unpacked zstd tree")
endif()
set(ZSTD_LIB_DIR ${ZSTD_SOURCE_DIR}/lib)
if(NOT EXISTS ${ZSTD_LIB_DIR}/zstd.h)
  message(FATAL_ERROR "no zstd sources at ${ZSTD_SOURCE_DIR}: BTM unpacks them there from btm.json \"sources\"")
endif()

file(GLOB ZSTD_COMMON_SOURCES ${ZSTD_LIB_DIR}/common/*.c)
file(GLOB ZSTD_DECOMPRESS_SOURCES ${ZSTD_LIB_DIR}/decompress/*.c)
set(ZSTD_COMMON_DEFINITIONS ZSTD_LEGACY_SUPPORT=0 ZSTD_DISABLE_ASM ZSTD_TRACE=0 XXH_NAMESPACE=ZSTD_)

if(NOT TARGET zstd_decompress)
  add_library(zstd_decompress STATIC EXCLUDE_FROM_ALL ${ZSTD_COMMON_SOURCES} ${ZSTD_DECOMPRESS_SOURCES})
  target_include_directories(zstd_decompress SYSTEM PUBLIC ${ZSTD_LIB_DIR})
  # Size over speed where it costs little: one Huffman decoder, one sequence decoder, no BMI2 copy.
  target_compile_definitions(zstd_decompress PUBLIC ${ZSTD_COMMON_DEFINITIONS}
    PRIVATE HUF_FORCE_DECOMPRESS_X1 ZSTD_FORCE_DECOMPRESS_SEQUENCES_SHORT DYNAMIC_BMI2=0)
  if(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(zstd_decompress PRIVATE -Os -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-unwind-tables)
  endif()
endif()

if(NOT TARGET zstd_decompress_fast)
  add_library(zstd_decompress_fast STATIC EXCLUDE_FROM_ALL ${ZSTD_COMMON_SOURCES} ${ZSTD_DECOMPRESS_SOURCES})
  target_include_directories(zstd_decompress_fast SYSTEM PUBLIC ${ZSTD_LIB_DIR})
  target_compile_definitions(zstd_decompress_fast PUBLIC ${ZSTD_COMMON_DEFINITIONS})
endif()
