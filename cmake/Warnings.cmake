# One place for the warning set; every target of ours links dlrun_warnings.
add_library(dlrun_warnings INTERFACE)
target_compile_options(dlrun_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough -Wmisleading-indentation
  # g++'s own; clang (tests/fuzz builds with it) does not know them.
  "$<$<CXX_COMPILER_ID:GNU>:-Wduplicated-cond;-Wlogical-op>"
  # Designated initializers leave defaulted members out on purpose; g++ 12 flags each one.
  -Wno-missing-field-initializers)
if(DLRUN_WERROR)
  target_compile_options(dlrun_warnings INTERFACE -Werror)
endif()
