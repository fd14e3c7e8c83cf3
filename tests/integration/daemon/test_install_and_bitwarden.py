"""`sandbox-egress install` against a fabricated iron-proxy release served by
a local HTTP server on 127.0.0.1 (no internet here; the fabricated
"iron-proxy" is a shell script running the stand-in engine), and Bitwarden
credentials through a stand-in `bws` script on PATH that prints the JSON
documented for `bws secret list <project> --output json`.

Tunnel ports 19530-19559 (this suite's range on the shared machine; a home
uses port, port+1 and port+2).
"""
import functools
import hashlib
import http.server
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading

from daemon_support import STANDIN, DaemonTestCase, mode_of, proc_environ, reserve_ports
import harness

reserve_ports(19530, 19559)

ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
ASSET = "iron-proxy_0.39.0_linux_%s.tar.gz" % ARCH
BINARY = ("#!/bin/sh\nexec %s %s normal \"$@\"\n" % (sys.executable, STANDIN)).encode()


def make_tar(entries):
    """entries: list of (name, kind, data) with kind 'file' | 'symlink' | 'hardlink'."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, kind, data in entries:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(data)
                info.mode = 0o755
                tar.addfile(info, io.BytesIO(data))
            else:
                info.type = tarfile.SYMTYPE if kind == "symlink" else tarfile.LNKTYPE
                info.linkname = data
                tar.addfile(info)
    return buf.getvalue()


class Release:
    """A release directory served over HTTP on 127.0.0.1, counting requests."""

    def __init__(self, archive, checksum=None):
        self.dir = tempfile.mkdtemp(prefix="sr-release-")
        with open(os.path.join(self.dir, ASSET), "wb") as f:
            f.write(archive)
        digest = checksum or hashlib.sha256(archive).hexdigest()
        with open(os.path.join(self.dir, "checksums.txt"), "w") as f:
            f.write("%s  iron-proxy_0.39.0_darwin_arm64.tar.gz\n%s  %s\n" % ("0" * 64, digest, ASSET))
        self.requests = []
        release = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *a):
                release.requests.append(self.path)

        self.server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Handler, directory=self.dir))
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = "http://127.0.0.1:%d/v0.39.0" % self.server.server_address[1]
        os.makedirs(os.path.join(self.dir, "v0.39.0"))
        for name in os.listdir(self.dir):
            if name != "v0.39.0":
                os.rename(os.path.join(self.dir, name), os.path.join(self.dir, "v0.39.0", name))

    def file(self, name):
        return os.path.join(self.dir, "v0.39.0", name)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Gpg:
    """A throwaway signing key (gpg from Debian) and its public keyring."""

    def __init__(self):
        self.home = tempfile.mkdtemp(prefix="sr-gpg-")
        self.run("--quick-gen-key", "Test Release <release@example.invalid>", "ed25519", "sign", "never")
        out = self.run("--with-colons", "--list-keys").stdout
        self.fingerprint = [l.split(":")[9] for l in out.splitlines() if l.startswith("fpr:")][0]
        self.keyring = os.path.join(self.home, "release.gpg")
        with open(self.keyring, "wb") as f:
            f.write(subprocess.run(["gpg", "--homedir", self.home, "--export"], capture_output=True,
                                   check=True).stdout)

    def run(self, *args):
        return subprocess.run(["gpg", "--homedir", self.home, "--batch", "--pinentry-mode", "loopback",
                               "--passphrase", ""] + list(args), capture_output=True, text=True, check=True)

    def sign(self, path):
        self.run("--yes", "--armor", "--detach-sign", "-o", path + ".asc", path)

    def close(self):
        subprocess.run(["gpgconf", "--homedir", self.home, "--kill", "all"], capture_output=True)
        shutil.rmtree(self.home, ignore_errors=True)


class Install(DaemonTestCase):
    def release(self, archive, checksum=None):
        r = Release(archive, checksum)
        self.addCleanup(r.close)
        return r

    def install(self, home, release, *args, **env):
        env.setdefault("SANDBOX_EGRESS_RELEASE_KEYRING", os.path.join(home.root, "no-keyring.gpg"))
        return home.egress("install", *args, SANDBOX_EGRESS_RELEASE_BASE_URL=release.url, **env)

    def binary(self, home):
        return os.path.join(home.home, "bin", "iron-proxy")

    def test_correct_release_installs_and_caches(self):
        home = self.make_home(mode=None)
        rel = self.release(make_tar([("iron-proxy", "file", BINARY), ("LICENSE", "file", b"Apache-2.0\n")]))
        r = self.install(home, rel)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("installed iron-proxy 0.39.0", r.stdout)
        self.assertIn("test stand-in", r.stdout)
        self.assertIn("NOT verified", r.stderr)
        self.assertEqual(mode_of(self.binary(home)), 0o755)
        self.assertEqual(open(self.binary(home), "rb").read(), BINARY)
        count = len(rel.requests)
        again = self.install(home, rel)
        self.assertIn("already installed", again.stdout)
        self.assertEqual(len(rel.requests), count)
        forced = self.install(home, rel, "--force")
        self.assertEqual(forced.returncode, 0, forced.stderr)
        self.assertGreater(len(rel.requests), count)

    def test_release_base_url_from_config(self):
        rel = self.release(make_tar([("./iron-proxy", "file", BINARY)]))
        home = self.make_home(mode=None, extra_config="  release_base_url: %s\n" % rel.url)
        r = home.egress("install", SANDBOX_EGRESS_RELEASE_KEYRING=os.path.join(home.root, "none"))
        self.assertEqual(r.returncode, 0, r.stderr)

    def assertRefused(self, archive, expect, checksum=None):
        home = self.make_home(mode=None)
        r = self.install(home, self.release(archive, checksum))
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn(expect, r.stderr)
        self.assertFalse(os.path.exists(self.binary(home)))

    def test_wrong_checksum_refused(self):
        self.assertRefused(make_tar([("iron-proxy", "file", BINARY)]), "SHA-256 mismatch", checksum="f" * 64)

    def test_missing_entry_refused(self):
        self.assertRefused(make_tar([("bin/iron-proxy", "file", BINARY)]), "no top-level 'iron-proxy'")

    def test_traversal_refused(self):
        self.assertRefused(make_tar([("../iron-proxy", "file", BINARY), ("iron-proxy", "file", BINARY)]),
                           "unsafe entry path")
        self.assertRefused(make_tar([("/tmp/iron-proxy", "file", BINARY)]), "unsafe entry path")

    def test_links_refused(self):
        self.assertRefused(make_tar([("iron-proxy", "symlink", "/bin/sh")]), "is a link")
        self.assertRefused(make_tar([("x", "file", BINARY), ("iron-proxy", "hardlink", "x")]), "is a link")

    def test_signature_checked_with_gpgv(self):
        if not shutil.which("gpg") or not shutil.which("gpgv"):
            self.skipTest("gpg/gpgv not installed (Debian packages gnupg, gpgv)")
        gpg = Gpg()
        self.addCleanup(gpg.close)
        rel = self.release(make_tar([("iron-proxy", "file", BINARY)]))
        gpg.sign(rel.file("checksums.txt"))
        home = self.make_home(mode=None)
        good = self.install(home, rel, SANDBOX_EGRESS_RELEASE_KEYRING=gpg.keyring,
                            SANDBOX_EGRESS_RELEASE_KEY_FINGERPRINT=gpg.fingerprint)
        self.assertEqual(good.returncode, 0, good.stderr)
        self.assertNotIn("NOT verified", good.stderr)
        other = self.install(home, rel, "--force", SANDBOX_EGRESS_RELEASE_KEYRING=gpg.keyring,
                             SANDBOX_EGRESS_RELEASE_KEY_FINGERPRINT="0" * 40)
        self.assertEqual(other.returncode, 1)
        self.assertIn("other than the pinned", other.stderr)
        with open(rel.file("checksums.txt"), "a") as f:
            f.write("%s  extra-file\n" % ("1" * 64))  # the signature no longer matches
        home2 = self.make_home(mode=None)
        bad = self.install(home2, rel, SANDBOX_EGRESS_RELEASE_KEYRING=gpg.keyring)
        self.assertEqual(bad.returncode, 1, bad.stdout)
        self.assertIn("BAD or unverifiable signature", bad.stderr)
        self.assertFalse(os.path.exists(self.binary(home2)))

    def test_start_auto_installs(self):
        rel = self.release(make_tar([("iron-proxy", "file", BINARY)]))
        home = self.make_home(mode=None, auto_install=True)
        r = home.egress("start", SANDBOX_EGRESS_RELEASE_BASE_URL=rel.url,
                        SANDBOX_EGRESS_RELEASE_KEYRING=os.path.join(home.root, "none"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.exists(self.binary(home)))
        home.egress("stop")


BWS = """#!/bin/sh
# Stand-in for the Bitwarden Secrets Manager CLI (bws cannot be installed here).
[ "$BWS_ACCESS_TOKEN" = "tok-123" ] || { echo "Error: invalid access token" >&2; exit 1; }
[ "$1 $2 $3 $4 $5" = "secret list proj-1 --output json" ] || { echo "bad args: $*" >&2; exit 2; }
cat <<'JSON'
%s
JSON
"""


class Bitwarden(DaemonTestCase):
    def home_with_bws(self, secrets, extra=""):
        home = self.make_home(engine="builtin", extra_config="  credential_source: bitwarden\n"
                              "  bitwarden_project: proj-1\n" + extra)
        bindir = os.path.join(home.root, "bwsbin")
        os.makedirs(bindir)
        doc = [{"id": "id-%d" % i, "organizationId": "org", "projectId": "proj-1", "key": k, "value": v,
                "note": "", "creationDate": "2026-01-01T00:00:00Z", "revisionDate": "2026-01-01T00:00:00Z"}
               for i, (k, v) in enumerate(secrets.items())]
        with open(os.path.join(bindir, "bws"), "w") as f:
            f.write(BWS % json.dumps(doc, indent=2))
        os.chmod(os.path.join(bindir, "bws"), 0o755)
        home.path_env = bindir + os.pathsep + os.environ["PATH"]
        return home

    def test_mapped_names_only(self):
        home = self.home_with_bws({"OPENAI_API_KEY": "sk-from-bws", "GOOGLE_API_KEY": "g-from-bws",
                                   "UNMAPPED_SECRET": "nope"})
        r = home.egress("start", PATH=home.path_env, BWS_ACCESS_TOKEN="tok-123", OPENAI_API_KEY="sk-env")
        self.assertEqual(r.returncode, 0, r.stderr)
        env = proc_environ(home.pid())
        self.assertEqual(env[b"OPENAI_API_KEY"], b"sk-from-bws")
        self.assertEqual(env[b"GEMINI_API_KEY"], b"g-from-bws")
        self.assertNotIn(b"UNMAPPED_SECRET", env)
        self.assertNotIn(b"BWS_ACCESS_TOKEN", env)
        home.egress("stop")

    def test_refusals(self):
        home = self.home_with_bws({"OPENAI_API_KEY": "sk-from-bws"})
        r = home.egress("start", PATH=home.path_env, BWS_ACCESS_TOKEN=None)
        self.assertEqual(r.returncode, 1)
        self.assertIn("$BWS_ACCESS_TOKEN is not set", r.stderr)
        r = home.egress("start", PATH=home.path_env, BWS_ACCESS_TOKEN="tok-123")
        self.assertEqual(r.returncode, 1)
        self.assertIn("has no secret named GEMINI_API_KEY", r.stderr)
        r = home.egress("start", PATH=home.path_env, BWS_ACCESS_TOKEN="wrong")
        self.assertEqual(r.returncode, 1)
        self.assertIn("invalid access token", r.stderr)
        self.assertNoDaemon(home)

    def test_env_fallback_warns(self):
        home = self.home_with_bws({"OPENAI_API_KEY": "sk-from-bws"}, extra="  allow_env_fallback: true\n")
        r = home.egress("start", PATH=home.path_env, BWS_ACCESS_TOKEN="tok-123", GEMINI_API_KEY="gem-env")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("allow_env_fallback", r.stderr)
        env = proc_environ(home.pid())
        self.assertEqual(env[b"GEMINI_API_KEY"], b"gem-env")
        self.assertEqual(env[b"OPENAI_API_KEY"], b"sk-from-bws")
        home.egress("stop")


if __name__ == "__main__":
    harness.main()
