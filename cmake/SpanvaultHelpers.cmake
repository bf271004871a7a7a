# Warning flags and one helper per kind of target, so every module is built the same way.

# Designated initializers leave the other fields at their defaults on purpose.
set(SPANVAULT_WARNINGS -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
  -Werror=unused-result)
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  list(APPEND SPANVAULT_WARNINGS -Wthread-safety -Werror=thread-safety)
endif()
if(SPANVAULT_WERROR)
  list(APPEND SPANVAULT_WARNINGS -Werror)
endif()

# In a ThreadSanitizer build every binary links the absl::Mutex and RocksDB write interposers
# (CMakeLists.txt).
function(spanvault_link_sanitizer_support name)
  if(TARGET sv_tsan_interposers)
    target_link_libraries(${name} PRIVATE sv_tsan_interposers)
  endif()
endfunction()

# spanvault_library(NAME SOURCES ... [DEPS ...] [PRIVATE_DEPS ...])
function(spanvault_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${SPANVAULT_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# spanvault_executable(NAME SOURCES ... [DEPS ...])
function(spanvault_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${SPANVAULT_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  spanvault_link_sanitizer_support(${name})
endfunction()

# spanvault_test(NAME SOURCES ... [DEPS ...]): a GoogleTest binary registered with ctest.
function(spanvault_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${SPANVAULT_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} sv_testing GTest::gmock GTest::gtest_main)
  spanvault_link_sanitizer_support(${name})
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS unit)
endfunction()
