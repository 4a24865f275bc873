# zstd built from the pinned source (btm.json "sources", unpacked into zstd/ of the source tree)
# with this unit's toolchain, so every target gets its own. Two flavours:
#   zstd_decompress  decoder only, no legacy formats, small (the stub ships in every compressed binary)
#   zstd_full        compressor and decoder (binflate's tests make frames)
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
file(GLOB ZSTD_COMPRESS_SOURCES ${ZSTD_LIB_DIR}/compress/*.c)
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

if(ZSTD_WITH_COMPRESSOR AND NOT TARGET zstd_full)
  add_library(zstd_full STATIC EXCLUDE_FROM_ALL ${ZSTD_COMMON_SOURCES} ${ZSTD_DECOMPRESS_SOURCES} ${ZSTD_COMPRESS_SOURCES})
  target_include_directories(zstd_full SYSTEM PUBLIC ${ZSTD_LIB_DIR})
  target_compile_definitions(zstd_full PUBLIC ${ZSTD_COMMON_DEFINITIONS})
endif()
