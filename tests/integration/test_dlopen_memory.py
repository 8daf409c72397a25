"""Memory stays bounded however many objects a program loads: each library loaded at
a new address makes heapprof take a new snapshot of the loaded objects when a sample
lands in it, and snapshots taken from an arena that never gave memory back made 600
loads cost 20 MiB more anonymous memory than without heapprof (quadratic in the
count). The program loads 600 copies of an allocating library; heapprof may add a
few MiB to what the loads themselves cost (about 1 MiB measured), not tens."""
import shutil
from harness import *

COUNT = 600
ALLOWED_KIB = 4096


def growth(result):
    match = re.search(r"^growth (-?\d+) KiB$", result.stdout, re.M)
    check(result.returncode == 0 and match, f"dlopen_many: {result.returncode} {result.stdout} {result.stderr}")
    return int(match.group(1))


with scratch_dir() as directory:
    for i in range(COUNT):
        shutil.copy(os.environ["HEAPPROF_LOADED"], os.path.join(directory, f"lib{i}.so"))
    argv = [program("dlopen_many"), directory, str(COUNT)]
    env = {"HEAPPROF_RATE": "4096", "HEAPPROF_OUT": os.path.join(directory, "many.pb.gz")}
    plain = run(argv, preload=False, env=env)
    profiled = run(argv, env=env)
    check(plain.stdout.splitlines()[0] == profiled.stdout.splitlines()[0],
          f"different results: {plain.stdout} {profiled.stdout}")
    check(not heapprof_lines(profiled.stderr), f"{profiled.stderr}")
    extra = growth(profiled) - growth(plain)
    print(f"{COUNT} libraries: {growth(plain)} KiB without heapprof, {growth(profiled)} KiB with")
    check(extra < ALLOWED_KIB, f"heapprof added {extra} KiB over {COUNT} loaded libraries (allowed {ALLOWED_KIB})")
    rows = top(os.path.join(directory, "many.pb.gz"), "alloc_objects")
    check(rows.get("loaded_block", (0, 0))[0] > COUNT * 32, f"loaded_block: {rows.get('loaded_block')}")
print("dlopen_memory: ok")
