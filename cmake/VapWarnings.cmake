# Warning set shared by every vap target. clang adds the thread-safety
# analysis (docs/locking.md "How to annotate"): with VAP_WERROR a missing or wrong
# lock annotation fails the build. Tests skip the conversion warnings,
# which gtest's comparison macros trip over.
function(vap_target_warnings target)
  cmake_parse_arguments(W "TEST" "" "" ${ARGN})
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align
    -Woverloaded-virtual -Wimplicit-fallthrough)
  if(NOT W_TEST)
    target_compile_options(${target} PRIVATE
      -Wold-style-cast -Wconversion -Wsign-conversion)
  endif()
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    target_compile_options(${target} PRIVATE
      -Wthread-safety -Wthread-safety-beta)
  endif()
  if(VAP_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
