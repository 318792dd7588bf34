#!/usr/bin/env python3
"""ccheck: the project's style check (docs/style.md §1, §2, §4, §8).

- include layering: core <- gate <- protocols <- media <- bot <- main,
  includes of project headers written from the repository root;
- every .c/.h opens with the SPDX line;
- no source file past 800 lines;
- no raw allocation (malloc, calloc, realloc, strdup, strndup, asprintf,
  getline, scandir) in src/, protocols/ or media/ outside src/core/mem.c:
  they go through vp_malloc & co. (src/core/mem.h) so that the OOM test
  mode can fail each of them; no jansson load or dump either (vp_json_*,
  src/core/json.h);
- tools/ uses what lies below src/bot (tools/perf, which measures the
  bot, may use src/bot); nothing outside tests/ includes tests/;
- no include cycle between headers, and no two modules that call each
  other (a.c includes b.h while b.c includes a.h; <x>_priv.h headers,
  a folder's own glue, are left out).
Prints one line per problem and exits 1 if there is any.
"""
import os
import re
import sys

LAYERS = ["src/core", "src/gate", "protocols", "media", "src/bot", "src/main"]
TOP = ("src/", "protocols/", "media/", "tools/", "tests/")
INC = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
RAW_ALLOC = re.compile(
    r"(?<![\w.>])(malloc|calloc|realloc|reallocarray|strdup|strndup|asprintf|"
    r"vasprintf|getline|getdelim|scandir|open_memstream)\s*\(")
RAW_DUMPS = re.compile(r"(?<![\w.>])json_(dumps|loads|loadb|loadf|loadfd|load_file)\s*\(")
ALLOC_DIRS = ("src/", "protocols/", "media/")
ALLOC_OWNER = "src/core/mem.c"


def layer_of(path):
    if path.startswith("src/main"):
        return len(LAYERS) - 1
    for i, prefix in enumerate(LAYERS):
        if path.startswith(prefix + "/"):
            return i
    return None


def includes(full):
    with open(full, encoding="utf-8", errors="replace") as f:
        return [m.group(1) for m in map(INC.match, f) if m]


def check_cycles(root, files):
    """Header cycles and pairs of modules that include each other."""
    out = []
    graph = {rel: [i for i in includes(os.path.join(root, rel)) if i in files]
             for rel in files}
    state = {}

    def visit(h, path):
        state[h] = 1
        for inc in graph[h]:
            if not inc.endswith(".h"):
                continue
            if state.get(inc) == 1:
                cyc = path[path.index(inc):] + [inc]
                out.append(f"{h}: include cycle {' -> '.join(cyc)}")
            elif inc not in state:
                visit(inc, path + [inc])
        state[h] = 2

    for h in sorted(f for f in files if f.endswith(".h")):
        if h not in state:
            visit(h, [h])
    uses = {}
    for rel, incs in graph.items():
        if rel.endswith(".c"):
            for inc in incs:
                if not inc.endswith("_priv.h"):
                    uses.setdefault(rel[:-2], set()).add(inc[:-2])
    for a in sorted(uses):
        for b in sorted(uses[a]):
            if a < b and a in uses.get(b, ()):
                out.append(f"{a}.c and {b}.c include each other's header: "
                           "move what both need into a lower module")
    return out


def check(root):
    problems = []
    seen = set()
    for base in ("src", "protocols", "media", "tools", "tests"):
        for dirpath, _, files in os.walk(os.path.join(root, base)):
            for name in files:
                if not name.endswith((".c", ".h")):
                    continue
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, root)
                seen.add(rel)
                problems += check_file(root, rel, full)
    return problems + check_cycles(root, seen)


def check_file(root, rel, full):
    out = []
    with open(full, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    if not lines[0].startswith("/* SPDX-License-Identifier:"):
        out.append(f"{rel}:1: missing SPDX line")
    if len(lines) > 800:
        out.append(f"{rel}: {len(lines)} lines (limit 800): split along a seam")
    mine = layer_of(rel)
    if rel.startswith(ALLOC_DIRS) and rel != ALLOC_OWNER:
        out += check_alloc(rel, lines)
    for n, line in enumerate(lines, 1):
        m = INC.match(line)
        if not m:
            continue
        inc = m.group(1)
        if not inc.startswith(TOP):
            if os.path.exists(os.path.join(root, inc)):
                continue
            out.append(f'{rel}:{n}: include "{inc}" not written from the repository root')
            continue
        theirs = layer_of(inc)
        if mine is not None and theirs is not None and theirs > mine:
            out.append(f"{rel}:{n}: {LAYERS[mine]} may not include {inc} (higher layer)")
        if mine is not None and inc.startswith(("tools/", "tests/")):
            out.append(f"{rel}:{n}: library code may not include {inc}")
        if rel.startswith("tools/") and inc.startswith("tests/"):
            out.append(f"{rel}:{n}: tools may not include {inc}")
        if (rel.startswith("tools/") and not rel.startswith("tools/perf/")
                and theirs is not None and theirs >= LAYERS.index("src/bot")):
            out.append(f"{rel}:{n}: tools use what lies below src/bot, "
                       f"not {inc}")
    return out


def check_alloc(rel, lines):
    out = []
    for n, line in enumerate(lines, 1):
        code = line.split("//")[0]
        if code.lstrip().startswith(("*", "/*")):
            continue
        if RAW_DUMPS.search(code) and rel != "src/core/json.h":
            out.append(f"{rel}:{n}: raw jansson load/dump: use vp_json_* "
                       "(src/core/json.h): never a wrong document, no abort")
        m = RAW_ALLOC.search(code)
        if m:
            out.append(f"{rel}:{n}: raw {m.group(1)}(): use vp_{m.group(1)} "
                       "(src/core/mem.h) so the OOM walk reaches it")
    return out


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.getcwd()
    problems = check(root)
    for p in problems:
        print(p)
    print(f"ccheck: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
