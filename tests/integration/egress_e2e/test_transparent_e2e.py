"""Transparent interception end to end, with clients nobody here wrote: a
sandbox on the internal egress network (setup's network, firewall and
interception rules, the built-in engine started by `sandbox-egress start`),
the node-sdk image (curl, Python, Node with the official `openai` and
`@anthropic-ai/sdk` packages), and a local HTTPS stand-in for the providers
on port 443 of a loopback address of its own (the engine resolves the
provider names to it with --resolve).

Every client calls its provider by name on port 443, with the sandbox's token:
with the proxy variables set (clients that ignore them are intercepted), and
with all of them unset (interception alone). The stand-in must receive the real
keys; the sandbox never holds them.

The node24-sdk image adds Node 24 and the current OpenAI SDK major (7.x,
which needs Node >= 22): it calls its provider on both paths, and Node 24's
NODE_USE_ENV_PROXY (injected by sandbox-run) sends `fetch` and
`https.request` to the CONNECT listener, which the audit line tells apart:
only an intercepted connection records its original destination."""
import json
import os
import random
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import harness  # noqa: E402
import egress_stack  # noqa: E402
from egress_stack import KEYS  # noqa: E402

IMAGE = os.environ.get("SR_NODE_SDK_IMAGE", "sandbox-run-test/node-sdk:latest")
NODE24_IMAGE = os.environ.get("SR_NODE24_SDK_IMAGE", "sandbox-run-test/node24-sdk:latest")
OPENAI7_VERSION = "7.60.0"

UNSET_PROXY = ("unset HTTPS_PROXY https_proxy HTTP_PROXY http_proxy NODE_USE_ENV_PROXY "
               "GLOBAL_AGENT_HTTPS_PROXY GLOBAL_AGENT_HTTP_PROXY; ")

CLIENTS = r"""
curl -sS -m 20 -o /dev/null -w 'CURL %{http_code}\n' https://api.openai.com/v1/curl \
  -H "Authorization: Bearer $OPENAI_API_KEY"
python3 - <<'PY'
import os, urllib.request
req = urllib.request.Request("https://api.openai.com/v1/urllib",
                             headers={"Authorization": "Bearer " + os.environ["OPENAI_API_KEY"]})
print("URLLIB", urllib.request.urlopen(req, timeout=20).status)
PY
node -e '
fetch("https://api.anthropic.com/v1/fetch", {headers: {"x-api-key": process.env.ANTHROPIC_API_KEY}})
  .then(r => console.log("FETCH", r.status), e => console.log("FETCH failed", e.cause || e));'
node -e '
const OpenAI = require("openai");
new OpenAI({maxRetries: 0, timeout: 20000}).chat.completions
  .create({model: "gpt-test", messages: [{role: "user", content: "hi"}]})
  .then(r => console.log("OPENAI", r.method, r.path), e => console.log("OPENAI failed", e.cause || e));'
node -e '
const OpenAI = require("openai-v6");
new OpenAI({maxRetries: 0, timeout: 20000}).embeddings
  .create({model: "embed-test", input: "hi"})
  .then(r => console.log("OPENAI6", r.method, r.path), e => console.log("OPENAI6 failed", e.cause || e));'
node -e '
const Anthropic = require("@anthropic-ai/sdk");
new Anthropic({maxRetries: 0, timeout: 20000}).messages
  .create({model: "claude-test", max_tokens: 1, messages: [{role: "user", content: "hi"}]})
  .then(r => console.log("ANTHROPIC", r.method, r.path), e => console.log("ANTHROPIC failed", e.cause || e));'
"""

PLAIN_HOST = "plain.test"

# The current OpenAI SDK on Node 24; prints the token it was given, so the test
# can check it is not the real key.
OPENAI7 = r"""
node -e '
const OpenAI = require("openai");
console.log("NODE", process.version, "SDK", require("openai/version").VERSION, "ENVKEY", process.env.OPENAI_API_KEY);
new OpenAI({maxRetries: 0, timeout: 20000}).chat.completions
  .create({model: "gpt-test", messages: [{role: "user", content: "hi"}]})
  .then(r => console.log("OPENAI7", r.method, r.path), e => console.log("OPENAI7 failed", e.cause || e));'
"""

# Node 24's built-in fetch and https.request to the path in $P, and an
# http.get to the sandbox's own loopback (NO_PROXY: never sent to the proxy).
NODE24_BUILTINS = r"""
node -e '
const https = require("https"), http = require("http"), path = process.env.P;
const headers = {"x-api-key": process.env.ANTHROPIC_API_KEY};
fetch("https://api.anthropic.com" + path + "/fetch", {headers})
  .then(r => console.log("FETCH", r.status), e => console.log("FETCH failed", e.cause || e));
https.get("https://api.anthropic.com" + path + "/https", {headers}, r => { r.resume(); console.log("HTTPS", r.statusCode); })
  .on("error", e => console.log("HTTPS failed", e));
http.get("http://localhost:9/", r => console.log("LOOPBACK proxied", r.statusCode))
  .on("error", e => console.log("LOOPBACK", e.code));'
"""

EXPECTED = ["CURL 200", "URLLIB 200", "FETCH 200", "OPENAI POST /v1/chat/completions",
            "OPENAI6 POST /v1/embeddings", "ANTHROPIC POST /v1/messages"]


class TransparentE2E(egress_stack.StackCase):
    port = 19360

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if harness.inspect("image", IMAGE) is None:
            raise unittest.SkipTest(IMAGE + " missing: run scripts/build-images.sh node-sdk")
        host = egress_stack.fixtures.own_loopback()
        # Plain HTTP: a stand-in on port 80 of the same loopback address, for
        # an allowlisted name without credentials and for a provider's.
        cls.plain = egress_stack.fixtures.start_upstream(None, host=host, port=80)
        cls.addClassCleanup(cls.plain.shutdown)
        cls.start_stack(isolation="internal", upstream_port=443, upstream_host=host,
                        extra_config="  extra_allowed_hosts: [%s]\n" % PLAIN_HOST,
                        extra_resolve=[(PLAIN_HOST, 80), ("api.openai.com", 80)])
        net = harness.inspect("network", "sandbox-egress")
        cls.gateway = net["IPAM"]["Config"][0]["Gateway"]

    def sandbox(self, script, timeout=180):
        start = time.time()
        r = self.s.run("--rm", IMAGE, "sh", "-c", script, timeout=timeout)
        return r, time.time() - start

    def audit(self):
        lines = []
        for root, _, files in os.walk(self.s.home):
            if "audit.log" in files:
                with open(os.path.join(root, "audit.log")) as f:
                    lines += [json.loads(l) for l in f if l.strip()]
        return lines

    def audit_for(self, path, at_least=1):
        """The audit lines for `path`, waiting a little for the engine's
        batched writes."""
        deadline = time.time() + 10
        while True:
            lines = [l for l in self.audit() if l.get("path") == path]
            if len(lines) >= at_least or time.time() > deadline:
                return lines
            time.sleep(0.2)

    def node24(self, script):
        if harness.inspect("image", NODE24_IMAGE) is None:
            self.skipTest(NODE24_IMAGE + " missing: run scripts/build-images.sh node24-sdk")
        start = time.time()
        return self.s.run("--rm", NODE24_IMAGE, "sh", "-c", script, timeout=180), time.time() - start

    def check_clients(self, script):
        self.s.upstream.recorder.clear()
        r, _ = self.sandbox(script)
        for want in EXPECTED:
            self.assertIn(want, r.stdout, r.stdout + r.stderr)
        got = {rec["path"]: rec["headers"] for rec in self.s.upstream.recorder.requests}
        self.assertEqual(got["/v1/curl"]["authorization"], "Bearer " + KEYS["OPENAI_API_KEY"])
        self.assertEqual(got["/v1/urllib"]["authorization"], "Bearer " + KEYS["OPENAI_API_KEY"])
        self.assertEqual(got["/v1/chat/completions"]["authorization"], "Bearer " + KEYS["OPENAI_API_KEY"])
        self.assertEqual(got["/v1/embeddings"]["authorization"], "Bearer " + KEYS["OPENAI_API_KEY"])
        self.assertIn("OpenAI/JS 6.49.0", got["/v1/embeddings"].get("user-agent", ""))
        self.assertEqual(got["/v1/fetch"]["x-api-key"], KEYS["ANTHROPIC_API_KEY"])
        # The Anthropic SDK 1.x sends its key as a Bearer credential.
        anthropic = got["/v1/messages"]
        self.assertIn(KEYS["ANTHROPIC_API_KEY"],
                      (anthropic.get("x-api-key"), anthropic.get("authorization", "")[len("Bearer "):]),
                      anthropic)
        for key in KEYS.values():
            self.assertNotIn(key, r.stdout + r.stderr)

    def test_every_client_with_the_proxy_variables(self):
        self.check_clients(CLIENTS)

    def test_every_client_by_interception_alone(self):
        self.check_clients(UNSET_PROXY + CLIENTS)
        # The intercepted requests name what the sandbox dialled: the gateway.
        lines = [l for l in self.audit() if l.get("path") == "/v1/messages"]
        self.assertTrue(lines and lines[-1]["original_dst"] == self.gateway + ":443", lines[-1:])

    def check_openai7(self, script, path_taken):
        self.s.upstream.recorder.clear()
        before = len(self.audit_for("/v1/chat/completions"))
        r, _ = self.node24(script)
        out = r.stdout + r.stderr
        self.assertIn("NODE v24.", out)
        self.assertIn("SDK " + OPENAI7_VERSION, out)
        self.assertIn("OPENAI7 POST /v1/chat/completions", out)
        for key in KEYS.values():
            self.assertNotIn(key, out)
        env_key = out.split("ENVKEY ", 1)[1].split()[0]
        self.assertTrue(env_key and env_key != KEYS["OPENAI_API_KEY"], env_key)
        got = [rec for rec in self.s.upstream.recorder.requests if rec["path"] == "/v1/chat/completions"]
        self.assertEqual(len(got), 1, got)
        raw = got[0]["raw_head"].lower()
        self.assertIn("\r\nauthorization: bearer " + KEYS["OPENAI_API_KEY"].lower() + "\r\n", raw)
        self.assertIn("\r\nuser-agent: openai/js " + OPENAI7_VERSION + "\r\n", raw)
        self.assertNotIn(env_key.lower(), raw)
        lines = self.audit_for("/v1/chat/completions", before + 1)[before:]
        self.assertEqual(len(lines), 1, lines)
        self.assertEqual(lines[0].get("original_dst"), path_taken, lines[0])

    def test_openai7_on_node24_with_the_proxy_variables(self):
        # NODE_USE_ENV_PROXY=1: the SDK's fetch goes through the CONNECT
        # listener, which records no original destination.
        self.check_openai7(OPENAI7, None)

    def test_openai7_on_node24_by_interception_alone(self):
        self.check_openai7(UNSET_PROXY + OPENAI7, self.gateway + ":443")

    def check_builtins(self, script, tag, path_taken):
        self.s.upstream.recorder.clear()
        path = "/v1/node24-" + tag
        r, _ = self.node24("export P=%s; %s%s" % (path, script, NODE24_BUILTINS))
        out = r.stdout + r.stderr
        self.assertIn("FETCH 200", out)
        self.assertIn("HTTPS 200", out)
        self.assertIn("LOOPBACK ECONNREFUSED", out)  # NO_PROXY honoured
        got = {rec["path"]: rec for rec in self.s.upstream.recorder.requests}
        for client in ("fetch", "https"):
            self.assertIn("\r\nx-api-key: " + KEYS["ANTHROPIC_API_KEY"] + "\r\n",
                          got[path + "/" + client]["raw_head"].lower(), got)
            lines = self.audit_for(path + "/" + client)
            self.assertEqual(len(lines), 1, lines)
            self.assertEqual(lines[0].get("original_dst"), path_taken, (client, lines[0]))
        for key in KEYS.values():
            self.assertNotIn(key, out)

    def test_node24_env_proxy_sends_builtins_through_connect(self):
        self.check_builtins("", "env-proxy-%d" % random.randint(0, 1 << 30), None)

    def test_node24_without_env_proxy_is_intercepted(self):
        self.check_builtins("unset NODE_USE_ENV_PROXY;", "no-env-proxy-%d" % random.randint(0, 1 << 30),
                            self.gateway + ":443")

    def test_the_sandbox_never_holds_a_real_key(self):
        r, _ = self.sandbox("env; cat /proc/self/environ")
        self.assertEqual(r.returncode, 0, r.stderr)
        for key in KEYS.values():
            self.assertNotIn(key, r.stdout)
        self.assertIn("NODE_USE_ENV_PROXY=1", r.stdout)

    def test_names_off_the_allowlist_are_refused_quickly(self):
        r, took = self.sandbox(UNSET_PROXY +
            "curl -sS -m 20 https://not-allowed.test/ ; echo CURL-RC=$?; "
            "curl -sS -m 20 --resolve not-allowed.test:443:%s https://not-allowed.test/ ; echo SNI-RC=$?; "
            "node -e 'fetch(\"https://not-allowed.test/\").then(r => console.log(\"FETCH\", r.status),"
            " e => console.log(\"FETCH refused\", (e.cause || e).code))'" % self.gateway)
        self.assertIn("CURL-RC=6", r.stdout, r.stdout + r.stderr)  # could not resolve
        self.assertIn("SNI-RC=35", r.stdout, r.stdout + r.stderr)  # TLS alert
        self.assertIn("FETCH refused ENOTFOUND", r.stdout, r.stdout + r.stderr)
        self.assertLess(took, 30, "a refusal, not a timeout")
        self.assertTrue(any(l.get("host") == "not-allowed.test" and l["reason"] == "host not on the allowlist"
                            for l in self.audit()))

    def test_ip_literal_and_no_sni_refused_and_audited(self):
        r, _ = self.sandbox(UNSET_PROXY +
            "curl -sS -m 10 -k https://%s/ ; echo IP-RC=$?; "
            "python3 -c 'import socket, ssl; c = ssl.create_default_context(); c.check_hostname = False; "
            "c.wrap_socket(socket.create_connection((\"%s\", 443)))' 2>&1 | tail -1"
            % (self.gateway, self.gateway))
        self.assertIn("IP-RC=35", r.stdout, r.stdout + r.stderr)
        self.assertIn("UNRECOGNIZED_NAME", r.stdout.upper(), r.stdout)
        refused = [l for l in self.audit() if l["reason"] == "no SNI in the ClientHello"]
        self.assertGreaterEqual(len(refused), 2, refused)
        self.assertEqual(refused[-1]["original_dst"], self.gateway + ":443")

    def test_doctor_checks_the_interception(self):
        r = self.s.egress("doctor", "--json", "--no-network", "--check", "interception")
        check = json.loads(r.stdout)["checks"][0]
        self.assertEqual((check["name"], check["status"]), ("interception", "pass"), r.stdout + r.stderr)

    def test_plain_http_on_port_80_is_intercepted_without_cleartext_keys(self):
        self.plain.recorder.clear()
        r, took = self.sandbox(UNSET_PROXY +
            "curl -sS -m 20 -o /dev/null -w 'PLAIN %%{http_code}\\n' http://%s/v1/plain; "
            "curl -sS -m 20 -w '\\nTOKEN %%{http_code}\\n' http://api.openai.com/v1/cleartext "
            "-H \"Authorization: Bearer $OPENAI_API_KEY\"; "
            "curl -sS -m 20 --resolve not-allowed.test:80:%s -o /dev/null -w 'OFFLIST %%{http_code}\\n' "
            "http://not-allowed.test/v1/off" % (PLAIN_HOST, self.gateway))
        self.assertIn("PLAIN 200", r.stdout, r.stdout + r.stderr)
        self.assertIn("TOKEN 403", r.stdout, r.stdout + r.stderr)
        self.assertIn("over plain HTTP; use https", r.stdout)
        self.assertIn("OFFLIST 403", r.stdout, r.stdout + r.stderr)
        self.assertLess(took, 60)
        # The stand-in received the allowlisted request as sent, and nothing
        # of the one that carried a token in cleartext.
        got = self.plain.recorder.requests
        self.assertEqual([rec["path"] for rec in got], ["/v1/plain"], got)
        self.assertEqual(got[0]["headers"]["host"], PLAIN_HOST)
        self.assertNotIn("authorization", got[0]["headers"])
        for key in KEYS.values():
            self.assertNotIn(key, r.stdout + r.stderr)
        audit = self.audit()
        plain = [l for l in audit if l.get("path") == "/v1/plain"]
        self.assertTrue(plain and plain[-1]["original_dst"] == self.gateway + ":80", plain[-1:])
        self.assertTrue(any(l.get("host") == "not-allowed.test" and l["reason"] == "host not on the allowlist"
                            for l in audit), audit[-3:])

    def test_other_ports_get_nothing(self):
        r, took = self.sandbox(UNSET_PROXY +
            "curl -sS -m 5 telnet://%s:8443 </dev/null; echo GW-RC=$?; "
            "curl -sS -m 5 http://api.openai.com:8080/ ; echo PORT-RC=$?" % self.gateway)
        self.assertNotIn("GW-RC=0", r.stdout, r.stdout + r.stderr)
        self.assertNotIn("PORT-RC=0", r.stdout, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
