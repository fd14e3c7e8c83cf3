#!/usr/bin/env python3
"""sandbox-run's start-up footprint: the shared libraries it loads.

A `docker run` replacement is judged on its launch cost (docs/benchmarks.md:
peak RSS <= 0.25x of the Docker CLI's). Each library the dynamic linker maps
and relocates at start costs resident pages, and OpenSSL's libcrypto alone
cost 1.4 MiB, libcurl with its 30 dependencies ~6 MiB. sandbox-run loads
libcurl (TLS Docker endpoints) and Nettle (hashing) with dlopen, only on the
paths that need them; this test fails when a link change makes any of them a
start-up dependency again.

usage: launcher_libraries.py PATH-TO-sandbox-run
"""
import os
import re
import subprocess
import sys

FORBIDDEN = ("libcurl", "libssl", "libcrypto", "libnettle", "libgnutls", "libarchive",
             "libboost_", "libnghttp2", "libz.")


def main():
    binary = sys.argv[1]
    if not os.path.isfile(binary):
        print("FAIL: %s does not exist (build the sandbox-run target first)" % binary)
        return 1
    out = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True, check=True).stdout
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)
    bad = [lib for lib in needed if lib.startswith(FORBIDDEN)]
    print("sandbox-run NEEDED: " + " ".join(needed))
    if bad:
        print("FAIL: sandbox-run links %s at start-up; load it on first use (see util/nettle_api.hpp, "
              "docker/curl_api.hpp) or keep the code that needs it out of sandbox-run" % ", ".join(bad))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
