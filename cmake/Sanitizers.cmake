add_library(dlrun_sanitizers INTERFACE)
# DLRUN_FUZZ adds libFuzzer's coverage instrumentation to the same sanitizers (clang only):
# tests/fuzz/CMakeLists.txt builds the library with it for the fuzz targets.
option(DLRUN_FUZZ "Instrument the library for libFuzzer (clang), under ASan+UBSan" OFF)
if(DLRUN_SANITIZE OR DLRUN_FUZZ)
  set(_san -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  if(DLRUN_FUZZ)
    list(APPEND _san -fsanitize=fuzzer-no-link)
    # libstdc++'s own checks (an empty optional read, an index past a vector's end) turn quiet
    # reads of the wrong bytes into findings.
    target_compile_definitions(dlrun_sanitizers INTERFACE _GLIBCXX_ASSERTIONS)
  endif()
  target_compile_options(dlrun_sanitizers INTERFACE ${_san})
  target_link_options(dlrun_sanitizers INTERFACE ${_san})
endif()
