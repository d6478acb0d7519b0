# CPack's pre-build script for the .deb: man pages and the changelog gzipped with -9n (as
# dh_compress does: no name or time stamp, so the package is reproducible), which Debian policy
# asks of both. `cmake --install` alone leaves the man pages plain (tests/harness/check-install.sh).
file(GLOB_RECURSE staged "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*")
list(FILTER staged INCLUDE REGEX "/share/man/man1/[^/]+\\.1$|/share/doc/dlrun/changelog$")
if(NOT staged)
  message(FATAL_ERROR "no man pages under ${CPACK_TEMPORARY_INSTALL_DIRECTORY}")
endif()
foreach(file IN LISTS staged)
  execute_process(COMMAND gzip -9nf "${file}" RESULT_VARIABLE failed)
  if(failed)
    message(FATAL_ERROR "gzip ${file} failed")
  endif()
endforeach()
