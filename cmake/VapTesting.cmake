# vap_add_test(NAME name SOURCES a.cc b.cc LIBS lib...)
# One GoogleTest binary; each TEST becomes its own ctest entry.
function(vap_add_test)
  cmake_parse_arguments(T "" "NAME" "SOURCES;LIBS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gmock GTest::gtest_main)
  vap_target_warnings(${T_NAME} TEST)
  gtest_discover_tests(${T_NAME} DISCOVERY_MODE PRE_TEST
                       PROPERTIES TIMEOUT 120)
endfunction()
