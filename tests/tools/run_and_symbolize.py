#!/usr/bin/env python3
"""heapprof run and heapprof symbolize, end to end with the preload library:

    run_and_symbolize.py HEAPPROF LIBHEAPPROF PROGRAM

PROGRAM is a small allocating program (the project's example). Skips (77)
while the library is not built."""

import gzip
import os
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


def check_run(heapprof, library, program, tmp):
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
    if shutil.which("cc"):
        source = os.path.join(tmp, "static.c")
        with open(source, "w") as out:
            out.write("int main(void) { return 0; }\n")
        static = os.path.join(tmp, "static")
        if subprocess.run(["cc", "-static", "-o", static, source], capture_output=True).returncode == 0:
            result = run([heapprof, "run", static])
            expect(result.returncode == 1 and "statically linked" in result.stderr,
                   "run: a static program is refused plainly")
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
    if shutil.which("go"):
        for args in (["-top"], ["-top", "-sample_index=alloc_space"], ["-list", "."]):
            expect(pprof(args + [original], penv) == pprof(args + [symbolized], penv),
                   f"symbolize: go tool pprof {' '.join(args)} shows what the library's own symbols show")
        ours = run([heapprof, "top", symbolized], env=penv).stdout.encode()
        expect(ours == pprof(["-top", symbolized], penv), "symbolize: heapprof top of the result matches pprof")

    # Every mapping stripped: all must come back with names (libraries may
    # get more detail than the library wrote, from their debug files).
    stripped_all = os.path.join(out, "stripped-all.pb.gz")
    subprocess.run([sys.executable, os.path.join(HERE, "strip_symbols.py"), original, stripped_all], check=True)
    symbolized_all = os.path.join(out, "symbolized-all.pb.gz")
    result = run([heapprof, "symbolize", stripped_all, "-o", symbolized_all])
    top = run([heapprof, "top", "-nodefraction=0", symbolized_all], env=penv).stdout
    expect(result.returncode == 0 and "main" in top and "[" not in top.split("flat%")[1],
           "symbolize: every stripped location gets a name again")

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
    return [line for line in text.split("\n")[:6] if line.startswith(("Type:", "Showing"))]


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
    expect(result.returncode == 0 and "main" in later and "[" not in later.split("flat%")[1],
           "HEAPPROF_SYMBOLIZE=0: heapprof symbolize names every location")
    # At rate 1 both runs count the same allocations: the totals agree.
    expect(len(top_header(later)) == 2 and top_header(later) == top_header(now),
           "HEAPPROF_SYMBOLIZE=0: the totals match a profile symbolized in the process")


def check_build_id_lookup(heapprof, tmp):
    """A mapping whose file is gone is found by build ID under
    /usr/lib/debug/.build-id; only where that directory exists and is
    writable (root), and the debug file is removed again."""
    debug_root = "/usr/lib/debug/.build-id"
    if not (shutil.which("cc") and shutil.which("objcopy") and shutil.which("nm")):
        return
    if not os.access(debug_root, os.W_OK):
        print(f"skip symbolize by build ID: {debug_root} is missing or not writable")
        return
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
    directory = os.path.join(debug_root, build_id[:2])
    debug_file = os.path.join(directory, build_id[2:] + ".debug")
    created = not os.path.exists(directory)
    os.makedirs(directory, exist_ok=True)
    try:
        subprocess.run(["objcopy", "--only-keep-debug", binary, debug_file], check=True)
        result = run([heapprof, "symbolize", unsymbolized, "-o", unsymbolized + ".out"])
        top = run([heapprof, "top", unsymbolized + ".out"]).stdout
        expect(result.returncode == 0 and top.rstrip().endswith(" leaf"),
               "symbolize: a binary that moved is found by build ID under /usr/lib/debug")
    finally:
        os.unlink(debug_file)
        if created:
            os.rmdir(directory)


def main():
    heapprof, library, program = (os.path.abspath(a) for a in sys.argv[1:4])
    if not os.path.exists(library):
        print(f"{library} is not built yet")
        return 77
    with tempfile.TemporaryDirectory(prefix="heapprof-run-") as tmp:
        check_run(heapprof, library, program, tmp)
        check_symbolize(heapprof, library, program, tmp)
        check_symbolize_later(heapprof, library, program, tmp)
        check_build_id_lookup(heapprof, tmp)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
