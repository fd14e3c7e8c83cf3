# install() rules: the two binaries, their man pages (generated at build time
# from their own --help by help2man), bash and zsh completions, and the docs.
#   cmake --install build --prefix /usr/local
include(GNUInstallDirs)

install(TARGETS sandbox-run sandbox-egress RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

find_program(HELP2MAN help2man)
if(HELP2MAN)
  set(man_dir ${CMAKE_BINARY_DIR}/man)
  set(man_script ${CMAKE_SOURCE_DIR}/cmake/ManPage.cmake)
  add_custom_command(OUTPUT ${man_dir}/sandbox-run.1
    COMMAND ${CMAKE_COMMAND} -DHELP2MAN=${HELP2MAN} -DBINARY=$<TARGET_FILE:sandbox-run>
            "-DNAME=run a command in a Docker container, like docker run, with credential-injecting egress"
            -DSEE_ALSO=sandbox-egress -DVERSION=${PROJECT_VERSION} -DOUT=${man_dir}/sandbox-run.1 -P ${man_script}
    DEPENDS sandbox-run ${man_script}
    COMMENT "help2man sandbox-run")
  add_custom_command(OUTPUT ${man_dir}/sandbox-egress.1
    COMMAND ${CMAKE_COMMAND} -DHELP2MAN=${HELP2MAN} -DBINARY=$<TARGET_FILE:sandbox-egress>
            "-DNAME=manage the credential-injecting egress proxy of sandbox-run"
            -DSUBCOMMANDS=ON -DSEE_ALSO=sandbox-run -DVERSION=${PROJECT_VERSION}
            -DOUT=${man_dir}/sandbox-egress.1 -P ${man_script}
    DEPENDS sandbox-egress ${man_script}
    COMMENT "help2man sandbox-egress")
  add_custom_target(man ALL DEPENDS ${man_dir}/sandbox-run.1 ${man_dir}/sandbox-egress.1)
  install(FILES ${man_dir}/sandbox-run.1 ${man_dir}/sandbox-egress.1
          DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(WARNING "help2man not found: no man pages (scripts/install-deps.sh --build installs it)")
endif()

set(completion_dir ${CMAKE_SOURCE_DIR}/contrib/completion)
install(FILES ${completion_dir}/sandbox-run.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME sandbox-run)
install(FILES ${completion_dir}/sandbox-egress.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME sandbox-egress)
# zsh looks in vendor-completions for files under /usr (Debian's package
# path) and in site-functions under any other prefix (/usr/local); the prefix
# is only known at install time (cpack installs under <staging>/usr).
install(CODE "
  if(CMAKE_INSTALL_PREFIX MATCHES \"(^|/)usr$\")
    set(sr_zsh_dir vendor-completions)
  else()
    set(sr_zsh_dir site-functions)
  endif()
  file(INSTALL \"${completion_dir}/_sandbox-run\" \"${completion_dir}/_sandbox-egress\"
       DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DATADIR}/zsh/\${sr_zsh_dir}\")
")

install(FILES README.md LICENSE SECURITY.md CONTRIBUTING.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
# Debian's place for the license (the .deb; harmless elsewhere).
install(FILES contrib/debian/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)
