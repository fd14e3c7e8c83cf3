#!/usr/bin/env python3
"""sandbox-run's own diagnostics are printed only by src/cli.

Runtime code reports failures, warnings and notes through
runtime::Diagnostics; cli::ErrorReport (src/cli/error_report.cpp) is the one
place that writes "sandbox-run: error: ..." (or its --error-format json form),
"sandbox-run: warning: ..." and "sandbox-run: note: ...". This test fails when
a string literal in a C++ file under src/ outside src/cli contains one of
those prefixes: such a line would bypass the JSON format and the seam a test
can record. Comments may name the prefixes; adjacent literals are joined, as
the compiler joins them.

usage: diagnostics_in_cli.py PATH-TO-src
"""
import os
import re
import sys

FORBIDDEN = ("sandbox-run: error", "sandbox-run: warning", "sandbox-run: note")
RAW_OPEN = re.compile(r'(?:u8|[uUL])?R"([^()\\\s]{0,16})\(')


def literals(text):
    """The string literals of C++ source `text` as (line, contents), with
    adjacent literals (only whitespace or comments between) joined."""
    out, i, n = [], 0, len(text)
    pending = None  # [line, contents] of the literal that may continue
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            i = text.find("\n", i)
            i = n if i < 0 else i
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif c == '"' or c in "uULR" and RAW_OPEN.match(text, i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            line = text.count("\n", 0, i) + 1
            raw = RAW_OPEN.match(text, i) if c != '"' else None
            if raw:
                close = ")" + raw.group(1) + '"'
                start = raw.end()
                end = text.find(close, start)
                end = n if end < 0 else end
                body, i = text[start:end], end + len(close)
            else:
                j = i + 1
                while j < n and text[j] != '"' and text[j] != "\n":
                    j += 2 if text[j] == "\\" else 1
                body, i = text[i + 1:j], j + 1
            if pending is None:
                pending = [line, body]
            else:
                pending[1] += body
        elif c == "'":
            j = i + 1
            while j < n and text[j] != "'" and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            i = j + 1
        elif c.isspace():
            i += 1
        else:
            if pending is not None:
                out.append(tuple(pending))
                pending = None
            i += 1
    if pending is not None:
        out.append(tuple(pending))
    return out


def main():
    src = os.path.abspath(sys.argv[1])
    if not os.path.isdir(os.path.join(src, "cli")):
        print("FAIL: %s is not the source tree (no cli/ in it)" % src)
        return 1
    bad, scanned = [], 0
    for root, dirs, files in os.walk(src):
        dirs.sort()
        if os.path.relpath(root, src).split(os.sep)[0] == "cli":
            continue
        for name in sorted(files):
            if not name.endswith((".cpp", ".hpp", ".h", ".cc")):
                continue
            path = os.path.join(root, name)
            scanned += 1
            with open(path, encoding="utf-8", errors="replace") as f:
                for line, body in literals(f.read()):
                    if any(p in body for p in FORBIDDEN):
                        bad.append("%s:%d: \"%s\"" % (os.path.relpath(path, src), line, body[:80]))
    print("scanned %d files under %s outside cli/" % (scanned, src))
    if bad:
        print("FAIL: sandbox-run's diagnostics printed outside src/cli; report them through "
              "runtime::Diagnostics (runtime/diagnostics.hpp) instead:")
        for b in bad:
            print("  src/" + b)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
