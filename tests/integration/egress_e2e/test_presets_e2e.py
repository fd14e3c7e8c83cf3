"""Issue 20's everyday workflows end to end: the tools' own clients (pip, npm,
git) in a sandbox started by sandbox-run on the internal egress network, the
built-in engine started by `sandbox-egress start`, and local HTTPS stand-ins
for the package index, an npm registry and a git server
(workflow_upstreams.py) under the presets' names, which the engine resolves to
a loopback address of their own with --resolve.

- pip downloads a wheel through the `pypi` preset (enabled with `sandbox-egress
  allow --preset pypi` on the running daemon), trusting the proxy through
  PIP_CERT;
- npm packs a package through a user-defined preset of config.yaml whose
  credential (NPM_TOKEN) npm sends as its registry bearer token;
- git ls-remote reaches github.com through the `github` preset with
  GITHUB_TOKEN as the password of HTTP Basic.

The stand-ins record the raw bytes of every request: each real key arrives
only at its own host, no proxy token leaves the engine, the sandbox holds only
proxy tokens, and a host outside the presets is refused before any byte
reaches it."""
import base64
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
import harness  # noqa: E402
import egress_stack  # noqa: E402
import workflow_upstreams as up  # noqa: E402

IMAGE = harness.TOOLS_IMAGE
KEYS = {"GITHUB_TOKEN": "ghp_test_real_github_0123456789abcdefABCD",
        "NPM_TOKEN": "npm_test_real_registry_0123456789abcdef"}
USER_PRESET = ("  presets: [github, test-npm]\n"
               "presets:\n"
               "  test-npm:\n"
               "    hosts: [%s]\n"
               "    credential: NPM_TOKEN\n"
               "    carrier: bearer\n" % up.NPM_REGISTRY)
# Where each real key may arrive (the hosts of its credential that the tests use).
KEY_HOSTS = {"GITHUB_TOKEN": {up.GITHUB}, "NPM_TOKEN": {up.NPM_REGISTRY}}
CA_PATH = "/etc/ssl/certs/sandbox-egress-ca.crt"


def fields(raw):
    """The (lower-cased name, value) pairs of a raw request head, as bytes."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]
    return [(name.strip().lower(), value.strip()) for name, _, value in (f.partition(b":") for f in head)]


def basic_payloads(raw):
    """The decoded payloads of the Basic credentials in a raw request head."""
    return [base64.b64decode(value[6:].strip()) for name, value in fields(raw)
            if name == b"authorization" and value[:6].lower() == b"basic "]


class PresetWorkflows(egress_stack.StackCase):
    port = 19380  # binds port..port+4, below the ephemeral range

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if harness.inspect("image", IMAGE) is None:
            raise RuntimeError(IMAGE + " missing: run scripts/build-images.sh tools")
        def serve_content(s):
            s.upstream.content = up.Content(s.root, KEYS["NPM_TOKEN"], KEYS["GITHUB_TOKEN"])

        cls.start_stack(serve_content, isolation="internal", upstream_port=443,
                        upstream_host=egress_stack.fixtures.own_loopback(), keys=KEYS,
                        extra_config=USER_PRESET, upstream_names=up.NAMES, upstream_handler=up.Handler,
                        extra_resolve=[(name, 443) for name in up.NAMES])
        # A preset without a credential, enabled on the running daemon.
        r = cls.s.egress("allow", "--preset", "pypi")
        if r.returncode != 0:
            raise RuntimeError("sandbox-egress allow --preset pypi: " + r.stdout + r.stderr)
        r = cls.s.run("--rm", IMAGE, "sh", "-c", 'printf "%s\\n" "$GITHUB_TOKEN" "$NPM_TOKEN"')
        if r.returncode != 0:
            raise RuntimeError("sandbox-run: " + r.stderr)
        cls.tokens = dict(zip(("GITHUB_TOKEN", "NPM_TOKEN"), r.stdout.split()))

    def setUp(self):
        self.s.upstream.recorder.clear()

    def sandbox(self, script):
        return self.s.run("--rm", IMAGE, "sh", "-c", script, timeout=180)

    def received(self, host=None):
        return [rec for rec in self.s.upstream.recorder.requests if host is None or rec["host"] == host]

    def audit(self, host, decision):
        with open(os.path.join(self.s.home, "egress", "audit.log")) as f:
            lines = [json.loads(line) for line in f if line.strip()]
        return [line for line in lines if line["host"] == host and line["decision"] == decision]

    def assert_upstream_clean(self):
        """No proxy token in any raw request (nor inside a Basic payload); each
        real key only in requests to its own hosts."""
        for rec in self.received():
            raw = rec["raw"]
            decoded = b"".join(basic_payloads(raw))
            for name, token in self.tokens.items():
                self.assertNotIn(token.encode(), raw + decoded, "proxy token for %s upstream" % name)
            for name, key in KEYS.items():
                if rec["host"] not in KEY_HOSTS[name]:
                    self.assertNotIn(key.encode(), raw + decoded, "%s's key sent to %s" % (name, rec["host"]))

    def assert_refused_off_preset(self, out):
        self.assertIn("OFF-RC=", out)
        self.assertNotIn("OFF-RC=0", out)
        self.assertEqual(self.received(up.OFF_PRESET), [], "a host outside the presets was reached")
        self.assertTrue(self.audit(up.OFF_PRESET, "reject"), "no audit line for the refused host")

    def test_sandbox_holds_only_proxy_tokens_and_the_ca_variables(self):
        r = self.sandbox("env")
        self.assertEqual(r.returncode, 0, r.stderr)
        for name, key in KEYS.items():
            self.assertNotIn(key, r.stdout)
            self.assertIn("%s=%s\n" % (name, self.tokens[name]), r.stdout)
        self.assertTrue(self.tokens["GITHUB_TOKEN"].startswith("github-"), self.tokens)
        self.assertIn("GH_TOKEN=%s\n" % self.tokens["GITHUB_TOKEN"], r.stdout)
        for var in ("PIP_CERT", "npm_config_cafile", "GIT_SSL_CAINFO", "NODE_EXTRA_CA_CERTS"):
            self.assertIn("%s=%s\n" % (var, CA_PATH), r.stdout)

    def test_pip_download_through_the_pypi_preset(self):
        c = self.s.upstream.content
        pip = "pip download --no-deps --disable-pip-version-check --retries 0 --timeout 30 -d "
        r = self.sandbox(
            "%s/tmp/dl %s && sha256sum /tmp/dl/*; "
            # The proxy CA reaches pip only through the CA variables.
            "env -u PIP_CERT -u REQUESTS_CA_BUNDLE -u CURL_CA_BUNDLE -u SSL_CERT_FILE %s/tmp/dl2 %s "
            ">/tmp/noca 2>&1; echo NOCA-RC=$?; grep -o CERTIFICATE_VERIFY_FAILED /tmp/noca | head -1; "
            "%s/tmp/dl3 --index-url https://%s/simple/ %s; echo OFF-RC=$?"
            % (pip, up.WHEEL_PROJECT, pip, up.WHEEL_PROJECT, pip, up.OFF_PRESET, up.WHEEL_PROJECT))
        self.assertIn("%s  /tmp/dl/%s" % (c.wheel_sha256, c.wheel_name), r.stdout, r.stdout + r.stderr)
        self.assertIn("NOCA-RC=1", r.stdout, r.stdout + r.stderr)
        self.assertIn("CERTIFICATE_VERIFY_FAILED", r.stdout)
        index = [(rec["method"], rec["path"]) for rec in self.received(up.PYPI)]
        files = [(rec["method"], rec["path"]) for rec in self.received(up.FILES)]
        self.assertIn(("GET", "/simple/%s/" % up.WHEEL_PROJECT), index)
        self.assertEqual(files, [("GET", "/packages/" + c.wheel_name)])
        for rec in self.received(up.PYPI) + self.received(up.FILES):
            # pypi carries no credential
            self.assertNotIn(b"authorization", [name for name, _ in fields(rec["raw"])])
        self.assert_upstream_clean()
        self.assert_refused_off_preset(r.stdout)

    def test_npm_pack_through_a_user_defined_preset(self):
        npm = ("npm pack %s --userconfig /tmp/npmrc --no-update-notifier --fetch-retries 0 --registry "
               % up.NPM_PACKAGE)
        r = self.sandbox(
            "cd /tmp && printf '//%s/:_authToken=${NPM_TOKEN}\\n' >/tmp/npmrc && "
            "%s https://%s/ && tar -xzOf %s-%s.tgz package/package.json; echo; "
            "%s https://%s/; echo OFF-RC=$?"
            % (up.NPM_REGISTRY, npm, up.NPM_REGISTRY, up.NPM_PACKAGE, up.NPM_VERSION, npm, up.OFF_PRESET))
        self.assertIn('"version": "%s"' % up.NPM_VERSION, r.stdout, r.stdout + r.stderr)
        got = self.received(up.NPM_REGISTRY)
        paths = [rec["path"] for rec in got]
        self.assertIn("/" + up.NPM_PACKAGE, paths)
        self.assertIn("/%s/-/%s-%s.tgz" % (up.NPM_PACKAGE, up.NPM_PACKAGE, up.NPM_VERSION), paths)
        want = (b"authorization", b"Bearer " + KEYS["NPM_TOKEN"].encode())
        for rec in got:
            self.assertIn(want, fields(rec["raw"]), rec["raw"][:400])
        self.assertIn(["NPM_TOKEN"], [line["secrets_swapped"] for line in self.audit(up.NPM_REGISTRY, "allow")])
        self.assert_upstream_clean()
        self.assert_refused_off_preset(r.stdout)

    def test_git_ls_remote_through_the_github_preset(self):
        helper = "credential.helper=!f() { echo username=%s; echo \"password=$GITHUB_TOKEN\"; }; f" % up.GIT_USER
        r = self.sandbox(
            "export GIT_TERMINAL_PROMPT=0; "
            "git -c '%s' ls-remote https://%s/%s; echo RC=$?; "
            "git -c '%s' ls-remote https://%s/%s; echo OFF-RC=$?"
            % (helper, up.GITHUB, up.GIT_REPO, helper, up.OFF_PRESET, up.GIT_REPO))
        head = self.s.upstream.content.git_head
        self.assertIn("%s\trefs/heads/main" % head, r.stdout, r.stdout + r.stderr)
        self.assertIn("RC=0", r.stdout)
        got = self.received(up.GITHUB)
        # git asks anonymously first (the preset does not require the token),
        # is answered 401, then sends Basic: the engine swapped the password.
        self.assertNotIn(b"authorization", [name for name, _ in fields(got[0]["raw"])])
        basic = (b"authorization", b"Basic " + base64.b64encode(
            ("%s:%s" % (up.GIT_USER, KEYS["GITHUB_TOKEN"])).encode()))
        authed = [rec for rec in got if basic in fields(rec["raw"])]
        self.assertTrue(any(rec["path"].endswith("/info/refs?service=git-upload-pack") for rec in authed), got)
        self.assertEqual(len(authed), len(got) - 1, [rec["raw"][:300] for rec in got])
        self.assertIn(["GITHUB_TOKEN"], [line["secrets_swapped"] for line in self.audit(up.GITHUB, "allow")])
        self.assert_upstream_clean()
        self.assert_refused_off_preset(r.stdout)

    def test_each_token_is_refused_off_its_own_hosts(self):
        curl = "curl -sS -m 20 -o /dev/null -w '%s %%{http_code}\\n' "
        r = self.sandbox(
            (curl % "GH-TO-NPM") + "-H \"Authorization: Bearer $GITHUB_TOKEN\" https://%s/%s; "
            % (up.NPM_REGISTRY, up.NPM_PACKAGE) +
            (curl % "NPM-TO-GH") + "-u \"%s:$NPM_TOKEN\" https://%s/%s/info/refs; "
            % (up.GIT_USER, up.GITHUB, up.GIT_REPO) +
            (curl % "GH-TO-PYPI") + "-u \"%s:$GITHUB_TOKEN\" https://%s/simple/%s/"
            % (up.GIT_USER, up.PYPI, up.WHEEL_PROJECT))
        for label in ("GH-TO-NPM", "NPM-TO-GH", "GH-TO-PYPI"):
            self.assertIn(label + " 403", r.stdout, r.stdout + r.stderr)
        self.assertEqual(self.received(), [], "a request carrying a token off its hosts went upstream")


if __name__ == "__main__":
    harness.require_docker()
    harness.main()
