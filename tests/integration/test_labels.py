"""Age, lifetime and thread labels, on a program whose truth is known (ages.c): blocks
kept from before a 3.5 s pause are in use at age 3 s, blocks allocated after it at age
0; blocks freed after the pause lived 3 s, blocks freed at once 0 s; pool-a and pool-b
allocate at one site. go tool pprof's -tagfocus selects them: exactly at rate 1, and
within the bound of docs/accuracy.md at a sampled rate. Without a filter every site
shows what it showed before labels (exact at rate 1), and heapprof top prints what go
tool pprof prints."""
from harness import *

CLI = os.path.join(os.environ["HEAPPROF_BUILD_ROOT"], "tools", "heapprof")
EXACT_COUNT, SIZE = 100, 1000
# At rate 8 KiB a 4 KiB block is sampled with p = 1 - exp(-1/2) = 0.39: 4096 of them
# give ~1600 samples, an estimate with a relative standard deviation of 1.9%.
RATE, SAMPLED_COUNT, SAMPLED_SIZE = 8192, 4096, 4096
SEEDS = ("1", "7")
BOUND = 0.10


def same_top_as_pprof(profile):
    for sample_type in SAMPLE_TYPES:
        ours = subprocess.run([CLI, "top", "-sample_index=" + sample_type, profile], capture_output=True,
                              text=True, env=dict(os.environ, TZ="UTC"))
        check(ours.stdout == pprof(profile, "-top", "-sample_index=" + sample_type),
              f"{profile}: heapprof top -sample_index={sample_type} differs from go tool pprof:\n"
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


# (tag, sample type, {site: expected objects}) for a run of COUNT blocks per site.
def selections(count):
    return (
        ("age=2s:", "inuse_objects", {"site_old": count}),
        ("age=:1s", "inuse_objects", {"site_young": count, "site_pooled": 3 * count}),
        ("lifetime=2s:", "alloc_objects", {"site_long_lived": count}),
        ("lifetime=:1s", "alloc_objects", {"site_short_lived": count}),
        ("thread=pool-a", "inuse_objects", {"site_pooled": count}),
        ("thread=pool-b", "inuse_objects", {"site_pooled": 2 * count}),
    )


with scratch_dir() as directory:
    # Rate 1: every block is sampled, every selection exact.
    result = same_behaviour([program("ages"), str(EXACT_COUNT), str(SIZE)], cwd=directory,
                            env={"HEAPPROF_RATE": "1", "HEAPPROF_LABELS": "thread", "HEAPPROF_OUT": "exact.pb.gz"})
    check(not heapprof_lines(result.stderr), f"heapprof said: {result.stderr}")
    profile = os.path.join(directory, "exact.pb.gz")
    check_exact(profile, expected_rows(result.stdout))
    same_top_as_pprof(profile)
    for tag, sample_index, expected in selections(EXACT_COUNT):
        rows = focused(profile, tag, sample_index)
        sites = {site: objects for site, objects in rows.items() if site.startswith("site_")}
        check(sites == expected, f"-tagfocus={tag} -sample_index={sample_index}: {sites}, expected {expected}")
    tags = pprof(profile, "-tags")
    for word in ("age:", "lifetime:", "thread:", "pool-a", "pool-b", "ages"):
        check(word in tags, f"go tool pprof -tags shows no {word}:\n{tags}")
    raw = pprof(profile, "-raw")
    check("age:[3 seconds]" in raw and "lifetime:[3 seconds]" in raw,
          f"-raw shows no age or lifetime of 3 s:\n{raw}")

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
        result = run([program("ages"), str(SAMPLED_COUNT), str(SAMPLED_SIZE)], cwd=directory,
                     env={"HEAPPROF_RATE": str(RATE), "HEAPPROF_SEED": seed, "HEAPPROF_LABELS": "thread",
                          "HEAPPROF_OUT": out})
        check(result.returncode == 0, f"ages failed: {result.stderr}")
        profile = os.path.join(directory, out)
        same_top_as_pprof(profile)
        for tag, sample_index, expected in selections(SAMPLED_COUNT):
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
