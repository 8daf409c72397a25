#!/usr/bin/env python3
"""docs/design.md opens with a map of the source tree: every .c and .cpp of src/ and tools/ (and
every header without a .c beside it, and each folder) must appear in it, and every
path it names must exist. A file added, moved or removed without the map fails here."""
import os
import re
import sys

root = sys.argv[1]
with open(os.path.join(root, "docs", "design.md")) as design:
    text = design.read()
named = set(re.findall(r"`((?:src|tools)/[\w./]+)`", text))
# "| `tools/report/top.c`, `list.c` |" names siblings by their base name in a row's first
# cell.
for line in text.splitlines():
    line = line.split("|")[1] if line.startswith("|") else ""
    paths = re.findall(r"`((?:src|tools)/(?:\w+/)*)[\w.]+`", line)
    if paths:
        for sibling in re.findall(r"`([\w.]+\.[ch])`", line):
            named.add(paths[0] + sibling)

wanted = []
for top in ("src", "tools"):
    for folder, _, files in os.walk(os.path.join(root, top)):
        relative = os.path.relpath(folder, root)
        for name in sorted(files):
            path = f"{relative}/{name}"
            stem, suffix = os.path.splitext(name)
            if suffix in (".c", ".cpp", ".proto"):
                wanted.append(path)
            elif suffix == ".h" and stem + ".c" not in files and stem + ".cpp" not in files:
                wanted.append(path)

missing = [path for path in wanted if path not in named]
stale = sorted(path for path in named if not path.endswith("/") and not os.path.exists(os.path.join(root, path)))
for path in missing:
    print(f"docs/design.md's map does not name {path}")
for path in stale:
    print(f"docs/design.md names {path}, which does not exist")
print(f"{len(wanted)} files, {len(missing)} missing from the map, {len(stale)} stale")
sys.exit(1 if missing or stale or not wanted else 0)
