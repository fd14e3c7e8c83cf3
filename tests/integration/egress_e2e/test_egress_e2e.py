"""Issue 6 end to end: sandbox-run with egress on, the built-in engine started
by `sandbox-egress start`, a local HTTPS stand-in for the providers, and the
tools image (curl, python3, node). The sandbox only ever sees proxy tokens;
the stand-in receives the real keys."""
import json
import os
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import harness  # noqa: E402
import egress_stack  # noqa: E402
from egress_stack import KEYS  # noqa: E402

IMAGE = harness.TOOLS_IMAGE


def containers():
    r = harness.run(["docker", "ps", "-aq", "--no-trunc"])
    return set(r.stdout.decode().split())


class EgressE2E(egress_stack.StackCase):
    # Each stack binds port, port+1 and port+2. All below 32768: a port in
    # the kernel's ephemeral range (32768-60999) can be taken meanwhile by any
    # outgoing connection's source port, and the daemon then fails to bind.
    port = 19310
    isolation = "bridge"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_stack(isolation=cls.isolation)

    def sandbox(self, script, *opts):
        r = self.s.run("--rm", *opts, IMAGE, "sh", "-c", script)
        return r

    def last_auth(self):
        rec = self.s.upstream.recorder.last()
        self.assertIsNotNone(rec, "the upstream received nothing")
        return rec

    def token(self, name):
        r = self.sandbox("printf %s \"$" + name + "\"")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotEqual(r.stdout, KEYS[name])
        self.assertTrue(r.stdout)
        return r.stdout

    def test_curl_bearer(self):
        self.s.upstream.recorder.clear()
        url = self.s.url("api.openai.com", "/v1/models")
        r = self.sandbox('curl -sS -f "%s" -H "Authorization: Bearer $OPENAI_API_KEY"' % url)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.last_auth()["headers"]["authorization"], "Bearer " + KEYS["OPENAI_API_KEY"])
        self.assertNotIn(KEYS["OPENAI_API_KEY"], r.stdout)

    def test_python_bearer(self):
        self.s.upstream.recorder.clear()
        url = self.s.url("api.openai.com", "/v1/py")
        code = ("import os,urllib.request as u;"
                "q=u.Request('%s',headers={'Authorization':'Bearer '+os.environ['OPENAI_API_KEY']});"
                "print(u.urlopen(q).status)" % url)
        r = self.sandbox("python3 -c \"%s\"" % code)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.last_auth()["headers"]["authorization"], "Bearer " + KEYS["OPENAI_API_KEY"])

    def test_node_bearer(self):
        self.s.upstream.recorder.clear()
        url = self.s.url("api.openai.com", "/v1/node")
        # Node's https ignores HTTPS_PROXY: send a CONNECT through the tunnel.
        js = ("const http=require('http'),tls=require('tls'),u=new URL('%s');"
              "const p=new URL(process.env.HTTPS_PROXY);"
              "http.request({host:p.hostname,port:p.port,method:'CONNECT',path:u.host}).on('connect',(res,sock)=>{"
              "const s=tls.connect({socket:sock,servername:u.hostname},()=>{"
              "s.write('GET '+u.pathname+' HTTP/1.1\\r\\nHost: '+u.host+'\\r\\nAuthorization: Bearer '+"
              "process.env.OPENAI_API_KEY+'\\r\\nConnection: close\\r\\n\\r\\n')});"
              "let b='';s.on('data',d=>b+=d);s.on('end',()=>{console.log(b.split(' ')[1]);}) }).end();" % url)
        r = self.sandbox("node -e \"$JS\"", "-e", "JS=" + js)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("200", r.stdout)
        self.assertEqual(self.last_auth()["headers"]["authorization"], "Bearer " + KEYS["OPENAI_API_KEY"])

    def test_env_proc_and_inspect_show_only_token(self):
        name = "sr-e2e-inspect-%d" % os.getpid()
        r = self.s.run("--name", name, IMAGE, "sh", "-c", "env; tr '\\0' '\\n' </proc/1/environ")
        try:
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("OPENAI_API_KEY=", r.stdout)
            info = harness.inspect("container", name)
            blob = json.dumps(info)
            for real in KEYS.values():
                self.assertNotIn(real, r.stdout)
                self.assertNotIn(real, blob)
            self.assertIn("SANDBOX_EGRESS=1", info["Config"]["Env"])
        finally:
            harness.run(["docker", "rm", "-f", name])

    def test_x_api_key_and_query_key(self):
        self.s.upstream.recorder.clear()
        r = self.sandbox('curl -sS -f "%s" -H "x-api-key: $ANTHROPIC_API_KEY" && '
                         'curl -sS -f "%s?key=$GEMINI_API_KEY"'
                         % (self.s.url("api.anthropic.com", "/v1/messages"),
                            self.s.url("generativelanguage.googleapis.com", "/v1beta/models")))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        reqs = self.s.upstream.recorder.requests
        self.assertEqual(reqs[0]["headers"]["x-api-key"], KEYS["ANTHROPIC_API_KEY"])
        self.assertIn("key=" + KEYS["GEMINI_API_KEY"], reqs[1]["path"])

    def test_not_allowlisted_is_403(self):
        r = self.sandbox('curl -sS -o /dev/null -w "%%{http_code}" "https://blocked.test:%d/"'
                         % self.s.up_port)
        self.assertIn("403", r.stdout + r.stderr)

    def test_collisions_refused(self):
        before = containers()
        envfile = os.path.join(self.s.root, "env")
        with open(envfile, "w") as f:
            f.write("HTTPS_PROXY=http://elsewhere:1\n")
        for opts in (["-e", "HTTPS_PROXY=http://elsewhere:1"], ["--env-file", envfile],
                     ["-e", "OPENAI_API_KEY=" + KEYS["OPENAI_API_KEY"]]):
            r = self.s.run("--rm", *opts, IMAGE, "true")
            self.assertEqual(r.returncode, 125, (opts, r.stderr))
            self.assertIn("HTTPS_PROXY" if "PROXY" in opts[1] or opts[0] == "--env-file"
                          else "OPENAI_API_KEY", r.stderr)
        self.assertEqual(containers(), before)
        # An identical value is not a collision.
        tok = self.token("OPENAI_API_KEY")
        r = self.s.run("--rm", "-e", "OPENAI_API_KEY=" + tok, IMAGE, "true")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_config_docker_env_collision(self):
        config = os.path.join(self.s.home, "config.yaml")
        with open(config) as f:
            original = f.read()
        before = containers()
        try:
            with open(config, "a") as f:
                f.write("docker_env:\n  HTTPS_PROXY: http://elsewhere:1\n")
            r = self.s.run("--rm", IMAGE, "true")
            self.assertEqual(r.returncode, 125, r.stderr)
            self.assertIn("HTTPS_PROXY (from config docker_env)", r.stderr)
        finally:
            with open(config, "w") as f:
                f.write(original)
        self.assertEqual(containers(), before)

    def test_image_env_collision(self):
        tag = "sandbox-run-test/tools-proxyenv:e2e"
        r = harness.run(["docker", "build", "-q", "-t", tag, "-"],
                        input=("FROM %s\nENV HTTPS_PROXY=http://elsewhere:1\n" % IMAGE).encode())
        self.assertEqual(r.returncode, 0, r.stderr)
        try:
            r = self.s.run("--rm", tag, "true")
            self.assertEqual(r.returncode, 125, r.stderr)
            self.assertIn("HTTPS_PROXY", r.stderr)
        finally:
            harness.run(["docker", "rmi", "-f", tag])

    def test_node_options_merge(self):
        r = self.sandbox('echo "$NODE_OPTIONS"', "-e", "NODE_OPTIONS=--max-old-space-size=64 --use-bundled-ca")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "--max-old-space-size=64 --use-openssl-ca")

    def test_dry_run_creates_nothing_and_redacts(self):
        before = containers()
        r = self.s.run("--dry-run", "--rm", IMAGE, "true")
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertIn("egress", doc)
        self.assertIn("request", doc)
        tok = self.token("OPENAI_API_KEY")
        self.assertNotIn(tok, r.stdout)
        for real in KEYS.values():
            self.assertNotIn(real, r.stdout)
        self.assertEqual(containers(), before)


class EgressInternal(EgressE2E):
    """isolation: internal (the default). Run alone: test_egress_e2e.py EgressInternal."""
    port = 19340
    isolation = "internal"

    def test_curl_bearer(self):
        super().test_curl_bearer()

    def test_direct_tcp_fails_proxied_succeeds(self):
        net = harness.inspect("network", "sandbox-egress")
        self.assertIsNotNone(net, "setup did not create the sandbox-egress network")
        gw = net["IPAM"]["Config"][0]["Gateway"]
        # A host listener on another port of the gateway: the firewall that
        # setup installs lets the sandbox reach only the proxy's ports.
        other = socket.socket()
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        other.bind((gw, 0))
        other.listen(8)
        try:
            self.s.upstream.recorder.clear()
            r = self.sandbox(
                "curl -sS -m 5 --noproxy '*' -k https://%s:%d/ && echo DIRECT-OK || echo DIRECT-FAILED; "
                "curl -sS -m 5 --noproxy '*' telnet://%s:%d </dev/null && echo GW-OK || echo GW-FAILED; "
                'curl -sS -f -o /dev/null "%s" -H "Authorization: Bearer $OPENAI_API_KEY" && echo PROXIED-OK'
                % (gw, self.s.up_port, gw, other.getsockname()[1],
                   self.s.url("api.openai.com", "/v1/isolation")))
        finally:
            other.close()
        self.assertIn("DIRECT-FAILED", r.stdout, r.stderr)
        self.assertIn("GW-FAILED", r.stdout, r.stderr)
        self.assertIn("PROXIED-OK", r.stdout, r.stderr)


class EgressDeny(unittest.TestCase):
    def test_denied_address_refused(self):
        with egress_stack.started(19320, isolation="bridge", deny=["127.0.0.0/8"]) as s:
            r = s.run("--rm", IMAGE, "sh", "-c", 'curl -sS -o /dev/null -w "%%{http_code}" "%s" '
                      '-H "Authorization: Bearer $OPENAI_API_KEY"' % s.url("api.openai.com", "/v1/x"))
            self.assertNotIn("200", r.stdout)
            self.assertEqual(len(s.upstream.recorder.requests), 0)


class EgressDaemonDown(unittest.TestCase):
    def test_stopped_daemon_refuses_then_enforce_off_warns(self):
        with egress_stack.started(19330, isolation="bridge") as s:
            s.stop()
            before = containers()
            r = s.run("--rm", IMAGE, "true")
            self.assertEqual(r.returncode, 125, r.stderr)
            self.assertEqual(containers(), before)
            with open(os.path.join(s.home, "config.yaml"), "a") as f:
                f.write("  enforce: false\n")
            r = s.run("--rm", IMAGE, "sh", "-c", "echo launched")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("launched", r.stdout)
            self.assertIn("warning", r.stderr.lower())

    def test_daemon_death_while_attached_warns_once(self):
        with egress_stack.started(19335, isolation="bridge") as s:
            p = subprocess.Popen([harness.SANDBOX_RUN, "--rm", IMAGE, "sh", "-c", "sleep 6; echo survived"],
                                 env=s.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 stdin=subprocess.DEVNULL, text=True)
            time.sleep(2)
            s.stop()
            out, err = p.communicate(timeout=60)
            self.assertEqual(p.returncode, 0, err)
            self.assertIn("survived", out)  # the user's container is not killed
            self.assertEqual(err.count("egress daemon stopped"), 1, err)

    def test_exec_refused_when_daemon_dead_or_setup_changed(self):
        name = "sr-exec-egress-%d" % os.getpid()
        stale = name + "-stale"
        with egress_stack.started(19337, isolation="bridge") as s:
            try:
                r = s.run("-d", "--name", name, IMAGE, "sleep", "300")
                self.assertEqual(r.returncode, 0, r.stderr)
                r = s.run("exec", name, "sh", "-c", "echo $SANDBOX_EGRESS")
                self.assertEqual((r.stdout, r.returncode), ("1\n", 0), r.stderr)
                # A sandbox whose fingerprint label is not what the current setup gives.
                harness.run(["docker", "run", "-d", "--name", stale, "--label", "io.sandbox-run.managed=1",
                             "--label", "io.sandbox-run.egress.fingerprint=0000", IMAGE, "sleep", "300"])
                r = s.run("exec", stale, "true")
                self.assertEqual(r.returncode, 125, r.stderr)
                self.assertIn("the egress setup changed", r.stderr)
                self.assertIn("sandbox-run rm -f " + stale, r.stderr)
                # rotate-ca writes a new ca.crt: the running sandbox still trusts the old one.
                time.sleep(1.1)
                r = s.egress("rotate-ca")
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                r = s.run("exec", name, "true")
                self.assertEqual(r.returncode, 125, r.stderr)
                self.assertIn("the egress CA was rotated", r.stderr)
                s.stop()
                r = s.run("exec", name, "true")
                self.assertEqual(r.returncode, 125, r.stderr)
                self.assertIn("egress daemon is not running", r.stderr)
                self.assertIn("sandbox-egress start", r.stderr)
            finally:
                harness.run(["docker", "rm", "-f", name, stale])


if __name__ == "__main__":
    harness.require_docker()
    harness.main()
