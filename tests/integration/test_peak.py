"""The peak profile: what was live when the estimated heap was largest. The program's
peak comes from build_peak, which frees everything before exit."""
from harness import *

with scratch_dir() as directory:
    same_behaviour([program("peak")], cwd=directory, env={"HEAPPROF_OUT": "heap.pb.gz", "HEAPPROF_SEED": "3"})
    final, peak = (os.path.join(directory, name) for name in ("heap.pb.gz", "heap.peak.pb.gz"))
    check(os.path.exists(peak), f"no peak profile: {os.listdir(directory)}")

    def top_row(profile):
        rows = top(profile, "inuse_space")
        return max(rows.items(), key=lambda item: item[1][0])

    name, (bytes_at_peak, _) = top_row(peak)
    check(name == "build_peak" and bytes_at_peak > 80 << 20, f"peak profile's top row: {name} {bytes_at_peak}")
    name, _ = top_row(final)
    check(name == "keep_a_little", f"final profile's top row: {name}")
    check_readable(peak, "build_peak")
    same_behaviour([program("peak")], cwd=directory, env={"HEAPPROF_OUT": "off.pb.gz", "HEAPPROF_PEAK": "0"})
    check(not os.path.exists(os.path.join(directory, "off.peak.pb.gz")), "HEAPPROF_PEAK=0 wrote a peak profile")
print("peak: ok")
