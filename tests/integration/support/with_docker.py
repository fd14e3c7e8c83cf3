"""Runs a command once the Docker daemon answers, with the harness's rule:
exit 77 (ctest: skipped) when it does not, or a failure with the reason when
SANDBOX_RUN_REQUIRE_DOCKER=1. For test runners that are not Python
(examples/node: `with_docker.py node --test FILE`).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

if len(sys.argv) < 2:
    sys.exit("usage: with_docker.py COMMAND [ARG...]")
harness.require_docker()
os.execvp(sys.argv[1], sys.argv[1:])
