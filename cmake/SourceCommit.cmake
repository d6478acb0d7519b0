# Writes OUT, a header naming the source's commit (and whether the work tree had changes), at
# every build, and touches it only when that changed: `dlrun --version` then says which source
# it was built from without a reconfigure, and an unchanged commit rebuilds nothing.
#   cmake -DSOURCE_DIR=… -DOUT=… -P SourceCommit.cmake
# Outside a git work tree (a release tarball) DLRUN_SOURCE_COMMIT from the environment is used,
# else "unknown".
set(commit "$ENV{DLRUN_SOURCE_COMMIT}")
find_package(Git QUIET)
if(GIT_FOUND AND EXISTS "${SOURCE_DIR}/.git")
  execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${SOURCE_DIR}" rev-parse --short=12 HEAD
                  OUTPUT_VARIABLE head OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE failed
                  ERROR_QUIET)
  if(NOT failed)
    set(commit "${head}")
    execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${SOURCE_DIR}" status --porcelain
                            --untracked-files=no
                    OUTPUT_VARIABLE changes OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(changes)
      string(APPEND commit ", modified")
    endif()
  endif()
endif()
if(commit STREQUAL "")
  set(commit "unknown")
endif()
set(text "#pragma once\n\nnamespace dlrun {\ninline constexpr const char* kSourceCommit = \"${commit}\";\n}\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()
