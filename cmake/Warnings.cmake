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
endfunction()
