# CPack: the Debian package (cd build && cpack -G DEB).
# Depends: is computed from the binaries' shared libraries by dpkg-shlibdeps
# (package dpkg-dev), so it names exactly the runtime libraries this build
# links against. A Docker engine is only recommended, with Docker CE as an
# alternative, so installing the package never asks apt to replace Docker CE
# with Debian's docker.io; iptables is needed only for `isolation: internal`.
set(CPACK_PACKAGE_NAME sandbox-run)
set(CPACK_PACKAGE_VENDOR "sandbox-run")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "run untrusted code in Docker behind a credential-injecting egress proxy")
set(CPACK_PACKAGE_DESCRIPTION
  "sandbox-run is a drop-in `docker run` that speaks the Docker Engine API directly.
With sandbox-egress it gives the container opaque proxy tokens instead of API keys:
the egress proxy swaps them for the real keys only towards the hosts each key
belongs to, and refuses every other destination, including private and cloud
metadata addresses.")
set(CPACK_RESOURCE_FILE_LICENSE ${CMAKE_SOURCE_DIR}/LICENSE)
# Whoever builds the package for distribution sets their own address
# (-DSANDBOX_RUN_MAINTAINER="Name <address>"); .invalid says the default is none.
set(SANDBOX_RUN_MAINTAINER "sandbox-run maintainers <maintainers@sandbox-run.invalid>"
    CACHE STRING "Maintainer: field of the Debian package")
set(CPACK_PACKAGE_CONTACT "${SANDBOX_RUN_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # sandbox-run_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Loaded with dlopen (src/util/nettle_api.hpp), so dpkg-shlibdeps cannot see it.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libnettle8")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "docker.io | docker-ce, iptables")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "runsc")
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)

set(CPACK_GENERATOR DEB)
set(CPACK_SOURCE_GENERATOR TGZ)
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/\\\\.git$" "/build[^/]*/" "/__pycache__/")
include(CPack)
