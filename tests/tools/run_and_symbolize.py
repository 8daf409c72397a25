#!/usr/bin/env python3
"""heapprof run and heapprof symbolize, end to end with the preload library:

    run_and_symbolize.py HEAPPROF LIBHEAPPROF PROGRAM

PROGRAM is a small allocating program (the project's example). `heapprof run`
runs from a copy of the build tree's layout (tools/heapprof beside
src/libheapprof.so) holding HEAPPROF and LIBHEAPPROF, so that it preloads
LIBHEAPPROF even when HEAPPROF comes from a sanitized build. Nothing here
depends on the debug files this machine has (scripts/fresh_machine.sh runs it
without them). Skips (77) while the library is not built, and when the
build-ID lookup cannot be checked: that needs root where
/usr/lib/debug/.build-id is missing or not writable."""

import gzip
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
from pprof_writer import Profile  # noqa: E402
import strip_symbols  # noqa: E402

MAPPING_FILENAME, MAPPING_BUILD_ID = 5, 6

failures = []


def expect(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)


def run(args, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, **kwargs)


def build_tree_layout(heapprof, library, tmp):
    """A copy of heapprof and the library in the build tree's layout."""
    tree = os.path.join(tmp, "tree")
    for directory, binary in (("tools", heapprof), ("src", library)):
        os.makedirs(os.path.join(tree, directory))
        shutil.copy(binary, os.path.join(tree, directory))
    return os.path.join(tree, "tools", os.path.basename(heapprof))


def check_run(heapprof, library, program, tmp):
    heapprof = build_tree_layout(heapprof, library, tmp)
    template = os.path.join(tmp, "run.%e.%p.pb.gz")
    result = run([heapprof, "run", "--rate", "1", "-o", template, "--", program])
    expect(result.returncode == 0, f"run {program}: exit status passes through (got {result.returncode})")
    plain = run([program])
    expect(result.stdout == plain.stdout, "run: the program's stdout passes through unchanged")
    written = [n for n in os.listdir(tmp) if n.startswith("run.")]
    expect(any(n.endswith(".pb.gz") for n in written), f"run: a profile is written ({written})")
    expect("profile" in result.stderr and "written:" in result.stderr, "run: the profiles are listed")
    expect("top of" in result.stderr and "flat%" in result.stderr, "run: the head of top is shown")

    result = run([heapprof, "run", "-o", template, "sh", "-c", "exit 7"])
    expect(result.returncode == 7, f"run: exit status 7 passes through (got {result.returncode})")
    result = run([heapprof, "run", "-o", template, "cat"], input="through stdin\n")
    expect(result.stdout == "through stdin\n", "run: stdin reaches the program")
    result = run([heapprof, "run", "-o", template, "sh", "-c", "kill -TERM $$"])
    expect(result.returncode == -signal.SIGTERM, f"run: death by SIGTERM passes through (got {result.returncode})")

    children = os.path.join(tmp, "children")
    os.makedirs(children)
    result = run([heapprof, "run", "--rate", "1", "-o", os.path.join(children, "c.%p.pb.gz"), "sh", "-c",
                  f"{program} >/dev/null; {program} >/dev/null"])
    listed = [line for line in result.stderr.splitlines() if line.startswith("  ") and children in line]
    expect(len(listed) >= 2, f"run: the children's profiles are listed ({len(listed)})")

    suid = os.path.join(tmp, "suid-true")
    shutil.copy("/bin/true", suid)
    os.chmod(suid, stat.S_IRWXU | stat.S_ISUID)
    result = run([heapprof, "run", suid])
    expect(result.returncode == 1 and "setuid" in result.stderr, "run: a setuid program is refused plainly")
    source = os.path.join(tmp, "static.c")
    with open(source, "w") as out:
        out.write("int main(void) { return 0; }\n")
    static = os.path.join(tmp, "static")
    linked = run(["cc", "-static", "-o", static, source])
    expect(linked.returncode == 0, f"run: cc -static links a test program ({linked.stderr.strip()[:200]})")
    result = run([heapprof, "run", static])
    expect(result.returncode == 1 and "statically linked" in result.stderr, "run: a static program is refused plainly")
    result = run([heapprof, "run", "no-such-command-here"])
    expect(result.returncode == 127, "run: a missing command exits 127")
    check_run_templates(heapprof, program, tmp)

    # Installed layout: bin/heapprof finds lib/<multiarch>/libheapprof.so.
    prefix = os.path.join(tmp, "prefix")
    os.makedirs(os.path.join(prefix, "bin"))
    os.makedirs(os.path.join(prefix, "lib", "x86_64-linux-gnu"))
    shutil.copy(heapprof, os.path.join(prefix, "bin", "heapprof"))
    shutil.copy(library, os.path.join(prefix, "lib", "x86_64-linux-gnu", "libheapprof.so"))
    installed_out = os.path.join(tmp, "installed")
    os.makedirs(installed_out)
    result = run([os.path.join(prefix, "bin", "heapprof"), "run", "true"],
                 env=dict(os.environ, HEAPPROF_OUT=os.path.join(installed_out, "t.%p.pb.gz")))
    expect(result.returncode == 0 and len(os.listdir(installed_out)) >= 1,
           "run: an installed heapprof finds its library, and honours HEAPPROF_OUT")


def check_run_templates(heapprof, program, tmp):
    """Each %p expands to the pid's digits (once, two bytes each overflowed a
    buffer), and a template the library refuses sends run where the library
    writes instead: its default name."""
    long_names = os.path.join(tmp, "long-names")
    os.makedirs(long_names)
    result = run([heapprof, "run", "-o", "%p" * 400, "--", "true"], cwd=long_names)
    expect(result.returncode == 0 and "no profile was written" in result.stderr,
           f"run -o with 400 %p: the program's status, and no profile (got {result.returncode})")
    refused = os.path.join(tmp, "refused-template")
    os.makedirs(refused)
    result = run([heapprof, "run", "-o", "p.%p.%x.pb", "--", program], cwd=refused)
    written = sorted(os.listdir(refused))
    expect(result.returncode == 0 and "is not a file name template" in result.stderr
           and any(n.startswith("heapprof.") for n in written) and "written:" in result.stderr
           and "top of " + os.path.join(refused, "heapprof.") in result.stderr,
           f"run -o p.%p.%x.pb: the profile the library writes under its default name is reported ({written})")


def pprof(args, env):
    return subprocess.run(["go", "tool", "pprof"] + args, capture_output=True, env=env).stdout


RAW_LINE = re.compile(r"^\s+(?:\d+: 0x([0-9a-f]+) M=\d+ ?)?(.*?)(?: \S*:\d+ s=\d+)?$")


def location_functions(profile):
    """{address: [function, ...]} of every location, innermost first, from go tool pprof -raw."""
    raw = subprocess.run(["go", "tool", "pprof", "-raw", profile], capture_output=True, text=True).stdout
    section = raw.split("\nLocations\n")[1].split("\nMappings\n")[0] if "\nLocations\n" in raw else ""
    functions, address = {}, None
    for line in section.splitlines():
        match = RAW_LINE.match(line)
        if match.group(1):
            address = int(match.group(1), 16)
            functions[address] = []
        if match.group(2):
            functions[address].append(match.group(2))
    return functions


def symbol_addresses(profile):
    """{name: {(file, address)}} of every defined symbol of the profile's mapped files
    and of their debug files under /usr/lib/debug: names that share an entry are one
    function's aliases (libc's _IO_file_overflow is _IO_new_file_overflow in DWARF)."""
    raw = subprocess.run(["go", "tool", "pprof", "-raw", profile], capture_output=True, text=True).stdout
    mapped = raw.split("\nMappings\n")[1] if "\nMappings\n" in raw else ""
    addresses = {}
    for path in set(re.findall(r"^\d+: 0x\S+ (/\S+)", mapped, re.M)):
        notes = subprocess.run(["readelf", "-n", path], capture_output=True, text=True).stdout
        build_id = re.search(r"Build ID: ([0-9a-f]+)", notes)
        files = [(["nm", "-D", "--defined-only"], path), (["nm", "--defined-only"], path)]
        if build_id:
            debug = f"/usr/lib/debug/.build-id/{build_id[1][:2]}/{build_id[1][2:]}.debug"
            files.append((["nm", "--defined-only"], debug))
        for command, file in files:
            if not os.path.exists(file):
                continue
            listing = subprocess.run(command + [file], capture_output=True, text=True).stdout
            for value, name in re.findall(r"^([0-9a-f]+) \S (\S+)$", listing, re.M):
                addresses.setdefault(name.split("@")[0], set()).add((path, int(value, 16)))
    return addresses


def top_functions(text):
    """The names of a top report's rows."""
    rows = text.split("flat%", 1)[1].splitlines()[1:] if "flat%" in text else []
    return {row.split(None, 5)[5] for row in rows if len(row.split(None, 5)) == 6}


def check_symbolize(heapprof, library, program, tmp):
    out = os.path.join(tmp, "sym")
    os.makedirs(out)
    env = dict(os.environ, LD_PRELOAD=library, HEAPPROF_RATE="1", HEAPPROF_OUT=os.path.join(out, "p.%p.pb.gz"))
    subprocess.run([program], env=env, stdout=subprocess.DEVNULL, check=True)
    original = os.path.join(out, sorted(n for n in os.listdir(out) if n.count(".") == 3)[0])
    penv = dict(os.environ, TZ="UTC")
    penv.pop("LD_PRELOAD", None)

    # The program's own mapping (id 1) is resolved by the same code the
    # library uses, so pprof must show exactly what it showed before.
    stripped = os.path.join(out, "stripped-main.pb.gz")
    subprocess.run([sys.executable, os.path.join(HERE, "strip_symbols.py"), original, stripped, "1"], check=True)
    symbolized = os.path.join(out, "symbolized-main.pb.gz")
    result = run([heapprof, "symbolize", stripped, "-o", symbolized])
    expect(result.returncode == 0, f"symbolize: succeeds ({result.stderr.strip()})")
    for args in (["-top"], ["-top", "-sample_index=alloc_space"], ["-list", "."]):
        expect(pprof(args + [original], penv) == pprof(args + [symbolized], penv),
               f"symbolize: go tool pprof {' '.join(args)} shows what the library's own symbols show")
    ours = run([heapprof, "top", symbolized], env=penv).stdout.encode()
    expect(ours == pprof(["-top", symbolized], penv), "symbolize: heapprof top of the result matches pprof")

    # Every mapping stripped: each location gets back the function the library
    # named it by, from the same files on this machine, with or without their
    # debug files (which may add inlined frames inside it); what the library
    # could not name, such as libc's internal functions without libc6-dbg,
    # stays unnamed.
    stripped_all = os.path.join(out, "stripped-all.pb.gz")
    subprocess.run([sys.executable, os.path.join(HERE, "strip_symbols.py"), original, stripped_all], check=True)
    symbolized_all = os.path.join(out, "symbolized-all.pb.gz")
    result = run([heapprof, "symbolize", stripped_all, "-o", symbolized_all])
    by_library, by_symbolize = location_functions(original), location_functions(symbolized_all)
    aliases = symbol_addresses(original)

    def same_function(library_names, symbolize_names):
        if library_names[-1:] == symbolize_names[-1:]:
            return True
        # With debug files the CLI names a function by DWARF, as addr2line and pprof do;
        # the library reads symbol tables only: an alias of the same address.
        return bool(library_names and symbolize_names and
                    aliases.get(library_names[-1], set()) & aliases.get(symbolize_names[-1], set()))
    differ = [f"{address:#x}: library {names}, symbolize {by_symbolize.get(address)}"
              for address, names in by_library.items() if not same_function(names, by_symbolize.get(address, []))]
    expect(result.returncode == 0 and by_library.keys() == by_symbolize.keys() and not differ
           and any(names[-1:] == ["main"] for names in by_library.values()),
           f"symbolize: every stripped location gets the function the library named it by {differ[:5]}")

    missing = Profile()
    missing.sample_type("inuse_space", "bytes")
    missing.mapping(1, 0x1000, 0x2000, 0, "/nonexistent/bin/gone", "0123456789abcdef")
    missing.location(1, 1, 0x1100)
    missing.sample([1], [10])
    gone = os.path.join(out, "gone.pb.gz")
    missing.write(gone)
    result = run([heapprof, "symbolize", gone, "-o", gone + ".out"])
    expect(result.returncode == 0 and "no binary for /nonexistent/bin/gone" in result.stderr,
           "symbolize: a missing binary is named and its locations kept")
    top = run([heapprof, "top", gone + ".out"]).stdout
    expect("[gone]" in top, "symbolize: unresolved locations still show as [binary]")


def top_header(text):
    """The Type and Showing lines of a top report: the sample type and the total."""
    return [line for line in text.split("\n") if line.startswith(("Type:", "Showing"))]


def check_symbolize_later(heapprof, library, program, tmp):
    """HEAPPROF_SYMBOLIZE=0 writes addresses, mappings and build IDs only, without
    loading libdw; heapprof symbolize names them afterwards."""
    out = os.path.join(tmp, "later")
    os.makedirs(out)
    env = dict(os.environ, LD_PRELOAD=library, HEAPPROF_RATE="1", HEAPPROF_PEAK="0")
    loaded = {}
    for name, symbolize in (("now", "1"), ("later", "0")):
        result = run([program], env=dict(env, HEAPPROF_SYMBOLIZE=symbolize, LD_DEBUG="files",
                                         HEAPPROF_OUT=os.path.join(out, name + ".pb.gz")))
        loaded[name] = "libdw" in result.stderr
    expect(loaded == {"now": True, "later": False}, f"HEAPPROF_SYMBOLIZE=0: libdw is never loaded ({loaded})")
    with open(os.path.join(out, "later.pb.gz"), "rb") as f:
        data = gzip.decompress(f.read())
    profile_fields = list(strip_symbols.fields(data))
    locations = [payload for number, _, _, payload in profile_fields if number == strip_symbols.PROFILE_LOCATION]
    mappings = [payload for number, _, _, payload in profile_fields if number == strip_symbols.PROFILE_MAPPING]
    expect(locations and not any(number == strip_symbols.PROFILE_FUNCTION for number, _, _, _ in profile_fields)
           and not any(number == strip_symbols.LOCATION_LINE
                       for location in locations for number, _, _, _ in strip_symbols.fields(location)),
           "HEAPPROF_SYMBOLIZE=0: locations with addresses, no functions, no lines")
    expect(mappings and all(strip_symbols.varint_field(m, MAPPING_FILENAME) and strip_symbols.varint_field(m, MAPPING_BUILD_ID)
                            for m in mappings),
           "HEAPPROF_SYMBOLIZE=0: every mapping names its file and build ID")
    named = os.path.join(out, "named.pb.gz")
    result = run([heapprof, "symbolize", os.path.join(out, "later.pb.gz"), "-o", named])
    penv = dict(os.environ, TZ="UTC")
    penv.pop("LD_PRELOAD", None)
    now = run([heapprof, "top", "-nodefraction=0", os.path.join(out, "now.pb.gz")], env=penv).stdout
    later = run([heapprof, "top", "-nodefraction=0", named], env=penv).stdout
    # Debug files, where this machine has them, may add inlined functions; the
    # library and heapprof symbolize leave the same objects' code unnamed.
    now_names, later_names = top_functions(now), top_functions(later)
    unnamed = {name for name in now_names if name.startswith("[")}
    # With debug files heapprof symbolize names by DWARF (printf is __printf there):
    # a name of the library's counts as named when an alias of it is.
    aliases = symbol_addresses(os.path.join(out, "now.pb.gz"))
    missing = {name for name in now_names - later_names
               if not any(aliases.get(name, set()) & aliases.get(other, set()) for other in later_names)}
    expect(result.returncode == 0 and "main" in later_names and not missing
           and unnamed == {name for name in later_names if name.startswith("[")},
           f"HEAPPROF_SYMBOLIZE=0: heapprof symbolize names what the library names "
           f"(missing {sorted(missing)}, unnamed {sorted(unnamed)})")
    # At rate 1 both runs count the same allocations: the totals agree.
    expect(len(top_header(later)) == 2 and top_header(later) == top_header(now),
           "HEAPPROF_SYMBOLIZE=0: the totals match a profile symbolized in the process")


def missing_directories(path):
    """The directories makedirs(path) would create, outermost first."""
    missing = []
    while not os.path.isdir(path):
        missing.insert(0, path)
        path = os.path.dirname(path)
    return missing


def check_build_id_lookup(heapprof, tmp):
    """A mapping whose file is gone is found by build ID under
    /usr/lib/debug/.build-id. The debug file is put there for the check and
    removed again, with every directory created for it (on a fresh machine,
    the whole tree). Returns False when that is not allowed (not root)."""
    source = os.path.join(tmp, "leaf.c")
    with open(source, "w") as out:
        out.write("int leaf(int x) { return x * 3; }\nint main(int c, char **v) { (void)v; return leaf(c); }\n")
    binary = os.path.join(tmp, "leaf")
    subprocess.run(["cc", "-g", "-O0", "-Wl,--build-id", "-o", binary, source], check=True)
    notes = run(["readelf", "-n", binary]).stdout
    build_id = next(line.split()[-1] for line in notes.splitlines() if "Build ID" in line)
    address = int(next(l.split()[0] for l in run(["nm", binary]).stdout.splitlines() if l.endswith(" leaf")), 16)
    base = 0x555555554000
    p = Profile()
    p.sample_type("inuse_space", "bytes")
    p.mapping(1, base, base + 0x5000, 0, "/nonexistent/moved/leaf", build_id)
    p.location(1, 1, base + address + 4)
    p.sample([1], [100])
    unsymbolized = os.path.join(tmp, "leaf.pb.gz")
    p.write(unsymbolized)
    directory = os.path.join("/usr/lib/debug/.build-id", build_id[:2])
    debug_file = os.path.join(directory, build_id[2:] + ".debug")
    created = missing_directories(directory)
    try:
        os.makedirs(directory, exist_ok=True)
        subprocess.run(["objcopy", "--only-keep-debug", binary, debug_file], check=True, capture_output=True)
        result = run([heapprof, "symbolize", unsymbolized, "-o", unsymbolized + ".out"])
        top = run([heapprof, "top", unsymbolized + ".out"]).stdout
        expect(result.returncode == 0 and top.rstrip().endswith(" leaf"),
               "symbolize: a binary that moved is found by build ID under /usr/lib/debug")
    except (PermissionError, subprocess.CalledProcessError) as error:
        if os.geteuid() == 0:
            raise
        print(f"skip symbolize by build ID: {error} (needs root)")
        return False
    finally:
        if os.path.exists(debug_file):
            os.unlink(debug_file)
        for created_directory in reversed(created):
            if os.path.isdir(created_directory):
                os.rmdir(created_directory)
    return True


def main():
    heapprof, library, program = (os.path.abspath(a) for a in sys.argv[1:4])
    if not os.path.exists(library):
        print(f"{library} is not built yet")
        return 77
    missing = [name for name in ("go", "cc", "readelf", "objcopy", "nm") if not shutil.which(name)]
    if missing:
        print(f"FAIL not installed: {' '.join(missing)} (scripts/test.sh installs golang-go, gcc, binutils)")
        return 1
    with tempfile.TemporaryDirectory(prefix="heapprof-run-") as tmp:
        check_run(heapprof, library, program, tmp)
        check_symbolize(heapprof, library, program, tmp)
        check_symbolize_later(heapprof, library, program, tmp)
        checked_build_id = check_build_id_lookup(heapprof, tmp)
    return 1 if failures else 0 if checked_build_id else 77


if __name__ == "__main__":
    sys.exit(main())
