# Runs the binflate command as a user would: restore, verify, refuse bad input.
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
string(REPEAT "binflate restores this line exactly.\n" 5000 content)
file(WRITE "${WORK}/input.txt" "${content}")
file(SHA256 "${WORK}/input.txt" expected_sha)
file(SIZE "${WORK}/input.txt" expected_size)

execute_process(COMMAND "${MAKE_FRAME}" "${WORK}/input.txt" "${WORK}/input.zst" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "make_frame failed: ${rc}")
endif()

execute_process(COMMAND "${BINFLATE}" "${WORK}/input.zst" -o "${WORK}/output.txt"
                        --size ${expected_size} --sha256 ${expected_sha}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "restore failed (${rc}): ${err}")
endif()
file(SHA256 "${WORK}/output.txt" actual_sha)
if(NOT actual_sha STREQUAL expected_sha)
  message(FATAL_ERROR "restored bytes differ: ${actual_sha} != ${expected_sha}")
endif()

execute_process(COMMAND "${BINFLATE}" "${WORK}/input.zst" -o "${WORK}/wrong.txt"
                        --sha256 0000000000000000000000000000000000000000000000000000000000000000
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 4 OR NOT err MATCHES "sha256 mismatch")
  message(FATAL_ERROR "a wrong hash must exit 4 naming the mismatch, got ${rc}: ${err}")
endif()
if(EXISTS "${WORK}/wrong.txt")
  message(FATAL_ERROR "output left behind after a mismatch")
endif()

execute_process(COMMAND "${BINFLATE}" --version RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0 OR NOT out STREQUAL "binflate ${VERSION}\n")
  message(FATAL_ERROR "--version printed '${out}', expected 'binflate ${VERSION}'")
endif()

execute_process(COMMAND "${BINFLATE}" RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 1 OR NOT err MATCHES "no input file")
  message(FATAL_ERROR "no arguments must exit 1 with usage, got ${rc}: ${err}")
endif()
message(STATUS "cli checks passed")
