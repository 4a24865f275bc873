# Runs the binflate command as a user would: restore, verify, refuse bad input. EMULATOR runs a
# cross-built binary here (qemu for arm64, wine for win32); empty for a native build.
set(RUN ${EMULATOR})
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
string(REPEAT "binflate restores this line exactly.\n" 5000 content)
file(WRITE "${WORK}/input.txt" "${content}")
file(SHA256 "${WORK}/input.txt" expected_sha)
file(SIZE "${WORK}/input.txt" expected_size)

execute_process(COMMAND ${RUN} "${MAKE_FRAME}" "${WORK}/input.txt" "${WORK}/input.zst" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "make_frame failed: ${rc}")
endif()

execute_process(COMMAND ${RUN} "${BINFLATE}" "${WORK}/input.zst" -o "${WORK}/output.txt"
                        --size ${expected_size} --sha256 ${expected_sha}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "restore failed (${rc}): ${err}")
endif()
file(SHA256 "${WORK}/output.txt" actual_sha)
if(NOT actual_sha STREQUAL expected_sha)
  message(FATAL_ERROR "restored bytes differ: ${actual_sha} != ${expected_sha}")
endif()

execute_process(COMMAND ${RUN} "${BINFLATE}" "${WORK}/input.zst" -o "${WORK}/wrong.txt"
                        --sha256 0000000000000000000000000000000000000000000000000000000000000000
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 4 OR NOT err MATCHES "sha256 mismatch")
  message(FATAL_ERROR "a wrong hash must exit 4 naming the mismatch, got ${rc}: ${err}")
endif()
if(EXISTS "${WORK}/wrong.txt")
  message(FATAL_ERROR "output left behind after a mismatch")
endif()

execute_process(COMMAND ${RUN} "${BINFLATE}" --version RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0 OR NOT out STREQUAL "binflate ${VERSION}\n")
  message(FATAL_ERROR "--version printed '${out}', expected 'binflate ${VERSION}'")
endif()

execute_process(COMMAND ${RUN} "${BINFLATE}" RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 1 OR NOT err MATCHES "no input file")
  message(FATAL_ERROR "no arguments must exit 1 with usage, got ${rc}: ${err}")
endif()
message(STATUS "cli checks passed")

# A compressed binary made by the C# writer (golden vector of the whole format).
execute_process(COMMAND ${RUN} "${BINFLATE}" "${GOLDEN}" -o "${WORK}/golden-original" RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "restoring the golden compressed binary failed (${rc}): ${err}")
endif()
file(SHA256 "${WORK}/golden-original" golden_sha)
if(NOT golden_sha STREQUAL "d26e86d436744df4a8390aa7ac9e664440949ec70d55149e5f54417b265ef7d1")
  message(FATAL_ERROR "golden compressed binary restored to ${golden_sha}")
endif()
execute_process(COMMAND ${RUN} "${MAKE_FRAME}" --flip "${GOLDEN}" "${WORK}/flipped.bin" RESULT_VARIABLE rc)
execute_process(COMMAND ${RUN} "${BINFLATE}" "${WORK}/flipped.bin" -o "${WORK}/never" RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 3 OR NOT err MATCHES "corrupt")
  message(FATAL_ERROR "a flipped payload byte must exit 3 naming the corruption, got ${rc}: ${err}")
endif()
if(EXISTS "${WORK}/never")
  message(FATAL_ERROR "output left behind for a corrupt compressed binary")
endif()
message(STATUS "compressed-binary checks passed")
