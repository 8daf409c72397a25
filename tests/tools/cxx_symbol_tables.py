#!/usr/bin/env python3
"""Every function symbol of Debian's libstdc++ and of LLVM 14 named as go tool pprof
names it (issue #18). For each library, a profile with one sample per symbol, its
function named by the symbol as a linker names it: `heapprof top` must print what `go
tool pprof -top` prints, byte for byte, and the library's demangler (DRIVER, the
symbolizer's cxx_names.c over standard input) must give each symbol the name `go tool
pprof -raw` gives it.

    cxx_symbol_tables.py HEAPPROF DRIVER

The symbols are the text symbols (T, t, W, w, i) of the dynamic and static symbol
tables (nm --defined-only), without their version. Exit 77 (skipped) when Go is not
installed."""

import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
from compare_pprof import go_env  # noqa: E402
from pprof_writer import Profile  # noqa: E402

# libLLVM-14 comes with clang-format-14, which the format test needs.
LIBRARIES = ["libstdc++.so.6", "libLLVM-14.so.1"]
TOP_FLAGS = ["-nodecount=1000000", "-nodefraction=0"]
TEXT_SYMBOL_TYPES = "TtWwi"


def function_symbols(path):
    symbols = set()
    for table in (["--defined-only"], ["--defined-only", "--dynamic"]):
        listing = subprocess.run(["nm"] + table + [path], capture_output=True, text=True).stdout
        for line in listing.splitlines():
            fields = line.split()
            if len(fields) == 3 and fields[1] in TEXT_SYMBOL_TYPES:
                symbols.add(fields[2].split("@")[0])
    return sorted(symbols)


def write_profile(path, symbols):
    """Function, location and sample i + 1 for symbols[i], valued i + 1."""
    p = Profile()
    p.sample_type("inuse_space", "bytes")
    for i, symbol in enumerate(symbols, 1):
        p.function(i, symbol)
        p.location(i, 0, 0, [(i, 0)])
        p.sample([i], [i])
    p.write(path)


def pprof_names(raw, symbols):
    """Each symbol's name from -raw's locations: "ID: 0x0 M=1 NAME :0 s=0(SYSTEM NAME)",
    without the parenthesis where the two are the same."""
    names = {}
    locations = raw.split("\nLocations\n", 1)[1].split("\nMappings\n", 1)[0]
    for line in locations.splitlines():
        match = re.match(r"\s*(\d+): 0x0 M=1 (.*)$", line)
        symbol = symbols[int(match.group(1)) - 1]
        rest = match.group(2).removesuffix(f"({symbol})")
        names[symbol] = rest.removesuffix(" :0 s=0")
    return names


def check_library(heapprof, driver, path, tmp, env):
    label = os.path.basename(path)
    symbols = function_symbols(path)
    profile = os.path.join(tmp, label + ".pb.gz")
    write_profile(profile, symbols)
    ok = True

    def run(args):
        return subprocess.run(args, capture_output=True, env=env)

    want, got = run(["go", "tool", "pprof", "-top"] + TOP_FLAGS + [profile]), run([heapprof, "top"] + TOP_FLAGS + [profile])
    for stream in ("stdout", "stderr"):
        wanted, printed = getattr(want, stream).decode(), getattr(got, stream).decode()
        if want.returncode or wanted != printed:
            diff = "".join(difflib.unified_diff(wanted.splitlines(True), printed.splitlines(True),
                                                "go tool pprof", "heapprof"))
            print(f"FAIL {label}: heapprof top's {stream} differs from go tool pprof -top's (exit "
                  f"{got.returncode}, pprof {want.returncode})\n{diff[:3000]}")
            ok = False

    raw = run(["go", "tool", "pprof", "-raw", profile])
    names = pprof_names(raw.stdout.decode(), symbols)
    library = subprocess.run([driver], input="\n".join(symbols) + "\n", capture_output=True, text=True)
    library_names = library.stdout.splitlines()
    if library.returncode or len(library_names) != len(symbols):
        print(f"FAIL {label}: {driver} exited {library.returncode} with {len(library_names)} names for "
              f"{len(symbols)} symbols\n{library.stderr[:500]}")
        return False
    differ = [(symbol, names[symbol], name) for symbol, name in zip(symbols, library_names) if names[symbol] != name]
    for symbol, pprof_name, name in differ[:20]:
        print(f"FAIL {label}: {symbol}\n     go tool pprof: {pprof_name}\n     library:       {name}")
    ok &= not differ
    print(f"{'ok' if ok else 'FAIL':4} {label}: {len(symbols):,} function symbols, {len(differ)} named otherwise "
          f"by the library", flush=True)
    return ok


def main():
    heapprof, driver = (os.path.abspath(path) for path in sys.argv[1:3])
    if not shutil.which("go"):
        print("go is not installed: nothing to compare with")
        return 77
    multiarch = subprocess.run(["gcc", "-print-multiarch"], capture_output=True, text=True).stdout.strip()
    ok = True
    with tempfile.TemporaryDirectory(prefix="heapprof-symbols-") as tmp:
        env = go_env(tmp)
        for name in LIBRARIES:
            path = os.path.join("/usr/lib", multiarch, name)
            if not os.path.exists(path):
                print(f"FAIL {path} is missing (scripts/deps.sh installs it)")
                ok = False
                continue
            ok &= check_library(heapprof, driver, path, tmp, env)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
