# Generates a man page from a binary's own --help and --version with help2man,
# so the page cannot drift from the program (tests/integration/install checks it).
#   cmake -DHELP2MAN=... -DBINARY=... -DNAME="one-line description" -DOUT=... -DSEE_ALSO=other-page
#         -DVERSION=X.Y.Z [-DSUBCOMMANDS=ON] -P ManPage.cmake
# VERSION is the footer's: the plain release version, not the whole --version
# line (its build commit would overflow the footer and change every commit).
# SUBCOMMANDS (sandbox-egress): the commands listed under "Commands:" in
# `BINARY --help` each get a subsection with their own `BINARY CMD --help`
# (help2man reads only the top-level --help); a new command is never missed.
get_filename_component(prog "${BINARY}" NAME)
get_filename_component(out_dir "${OUT}" DIRECTORY)
file(MAKE_DIRECTORY "${out_dir}")
set(include_file "${OUT}.h2m")
# The docs are installed next to the pages (cmake/Install.cmake, the .deb).
set(text "[SEE ALSO]\n.BR ${SEE_ALSO} (1),\n.BR docker-run (1).\nThe user guide, security model and troubleshooting table are in\n.IR /usr/share/doc/sandbox-run/docs/\n(or under the install prefix).\n")
if(SUBCOMMANDS)
  execute_process(COMMAND "${BINARY}" --help OUTPUT_VARIABLE top RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${prog} --help exited with status ${rc}")
  endif()
  string(REGEX REPLACE ".*\nCommands:\n" "" top "${top}")
  string(REGEX MATCHALL "(^|\n)  [a-z][a-z-]*" commands "${top}")
  string(APPEND text "[COMMANDS]\n")
  foreach(cmd IN LISTS commands)
    string(STRIP "${cmd}" cmd)
    execute_process(COMMAND "${BINARY}" ${cmd} --help
      OUTPUT_VARIABLE help RESULT_VARIABLE rc ERROR_VARIABLE help_err)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "${prog} ${cmd} --help exited with status ${rc}: ${help_err}")
    endif()
    # roff: a backslash is \e; a line starting with . or ' would be a request.
    string(REPLACE "\\" "\\e" help "${help}")
    string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" help "${help}")
    string(APPEND text ".SS \"${prog} ${cmd}\"\n.nf\n${help}.fi\n")
  endforeach()
endif()
file(WRITE "${include_file}" "${text}")
execute_process(
  COMMAND "${HELP2MAN}" --no-info --section 1 --version-string "${VERSION}" --name "${NAME}" --include "${include_file}"
          --output "${OUT}" "${BINARY}"
  RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "help2man ${BINARY} exited with status ${rc}: ${err}")
endif()
