"""Where profiles go: %p and %e, compression by suffix or HEAPPROF_COMPRESS, and the
file rules: written atomically, never through a symlink, never over a file heapprof
did not write; an unwritable destination costs one line and nothing else."""
import gzip
import shutil
from harness import *

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
GZIP_MAGIC = b"\x1f\x8b"


def profile_run(directory, out, **extra):
    env = {"HEAPPROF_OUT": out, "HEAPPROF_RATE": "4096", **extra}
    return same_behaviour([program("known_sites")], cwd=directory, env=env)


def profile_run_read_only(directory, read_only, out):
    """profile_run for root, who writes into a directory whatever its mode: the program
    runs in a private mount namespace where read_only is a read-only bind mount of
    itself. Only the program gets the preload, not unshare, sh and mount."""
    script = ('mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && '
              'LD_PRELOAD="$READ_ONLY_PRELOAD" exec "$@"')
    argv = ["unshare", "--mount", "sh", "-c", script, read_only, program("known_sites")]
    env = {"HEAPPROF_OUT": out, "HEAPPROF_RATE": "4096"}
    plain = run(argv, preload=False, cwd=directory, env=dict(env, READ_ONLY_PRELOAD=""))
    profiled = run(argv, preload=False, cwd=directory, env=dict(env, READ_ONLY_PRELOAD=LIB))
    check(plain.returncode == profiled.returncode == 0 and plain.stdout == profiled.stdout,
          f"read-only directory: exit {profiled.returncode}, {plain.returncode} without heapprof\n"
          f"{profiled.stdout}{profiled.stderr}")
    return profiled


def head(path, count):
    with open(path, "rb") as file:
        return file.read(count)


# No HEAPPROF_* variable at all: the documented defaults, heapprof.%e.%p.pb.gz in the
# working directory at a rate of 512 KiB, with the peak profile beside it.
with scratch_dir() as directory:
    unset = {name: None for name in os.environ if name.startswith("HEAPPROF_")}
    same_behaviour([program("known_sites")], cwd=directory, env=unset)
    written = sorted(os.listdir(directory))
    check(len(written) == 2 and re.fullmatch(r"heapprof\.known_sites\.(\d+)\.pb\.gz", written[0])
          and written[1] == written[0].replace(".pb.gz", ".peak.pb.gz"),
          f"without HEAPPROF_OUT: {written}")
    profile = os.path.join(directory, written[0])
    check(head(profile, 2) == GZIP_MAGIC, "gzip expected for the default name")
    check(re.search(r"^Period: 524288$", pprof(profile, "-raw"), re.MULTILINE), "the default rate is not 524288")
    # At 512 KiB, site_small's 480 KB go unsampled in about four runs of ten (e^-0.92); site_huge's
    # 48 MiB never do.
    check_readable(profile, "site_huge")

with scratch_dir() as directory:
    result = profile_run(directory, "heap.%e.%p.pb.gz")
    written = profiles_in(directory)
    check(len(written) == 1 and re.search(r"/heap\.known_sites\.\d+\.pb\.gz$", written[0]), f"{written}")
    check(head(written[0], 2) == GZIP_MAGIC, "gzip expected for .pb.gz")
    check_readable(written[0], "site_small")

    profile_run(directory, "raw.pb")
    check(head(os.path.join(directory, "raw.pb"), 2) != GZIP_MAGIC, ".pb must be uncompressed")
    check_readable(os.path.join(directory, "raw.pb"), "site_small")

    for out, extra in (("z.pb.zst", {}), ("forced.pb.gz", {"HEAPPROF_COMPRESS": "zstd"})):
        profile_run(directory, out, **extra)
        path = os.path.join(directory, out)
        check(head(path, 4) == ZSTD_MAGIC, f"{out}: zstd expected")
        decompressed = os.path.join(directory, "from-zstd.pb")
        subprocess.run(["zstd", "-q", "-d", "-f", path, "-o", decompressed], check=True)
        check_readable(decompressed, "site_small")
        os.unlink(decompressed)

    profile_run(directory, "none.pb.gz", HEAPPROF_COMPRESS="none")
    check(head(os.path.join(directory, "none.pb.gz"), 2) != GZIP_MAGIC, "HEAPPROF_COMPRESS=none ignored")

    precious = os.path.join(directory, "precious.pb.gz")
    with open(precious, "w") as file:
        file.write("not a profile")
    result = profile_run(directory, "precious.pb.gz")
    check(open(precious).read() == "not a profile", "an existing file was overwritten")
    check(len(heapprof_lines(result.stderr)) == 1, f"expected one line: {result.stderr}")

    target = os.path.join(directory, "target")
    with open(target, "w") as file:
        file.write("target")
    os.symlink(target, os.path.join(directory, "link.pb.gz"))
    result = profile_run(directory, "link.pb.gz")
    check(open(target).read() == "target" and os.path.islink(os.path.join(directory, "link.pb.gz")),
          "wrote through a symlink")
    check(len(heapprof_lines(result.stderr)) == 1, f"expected one line: {result.stderr}")

    read_only = os.path.join(directory, "read-only")
    os.mkdir(read_only, 0o555)
    for unwritable in ["/nonexistent-dir/heap.pb.gz", "/proc/heap.pb.gz", directory + "/target/heap.pb.gz",
                       read_only + "/heap.pb.gz"]:
        if unwritable.startswith(read_only) and os.geteuid() == 0:
            result = profile_run_read_only(directory, read_only, unwritable)
        else:
            result = profile_run(directory, unwritable)
        lines = heapprof_lines(result.stderr)
        check(len(lines) == 1 and unwritable in lines[0], f"{unwritable}: {lines}")
    check(not os.listdir(read_only), f"written into the read-only directory: {os.listdir(read_only)}")

    leftovers = [name for name in os.listdir(directory) if ".tmp." in name]
    check(not leftovers, f"temporary files left behind: {leftovers}")
print("output_files: ok")
