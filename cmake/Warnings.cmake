# An interface target every project library and binary links, so that warnings
# and sanitizers are set in one place.
add_library(sr_warnings INTERFACE)
target_compile_options(sr_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
  -Wnull-dereference)
if(SANDBOX_RUN_WERROR)
  target_compile_options(sr_warnings INTERFACE -Werror)
endif()
if(SANDBOX_RUN_SANITIZE)
  target_compile_options(sr_warnings INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(sr_warnings INTERFACE -fsanitize=address,undefined)
endif()

# sr_library(<name> DIR <dir> DEPS <targets...>)
# One directory = one namespace = one library. Sources are the directory's
# *.cpp files, so adding a file needs no edit here.
function(sr_library name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  if(srcs)
    add_library(${name} STATIC ${srcs})
    target_include_directories(${name} PUBLIC ${CMAKE_SOURCE_DIR}/src)
    target_link_libraries(${name} PUBLIC sr_warnings ${ARG_DEPS})
  else()
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${CMAKE_SOURCE_DIR}/src)
    target_link_libraries(${name} INTERFACE sr_warnings ${ARG_DEPS})
  endif()
  sr_check_includes(${name} ${ARG_DEPS})
endfunction()

# The dependency table of docs/ARCHITECTURE.md, enforced at configure time:
# a library's files may include headers of its own directory and of the
# libraries it depends on (directly or through them), no other src/ directory.
# (Linking alone would not catch it: every library sees all of src/.)
function(sr_check_includes name)
  string(REGEX REPLACE "^sr_" "" self "${name}")
  set(allowed ${self})
  foreach(dep ${ARGN})
    if(dep MATCHES "^sr_")
      get_property(dep_allowed GLOBAL PROPERTY SR_ALLOWED_${dep})
      list(APPEND allowed ${dep_allowed})
    endif()
  endforeach()
  list(REMOVE_DUPLICATES allowed)
  set_property(GLOBAL PROPERTY SR_ALLOWED_${name} ${allowed})
  file(GLOB_RECURSE files CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp ${CMAKE_CURRENT_SOURCE_DIR}/*.hpp)
  foreach(f ${files})
    file(STRINGS ${f} includes REGEX "^#include \"[a-z_0-9]+/")
    foreach(inc ${includes})
      string(REGEX REPLACE "^#include \"([a-z_0-9]+)/.*" "\\1" lib "${inc}")
      if(IS_DIRECTORY ${CMAKE_SOURCE_DIR}/src/${lib} AND NOT lib IN_LIST allowed)
        message(FATAL_ERROR "${f} includes ${lib}/, but sr_${self} may depend only on: ${allowed} "
                            "(docs/ARCHITECTURE.md, Allowed dependencies)")
      endif()
    endforeach()
  endforeach()
endfunction()
