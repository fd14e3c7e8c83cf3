# Writes OUT, a header with the git commit the binaries are built from, at
# build time (so a new commit or an edit shows without re-running cmake).
# configure_file() rewrites OUT only when its content changes, so only the two
# mains recompile, and only then.
#   cmake -DSOURCE_DIR=... -DOUT=... -P BuildInfo.cmake
# Outside a git checkout (a release tarball) the commit is empty and
# --version prints the plain version.
set(SR_GIT_COMMIT "")
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} -C ${SOURCE_DIR} rev-parse --short HEAD
    OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE rc ERROR_QUIET)
  # A tarball unpacked inside some other repository must not take that one's commit.
  execute_process(COMMAND ${GIT_EXECUTABLE} -C ${SOURCE_DIR} rev-parse --show-toplevel
    OUTPUT_VARIABLE top OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  file(REAL_PATH "${SOURCE_DIR}" src_real)
  if(rc EQUAL 0 AND top)
    file(REAL_PATH "${top}" top_real)
  endif()
  if(rc EQUAL 0 AND top AND top_real STREQUAL src_real)
    set(SR_GIT_COMMIT "${commit}")
    # Tracked files that differ from HEAD (untracked ones do not change the build).
    execute_process(COMMAND ${GIT_EXECUTABLE} -C ${SOURCE_DIR} diff --quiet HEAD --
      RESULT_VARIABLE dirty ERROR_QUIET)
    if(NOT dirty EQUAL 0)
      string(APPEND SR_GIT_COMMIT "-dirty")
    endif()
  endif()
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/build_info.hpp.in ${OUT} @ONLY)
