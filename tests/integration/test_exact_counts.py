"""At rate 1 every allocation is recorded: each known site shows its exact alloc and
in-use objects and bytes in go tool pprof -top."""
from harness import *

with scratch_dir() as directory:
    result = same_behaviour([program("known_sites")], cwd=directory,
                            env={"HEAPPROF_RATE": "1", "HEAPPROF_OUT": "exact.pb.gz"})
    expected = expected_rows(result.stdout)
    check(len(expected) == 7, f"known_sites printed {result.stdout}")
    profile = os.path.join(directory, "exact.pb.gz")
    check_exact(profile, expected)
    check_readable(profile, "site_small")
    listing = pprof(profile, "-list", "site_realloc", "-sample_index=alloc_objects")
    check(re.search(r"\s500\s+500\s+\d+:.*malloc\(100\)", listing), f"-list site_realloc:\n{listing}")
    # A frame's line is its call's, also where the return address is on the next line.
    listing = pprof(profile, "-list", "^allocate$", "-sample_index=alloc_objects")
    check(re.search(r"\s100\s+100\s+\d+:\s+return malloc\(size\);", listing), f"-list allocate:\n{listing}")
    # One mapping per executable segment, the program first, with its build ID.
    raw = pprof(profile, "-raw")
    notes = subprocess.run(["readelf", "-n", program("known_sites")], capture_output=True, text=True).stdout
    build_id = re.search(r"Build ID: ([0-9a-f]+)", notes).group(1)
    mappings = raw.split("Mappings")[1].strip().splitlines()
    check(build_id in mappings[0] and "known_sites" in mappings[0], f"first mapping: {mappings[0]}")
    check(any("libc.so.6" in line for line in mappings), f"no libc mapping: {mappings}")
print("exact_counts: ok")
