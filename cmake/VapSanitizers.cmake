# Applies VAP_SANITIZE to everything built in this tree. Fuzzer builds also
# instrument the library for coverage (-fsanitize=fuzzer-no-link).
if(VAP_SANITIZE)
  add_compile_options(-fsanitize=${VAP_SANITIZE} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${VAP_SANITIZE})
endif()
if(VAP_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "VAP_BUILD_FUZZERS needs clang (libFuzzer)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
