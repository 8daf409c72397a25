"""Age, lifetime and thread labels, on a program whose truth is known (ages.c): blocks
kept from before a 3.5 s pause are in use at age 3 s, blocks allocated after it at age
0; blocks freed after the pause lived 3 s, blocks freed at once 0 s; pool-a and pool-b
allocate at one site. go tool pprof's -tagfocus selects them: exactly at rate 1, and
within the bound of docs/accuracy.md at a sampled rate. Without a filter every site
shows what it showed before labels (exact at rate 1), and heapprof top and list print
what go tool pprof prints.

A loaded machine may stall the program for seconds, making every age older: the
program prints the moments of each step on the coarse clock heapprof uses, and the
buckets each group may show, and the -tagfocus ranges that separate them, are worked
out from those moments and the run's end. A run stalled so long that no range
separates old from young is run again."""
import time

from harness import *

CLI = os.path.join(os.environ["HEAPPROF_BUILD_ROOT"], "tools", "heapprof")
EXACT_COUNT, SIZE = 100, 1000
# At rate 8 KiB a 4 KiB block is sampled with p = 1 - exp(-1/2) = 0.39: 4096 of them
# give ~1600 samples, an estimate with a relative standard deviation of 1.9%.
RATE, SAMPLED_COUNT, SAMPLED_SIZE = 8192, 4096, 4096
SEEDS = ("1", "7")
BOUND = 0.10


def same_reports_as_pprof(profile):
    """heapprof top and list print what go tool pprof prints, for every sample type."""
    for sample_type in SAMPLE_TYPES:
        for report, pprof_args in ((["top"], ["-top"]), (["list", "site_"], ["-list", "site_"])):
            ours = subprocess.run([CLI] + report + ["-sample_index=" + sample_type, profile], capture_output=True,
                                  text=True, env=dict(os.environ, TZ="UTC"))
            check(ours.stdout == pprof(profile, *pprof_args, "-sample_index=" + sample_type),
                  f"{profile}: heapprof {' '.join(report)} -sample_index={sample_type} differs from go tool pprof:\n"
                  f"{ours.stdout}{ours.stderr}")


def focused(profile, tag, sample_index):
    """{function: flat} of the samples -tagfocus=tag selects."""
    args = ["-top", "-sample_index=" + sample_index, "-nodecount=1000000", "-nodefraction=0", "-edgefraction=0",
            "-tagfocus=" + tag]
    if sample_index.endswith("space"):
        args.append("-unit=B")
    rows = {}
    for line in pprof(profile, *args).splitlines():
        match = ROW.match(line)
        if match and int(match.group(1)):
            rows[match.group(3)] = int(match.group(1))
    return rows


NANOS = 1000000000
ATTEMPTS = 3


def bucket(seconds):
    """labels_age_bucket: whole seconds below 8, then the three leading bits."""
    if seconds < 8:
        return seconds
    dropped = seconds.bit_length() - 3
    return seconds >> dropped << dropped


def buckets(low, high):
    """The buckets of every age from low to high nanoseconds."""
    return {bucket(seconds) for seconds in range(max(low, 0) // NANOS, high // NANOS + 1)}


def run_ages(count, size, env, runner):
    """The run, and the buckets each group may show by its times: a run whose old and
    young (or long and short) buckets overlap because the machine stalled it is run
    again."""
    for attempt in range(ATTEMPTS):
        if os.path.exists(os.path.join(directory, env["HEAPPROF_OUT"])):
            os.remove(os.path.join(directory, env["HEAPPROF_OUT"]))
        result = runner([program("ages"), str(count), str(size)], cwd=directory, env=env)
        # The exit dump happens before the run ends: its moment is at most this.
        ended = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        check(result.returncode == 0, f"ages failed: {result.stderr}")
        times = [line for line in result.stderr.splitlines() if line.startswith("times ")]
        check(len(times) == 1, f"ages printed no times: {result.stderr}")
        start, kept, short_lived, awake, freeing, freed, end = map(int, times[0].split()[1:])
        groups = {"old": buckets(end - kept, ended - start), "young": buckets(0, ended - awake),
                  "long": buckets(freeing - kept, freed - start), "short": buckets(0, short_lived - kept)}
        if min(groups["old"]) > max(groups["young"]) and min(groups["long"]) > max(groups["short"]):
            return result, groups
        print(f"attempt {attempt + 1}: stalled, buckets {groups}")
    fail(f"ages stalled in each of {ATTEMPTS} runs")


# (tag, sample type, {site: expected objects}) for a run of COUNT blocks per site, with
# the ranges that separate its groups.
def selections(count, groups):
    return (
        (f"age={min(groups['old'])}s:", "inuse_objects", {"site_old": count}),
        (f"age=:{max(groups['young'])}s", "inuse_objects", {"site_young": count, "site_pooled": 3 * count}),
        (f"lifetime={min(groups['long'])}s:", "alloc_objects", {"site_long_lived": count}),
        (f"lifetime=:{max(groups['short'])}s", "alloc_objects", {"site_short_lived": count}),
        ("thread=pool-a", "inuse_objects", {"site_pooled": count}),
        ("thread=pool-b", "inuse_objects", {"site_pooled": 2 * count}),
    )


with scratch_dir() as directory:
    # Rate 1: every block is sampled, every selection exact.
    result, groups = run_ages(EXACT_COUNT, SIZE,
                              {"HEAPPROF_RATE": "1", "HEAPPROF_LABELS": "thread", "HEAPPROF_OUT": "exact.pb.gz"},
                              same_behaviour)
    check(not heapprof_lines(result.stderr), f"heapprof said: {result.stderr}")
    profile = os.path.join(directory, "exact.pb.gz")
    check_exact(profile, expected_rows(result.stdout))
    same_reports_as_pprof(profile)
    for tag, sample_index, expected in selections(EXACT_COUNT, groups):
        rows = focused(profile, tag, sample_index)
        sites = {site: objects for site, objects in rows.items() if site.startswith("site_")}
        check(sites == expected, f"-tagfocus={tag} -sample_index={sample_index}: {sites}, expected {expected}")
    tags = pprof(profile, "-tags")
    for word in ("age:", "lifetime:", "thread:", "pool-a", "pool-b", "ages"):
        check(word in tags, f"go tool pprof -tags shows no {word}:\n{tags}")
    raw = pprof(profile, "-raw")
    check(any(f"age:[{age} seconds]" in raw for age in groups["old"]),
          f"-raw shows no age of {sorted(groups['old'])} s:\n{raw}")
    check(any(f"lifetime:[{lifetime} seconds]" in raw for lifetime in groups["long"]),
          f"-raw shows no lifetime of {sorted(groups['long'])} s:\n{raw}")

    # Without HEAPPROF_LABELS, no thread label; a bad value says so and is off.
    result = run([program("ages"), str(EXACT_COUNT), str(SIZE)], cwd=directory,
                 env={"HEAPPROF_RATE": "1", "HEAPPROF_LABELS": "threads", "HEAPPROF_OUT": "plain.pb.gz"})
    check(heapprof_lines(result.stderr) == ['heapprof: HEAPPROF_LABELS="threads" is not thread; using no thread labels'],
          f"heapprof said: {result.stderr}")
    plain = os.path.join(directory, "plain.pb.gz")
    check_exact(plain, expected_rows(result.stdout))
    check("thread:" not in pprof(plain, "-tags"), "thread labels without HEAPPROF_LABELS=thread")

    # A sampled rate: each selection within the bound of the truth.
    for seed in SEEDS:
        out = f"sampled.{seed}.pb.gz"
        result, groups = run_ages(SAMPLED_COUNT, SAMPLED_SIZE,
                                  {"HEAPPROF_RATE": str(RATE), "HEAPPROF_SEED": seed, "HEAPPROF_LABELS": "thread",
                                   "HEAPPROF_OUT": out}, run)
        profile = os.path.join(directory, out)
        same_reports_as_pprof(profile)
        for tag, sample_index, expected in selections(SAMPLED_COUNT, groups):
            space = sample_index.replace("objects", "space")
            rows = focused(profile, tag, space)
            sites = {site: value for site, value in rows.items() if site.startswith("site_")}
            check(set(sites) == set(expected), f"seed {seed} -tagfocus={tag}: sites {sorted(sites)}")
            for site, objects in expected.items():
                truth = objects * SAMPLED_SIZE
                check(BOUND >= 4 * relative_sd(objects, SAMPLED_SIZE, RATE), f"{site}: 10% is under 4 sd")
                error = abs(sites[site] - truth) / truth
                print(f"seed {seed} -tagfocus={tag} {site} {space}: {sites[site]} truth {truth} error {error:.1%}")
                check(error <= BOUND, f"seed {seed} -tagfocus={tag}: {site} off by {error:.1%}")
print("labels: ok")
