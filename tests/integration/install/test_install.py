"""`cmake --install` into a temporary prefix, as a user would run it, then the
installed tree: both binaries' --version (one format, the git commit), the man
pages (generated from the binaries' own help: regenerated from the installed
binary they are identical, and every option of every --help is in them), the
bash and zsh completions, the docs, and --version without git.

Env: SR_BUILD_DIR (the build tree to install from; default build/).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from harness import ROOT  # noqa: E402

BUILD = os.path.abspath(os.environ.get("SR_BUILD_DIR", os.path.join(ROOT, "build")))
VERSION_RE = re.compile(r"^(sandbox-run|sandbox-egress) version (\d+\.\d+\.\d+)(, build ([0-9a-f]{7,}(-dirty)?))?\n$")
OPTION_RE = re.compile(r"--[a-z][a-z0-9-]*")


def run(args, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 120)
    return subprocess.run(args, **kw)


def egress_commands(binary):
    out = run([binary, "--help"]).stdout
    block = out.split("\nCommands:\n", 1)[1]
    return [m.group(1) for m in re.finditer(r"^  ([a-z][a-z-]*)", block, re.M)]


def man_text(prefix, page):
    """The page as `man` renders it, found through MANPATH alone."""
    env = dict(os.environ, MANPATH=os.path.join(prefix, "share", "man"), LC_ALL="C", MANWIDTH="200")
    r = run(["man", "-P", "cat", page], env=env)
    if r.returncode != 0:
        raise AssertionError("man %s: exit %d: %s" % (page, r.returncode, r.stderr))
    return re.sub(r".\x08", "", r.stdout)  # any overstrike left by grotty


class InstalledTree(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sr-install-")
        cls.prefix = os.path.join(cls.tmp, "x")
        r = run(["cmake", "--install", BUILD, "--prefix", cls.prefix], timeout=300)
        if r.returncode != 0:
            raise AssertionError("cmake --install: %s%s" % (r.stdout, r.stderr))
        cls.bin = os.path.join(cls.prefix, "bin")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_version_same_format_with_commit(self):
        lines = {}
        for name in ("sandbox-run", "sandbox-egress"):
            r = run([os.path.join(self.bin, name), "--version"])
            self.assertEqual(r.returncode, 0, r.stderr)
            m = VERSION_RE.match(r.stdout)
            self.assertIsNotNone(m, "%s --version printed %r" % (name, r.stdout))
            self.assertEqual(m.group(1), name)
            lines[name] = m.groups()[1:]
            # the installed binary is the one built here
            built = run([os.path.join(BUILD, "bin", name), "--version"]).stdout
            self.assertEqual(built, r.stdout)
        self.assertEqual(lines["sandbox-run"], lines["sandbox-egress"])
        if run(["git", "-C", ROOT, "rev-parse", "HEAD"]).returncode == 0:
            # Built from git: the line names a commit of this checkout (HEAD
            # or, for a tree last built before a commit, one of its ancestors).
            commit = lines["sandbox-run"][2]
            self.assertIsNotNone(commit, "no build commit in --version")
            r = run(["git", "-C", ROOT, "merge-base", "--is-ancestor", commit.removesuffix("-dirty"), "HEAD"])
            self.assertEqual(r.returncode, 0, "%s is not a commit of this checkout's history" % commit)

    def test_man_pages_render_through_manpath(self):
        text = man_text(self.prefix, "sandbox-run")
        self.assertIn("sandbox-run - run a command in a Docker container", text)
        help_text = run([os.path.join(self.bin, "sandbox-run"), "--help"]).stdout
        missing = sorted(set(OPTION_RE.findall(help_text)) - set(OPTION_RE.findall(text)))
        self.assertEqual(missing, [], "options of sandbox-run --help missing from its man page")

        egress = os.path.join(self.bin, "sandbox-egress")
        text = man_text(self.prefix, "sandbox-egress")
        commands = egress_commands(egress)
        self.assertIn("doctor", commands)
        for cmd in commands:
            self.assertIn("sandbox-egress " + cmd, text)
            sub_help = run([egress, cmd, "--help"]).stdout
            missing = sorted(set(OPTION_RE.findall(sub_help)) - set(OPTION_RE.findall(text)))
            self.assertEqual(missing, [], "options of sandbox-egress %s --help missing from the man page" % cmd)

    def test_man_pages_regenerate_identically(self):
        """The installed page is what help2man makes of the installed binary now."""
        for name, extra in (("sandbox-run", ["-DSEE_ALSO=sandbox-egress"]),
                            ("sandbox-egress", ["-DSUBCOMMANDS=ON", "-DSEE_ALSO=sandbox-run"])):
            installed = os.path.join(self.prefix, "share", "man", "man1", name + ".1")
            fresh = os.path.join(self.tmp, name + ".1")
            with open(installed) as f:
                description = re.search(r'^\.SH NAME\n\S+ \\- (.*)$', f.read(), re.M).group(1)
            version = VERSION_RE.match(run([os.path.join(self.bin, name), "--version"]).stdout).group(2)
            r = run(["cmake", "-DHELP2MAN=" + shutil.which("help2man"), "-DBINARY=" + os.path.join(self.bin, name),
                     "-DNAME=" + description.replace("\\-", "-"), "-DVERSION=" + version, "-DOUT=" + fresh] + extra +
                    ["-P", os.path.join(ROOT, "cmake", "ManPage.cmake")])
            self.assertEqual(r.returncode, 0, r.stderr)

            def body(path):  # .TH carries the generation date
                with open(path) as f:
                    return [line for line in f if not line.startswith((".TH ", ".\\\" DO NOT MODIFY"))]
            self.assertEqual(body(installed), body(fresh), name + ".1 differs from the binary's help")

    def test_completions(self):
        share = os.path.join(self.prefix, "share")
        env = dict(os.environ, PATH=self.bin + os.pathsep + os.environ["PATH"])
        for name in ("sandbox-run", "sandbox-egress"):
            path = os.path.join(share, "bash-completion", "completions", name)
            self.assertEqual(run(["bash", "-n", path]).returncode, 0, path)
            zsh = os.path.join(share, "zsh", "site-functions", "_" + name)
            self.assertTrue(os.path.isfile(zsh), zsh)
            self.assertEqual(run(["zsh", "-n", zsh]).returncode, 0, zsh)
        # the bash completion offers the launcher's own options
        script = ('source %s; COMP_WORDS=(sandbox-run --pu); COMP_CWORD=1; _sandbox_run; '
                  'printf "%%s\\n" "${COMPREPLY[@]}"' % os.path.join(share, "bash-completion", "completions", "sandbox-run"))
        self.assertIn("--pull", run(["bash", "-c", script], env=env).stdout.split())
        script = ('source %s; COMP_WORDS=(sandbox-egress do); COMP_CWORD=1; _sandbox_egress; '
                  'printf "%%s\\n" "${COMPREPLY[@]}"' % os.path.join(share, "bash-completion", "completions", "sandbox-egress"))
        self.assertEqual(run(["bash", "-c", script], env=env).stdout.split(), ["doctor"])

    def test_docs(self):
        doc = os.path.join(self.prefix, "share", "doc", "sandbox-run")
        for f in ("README.md", "LICENSE", "SECURITY.md", "CONTRIBUTING.md", "docs/user-guide.md",
                  "docs/doctor-json.md", "docs/audit-log.md", "docs/status-json.md"):
            self.assertTrue(os.path.isfile(os.path.join(doc, f)), f)


class VersionWithoutGit(unittest.TestCase):
    """A release tarball has no .git: --version is the plain version."""

    def header(self, source_dir):
        out = os.path.join(self.tmp, "out.hpp")
        r = run(["cmake", "-DSOURCE_DIR=" + source_dir, "-DOUT=" + out,
                 "-P", os.path.join(ROOT, "cmake", "BuildInfo.cmake")])
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out) as f:
            return re.search(r'kGitCommit = "([^"]*)"', f.read()).group(1)

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sr-buildinfo-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_no_git(self):
        tarball = os.path.join(self.tmp, "src")
        os.mkdir(tarball)
        self.assertEqual(self.header(tarball), "")

    def test_git_checkout(self):
        head = run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
        if head.returncode != 0:
            self.skipTest("the source tree is not a git checkout")
        dirty = run(["git", "-C", ROOT, "diff", "--quiet", "HEAD", "--"]).returncode != 0
        self.assertEqual(self.header(ROOT), head.stdout.strip() + ("-dirty" if dirty else ""))


if __name__ == "__main__":
    unittest.main(verbosity=2)
