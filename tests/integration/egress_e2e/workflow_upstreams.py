"""Local stand-ins for the upstreams of everyday package workflows, all on one
HTTPS server that routes by the Host header (the engine resolves every test
name to it with --resolve):

- a PEP 503 simple index (pypi.org) whose one project links to a wheel on
  files.pythonhosted.org, both generated here;
- an npm registry (a test name of a user-defined preset) serving one package
  document and its tarball, only to a request with the expected bearer token;
- a git smart-HTTP server (github.com): the real `git http-backend` over a bare
  repository made here, behind HTTP Basic with the expected password, which
  answers 401 with `WWW-Authenticate: Basic` first as GitHub does for a
  private repository.

Every request is recorded with its raw bytes (head and body as received), so a
test can assert what the engine wrote upstream. Any other Host gets 404.
"""
import base64
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "proxy"))
import fixtures  # noqa: E402

PYPI, FILES = "pypi.org", "files.pythonhosted.org"
GITHUB = "github.com"
NPM_REGISTRY = "registry.npm.test.internal"
# On the stand-in's certificate and resolved to it, but in no preset: a
# request there succeeds only if the engine lets it through.
OFF_PRESET = "mirror.test.internal"
NAMES = [PYPI, FILES, GITHUB, NPM_REGISTRY, OFF_PRESET]

WHEEL_PROJECT, WHEEL_VERSION = "srtestpkg", "1.0"
NPM_PACKAGE, NPM_VERSION = "sr-test-pkg", "1.0.0"
GIT_REPO = "sr-owner/sr-repo.git"
GIT_USER = "x-access-token"


def make_wheel():
    """(file name, bytes) of a pure-Python wheel that pip accepts."""
    dist = "%s-%s.dist-info" % (WHEEL_PROJECT, WHEEL_VERSION)
    files = {
        WHEEL_PROJECT + "/__init__.py": b"VALUE = 20\n",
        dist + "/METADATA": ("Metadata-Version: 2.1\nName: %s\nVersion: %s\n"
                             % (WHEEL_PROJECT, WHEEL_VERSION)).encode(),
        dist + "/WHEEL": b"Wheel-Version: 1.0\nGenerator: sandbox-run-test\n"
                         b"Root-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = ""
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record += "%s,sha256=%s,%d\n" % (name, digest, len(data))
    files[dist + "/RECORD"] = (record + dist + "/RECORD,,\n").encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return "%s-%s-py3-none-any.whl" % (WHEEL_PROJECT, WHEEL_VERSION), buf.getvalue()


def make_npm_tarball():
    """The bytes of an npm package tarball (package/package.json, index.js)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in {"package/package.json": json.dumps(
                               {"name": NPM_PACKAGE, "version": NPM_VERSION, "main": "index.js"}).encode(),
                           "package/index.js": b"module.exports = 20;\n"}.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def make_git_repo(root):
    """A bare repository at root/GIT_REPO with one commit on main; its sha."""
    work = os.path.join(root, "git-work")
    ident = ["-c", "user.name=sandbox-run test", "-c", "user.email=test@sandbox-run.invalid"]
    subprocess.run(["git", "init", "-q", "-b", "main", work], check=True)
    subprocess.run(["git", *ident, "-C", work, "commit", "-q", "--allow-empty", "-m", "issue 20"], check=True)
    subprocess.run(["git", "clone", "-q", "--bare", work, os.path.join(root, "git", GIT_REPO)], check=True)
    return subprocess.run(["git", "-C", work, "rev-parse", "HEAD"], check=True, capture_output=True,
                          text=True).stdout.strip()


def dechunk(body):
    out = b""
    while True:
        line, _, body = body.partition(b"\r\n")
        size = int(line.split(b";")[0], 16)
        if size == 0:
            return out
        out, body = out + body[:size], body[size + 2:]


class Content:
    """What the stand-ins serve and the credentials they expect."""

    def __init__(self, root, npm_token, github_token):
        self.npm_token, self.github_token = npm_token, github_token
        self.wheel_name, self.wheel = make_wheel()
        self.wheel_sha256 = hashlib.sha256(self.wheel).hexdigest()
        self.tarball = make_npm_tarball()
        self.git_root = os.path.join(root, "git")
        self.git_head = make_git_repo(root)


def response(status, body=b"", headers=()):
    reason = {200: "OK", 401: "Unauthorized", 404: "Not Found"}.get(status, "Status")
    head = "HTTP/1.1 %d %s\r\nContent-Length: %d\r\n" % (status, reason, len(body))
    head += "".join("%s: %s\r\n" % kv for kv in headers)
    return head.encode() + b"\r\n" + body


class Handler(fixtures.RawHandler):
    """Serves `server.content` (a Content, set once the server runs) on
    keep-alive connections; records {"raw", "host", "method", "path",
    "headers"} per request in server.recorder."""

    def respond(self, raw):
        head, _, body = raw.partition(b"\r\n\r\n")
        method, target, headers = fixtures.parse_head(head)
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = dechunk(body)
        host = headers.get("host", "").split(":")[0]
        self.server.recorder.add({"raw": raw, "host": host, "method": method, "path": target,
                                  "headers": headers})
        route = {PYPI: self.pypi, FILES: self.files, NPM_REGISTRY: self.npm, GITHUB: self.git}.get(host)
        return route(method, target, headers, body) if route else response(404)

    def pypi(self, method, target, headers, body):
        c = self.server.content
        if target.split("?")[0].rstrip("/") != "/simple/" + WHEEL_PROJECT:
            return response(404)
        link = "https://%s/packages/%s#sha256=%s" % (FILES, c.wheel_name, c.wheel_sha256)
        page = '<!DOCTYPE html><html><body><a href="%s">%s</a></body></html>' % (link, c.wheel_name)
        return response(200, page.encode(), [("Content-Type", "text/html")])

    def files(self, method, target, headers, body):
        c = self.server.content
        if target != "/packages/" + c.wheel_name:
            return response(404)
        return response(200, c.wheel, [("Content-Type", "application/octet-stream")])

    def npm(self, method, target, headers, body):
        c = self.server.content
        if headers.get("authorization") != "Bearer " + c.npm_token:
            return response(401, b'{"error":"unauthorized"}', [("Content-Type", "application/json")])
        tarball_path = "/%s/-/%s-%s.tgz" % (NPM_PACKAGE, NPM_PACKAGE, NPM_VERSION)
        if target == tarball_path:
            return response(200, c.tarball, [("Content-Type", "application/octet-stream")])
        if target != "/" + NPM_PACKAGE:
            return response(404, b'{"error":"not found"}', [("Content-Type", "application/json")])
        integrity = "sha512-" + base64.b64encode(hashlib.sha512(c.tarball).digest()).decode()
        doc = {"name": NPM_PACKAGE, "dist-tags": {"latest": NPM_VERSION},
               "versions": {NPM_VERSION: {
                   "name": NPM_PACKAGE, "version": NPM_VERSION,
                   "dist": {"tarball": "https://%s%s" % (NPM_REGISTRY, tarball_path), "integrity": integrity,
                            "shasum": hashlib.sha1(c.tarball).hexdigest()}}}}
        return response(200, json.dumps(doc).encode(), [("Content-Type", "application/json")])

    def git(self, method, target, headers, body):
        c = self.server.content
        want = "Basic " + base64.b64encode(("%s:%s" % (GIT_USER, c.github_token)).encode()).decode()
        if headers.get("authorization") != want:
            return response(401, b"authentication required",
                            [("WWW-Authenticate", 'Basic realm="GitHub"'), ("Content-Type", "text/plain")])
        path, _, query = target.partition("?")
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GIT_PROJECT_ROOT": c.git_root,
               "GIT_HTTP_EXPORT_ALL": "1", "REQUEST_METHOD": method, "PATH_INFO": path,
               "QUERY_STRING": query, "CONTENT_TYPE": headers.get("content-type", ""),
               "CONTENT_LENGTH": str(len(body)), "GIT_PROTOCOL": headers.get("git-protocol", ""),
               "HTTP_CONTENT_ENCODING": headers.get("content-encoding", ""), "REMOTE_USER": GIT_USER,
               "REMOTE_ADDR": "127.0.0.1"}
        out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True,
                             timeout=60).stdout
        cgi_head, _, cgi_body = out.partition(b"\r\n\r\n")
        status, fields = 200, []
        for line in cgi_head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                fields.append((name, value.strip()))
        return response(status, cgi_body, fields)

