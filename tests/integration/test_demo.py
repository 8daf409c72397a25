"""The bundled demo: 800,000 small maps of five strings, half of them freed."""
from harness import *

demo = os.environ["HEAPPROF_DEMO"]
with scratch_dir() as directory:
    same_behaviour([demo], cwd=directory, env={"HEAPPROF_OUT": "demo.pb.gz", "HEAPPROF_SEED": "1"})
    profile = os.path.join(directory, "demo.pb.gz")
    rows = top(profile, "alloc_space")
    total = sum(flat for flat, _ in rows.values())
    # 800,000 maps of a 16-byte header, 80 bytes of entries and ten short strings:
    # ~149 MB, sampled ~290 times at 512 KiB, so 6% standard deviation; allow 4.5.
    check(110e6 < total < 190e6, f"alloc_space total {total}")
    check({"new_map", "format_string"} <= {name.replace(" (inline)", "") for name in rows}, f"{sorted(rows)}")
    check_readable(profile, "new_map")
print("demo: ok")
