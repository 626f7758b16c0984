# Helpers that give every module the same shape:
#   changeledger_library(NAME SOURCES ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...])
#     -> target changeledger_<NAME>, alias changeledger::<NAME>, public
#        headers under include/, warnings as errors.
#   changeledger_executable(NAME SOURCES ... DEPS ... [SERVICE_ALLOCATOR])
#     SERVICE_ALLOCATOR: the process allocates with jemalloc instead of
#     glibc's malloc (services, and benchmarks that host a service).
#   changeledger_test(NAME SOURCES ... DEPS ... [LABELS ...] [TIMEOUT s])
#     -> a GoogleTest binary registered with ctest through gtest_discover_tests.

include(GoogleTest)

function(changeledger_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  set(target changeledger_${name})
  if(ARG_SOURCES)
    add_library(${target} STATIC ${ARG_SOURCES})
    target_compile_options(${target} PRIVATE ${CHANGELEDGER_WARNINGS})
    set(scope PUBLIC)
  else()
    add_library(${target} INTERFACE)
    set(scope INTERFACE)
  endif()
  add_library(changeledger::${name} ALIAS ${target})
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/include)
    target_include_directories(${target} ${scope} ${CMAKE_CURRENT_SOURCE_DIR}/include)
  endif()
  target_link_libraries(${target} ${scope} ${ARG_PUBLIC_DEPS})
  if(ARG_PRIVATE_DEPS)
    target_link_libraries(${target} PRIVATE ${ARG_PRIVATE_DEPS})
  endif()
endfunction()

function(changeledger_executable name)
  cmake_parse_arguments(ARG "SERVICE_ALLOCATOR" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${CHANGELEDGER_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  # A request handler allocates and frees many small objects (protobuf
  # messages, gRPC call arenas, event records); with glibc's malloc every
  # call's arena allocation also consolidated the freed small chunks. jemalloc
  # cut intake's CPU per command by about a tenth (docs/performance.md).
  # Sanitizer builds keep the sanitizer's own allocator.
  if(ARG_SERVICE_ALLOCATOR AND NOT CHANGELEDGER_SANITIZE)
    target_link_libraries(${name} PRIVATE PkgConfig::JEMALLOC)
  endif()
endfunction()

function(changeledger_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${CHANGELEDGER_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  gtest_discover_tests(${name}
    DISCOVERY_TIMEOUT 60
    TEST_LIST ${name}_TESTS
    PROPERTIES TIMEOUT ${ARG_TIMEOUT})
  # gtest_discover_tests cannot pass a list-valued property, so labels are
  # set by a ctest include file that runs after the discovered tests exist.
  if(ARG_LABELS)
    set(labels_file ${CMAKE_CURRENT_BINARY_DIR}/${name}_labels.cmake)
    file(WRITE ${labels_file}
         "if(${name}_TESTS)\n  set_tests_properties(\${${name}_TESTS} PROPERTIES LABELS \"${ARG_LABELS}\")\nendif()\n")
    set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${labels_file})
  endif()
endfunction()
