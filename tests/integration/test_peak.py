"""The peak profile: what was live when the estimated heap was largest. The program's
peak comes from build_peak, which frees everything before exit.

docs/usage.md promises the peak profile is within 1/64 (1.6%) below the estimated
peak, as the snapshot behind it is retaken whenever the estimate grows that much. At
rate 1 the estimate is the truth, so the peak profile must hold between 63/64 of the
true peak and the true peak. At the default rate it must be within 4.5 standard
deviations of the truth, plus those 1.6%, both ways."""
import math
from harness import *

RATE = 512 * 1024


def sites(stdout):
    """{site: (objects, size)} as peak.c prints them."""
    return {name: (int(objects), int(size)) for name, objects, size in (line.split() for line in stdout.splitlines())}


def in_use(profile):
    rows = top(profile, "inuse_space")
    return rows, sum(flat for flat, _ in rows.values())


with scratch_dir() as directory:
    for rate in ("1", str(RATE)):
        out = f"heap.{rate}.pb.gz"
        result = same_behaviour([program("peak")], cwd=directory,
                                env={"HEAPPROF_OUT": out, "HEAPPROF_SEED": "3", "HEAPPROF_RATE": rate})
        known = sites(result.stdout)
        truth = sum(objects * size for objects, size in known.values())
        final, peak = (os.path.join(directory, name) for name in (out, out.replace(".pb.gz", ".peak.pb.gz")))
        check(os.path.exists(peak), f"no peak profile: {os.listdir(directory)}")
        rows, total = in_use(peak)
        check(max(rows, key=lambda name: rows[name][0]) == "build_peak", f"peak profile's rows: {rows}")
        if rate == "1":
            check(truth - truth / 64 <= total <= truth,
                  f"rate 1: peak profile holds {total} bytes, the peak was {truth}: not within 1/64 below it")
        else:
            sd = math.sqrt(sum((objects * size * relative_sd(objects, size, RATE)) ** 2
                               for objects, size in known.values()))
            check(truth - truth / 64 - 4.5 * sd <= total <= truth + 4.5 * sd,
                  f"default rate: peak profile holds {total} bytes, the peak was {truth}: more than 4.5 "
                  f"standard deviations ({sd:.0f}) and 1/64 below it, or 4.5 above")
        rows, _ = in_use(final)
        check(max(rows, key=lambda name: rows[name][0]) == "keep_a_little", f"final profile's rows: {rows}")
    check_readable(peak, "build_peak")
    same_behaviour([program("peak")], cwd=directory, env={"HEAPPROF_OUT": "off.pb.gz", "HEAPPROF_PEAK": "0"})
    check(not os.path.exists(os.path.join(directory, "off.peak.pb.gz")), "HEAPPROF_PEAK=0 wrote a peak profile")
print("peak: ok")
