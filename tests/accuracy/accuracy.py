#!/usr/bin/env python3
"""How close heapprof's unsampled estimates come to known totals, over many seeds,
next to jemalloc's and gperftools' (tcmalloc's) samplers on the same program.

The program (sites.c) has one allocation site per object size, each allocating
--mib MiB (default 256, so both metrics are >= 100 MB) and keeping half of it live
until exit, plus site_mixed (half 48 B, half 16 MiB objects from one call site).
For every profiler, rate and run
this reads each site's alloc_space and inuse_space with `go tool pprof -top` (the
site function's cumulative value) and compares it with the program's own totals.

Per site, metric, rate and profiler it reports, over the runs:
  bias      mean signed relative error (estimate/truth - 1)
  mean|e|   mean absolute relative error of a single run
  worst|e|  largest absolute relative error of a single run
  sd        the theoretical relative standard deviation of any unbiased sampler that
            samples an object of S bytes with probability p = 1 - exp(-S/R):
            sqrt((1 - p) / (n p)) for n objects (Horvitz-Thompson estimate; summed
            over sizes for site_mixed)
  E|e|      the mean |error| such a sampler should show, sqrt(2/pi) * sd ~ 0.80 sd
  sd ratio  the runs' own standard deviation of the error over the theoretical sd
  bias z    bias / (sd / sqrt(runs)): how many standard errors the bias is from 0;
            |z| > 3 on a site with many samples would mean a biased estimator
  2% at     the site size (MiB allocated for alloc_space, MiB live for inuse_space)
            at which 0.80 sd falls to 2%: truth * (0.80 sd / 2%)^2

Profilers:
  heapprof  LD_PRELOAD=libheapprof.so, HEAPPROF_SEED=1..--seeds, profile at exit.
  jemalloc  LD_PRELOAD=libjemalloc.so.2, MALLOC_CONF=prof:true,prof_accum:true,
            lg_prof_sample:log2(R),prof_final:true (its seed cannot be set: each run
            differs by address-space randomisation). Its threaded "heap_v2" dump is
            rewritten into the legacy one-line-per-stack form, which go tool pprof
            reads and unsamples with the same formula jeprof uses.
  tcmalloc  sites_tcmalloc (linked with gperftools' -ltcmalloc),
            TCMALLOC_SAMPLE_PARAMETER=R; the program writes
            MallocExtension::GetHeapSample at exit. That sample holds live objects
            only, so tcmalloc has no alloc_space row.

Runs are sequential. The default study (50 heapprof seeds and 50 runs of each other
profiler at 512 KiB and 64 KiB, 600 runs) takes about 2 minutes on 2 cores and
needs about 1 GB of memory per run.

  python3 tests/accuracy/accuracy.py --build-dir build --markdown table.md --raw runs.jsonl
  python3 tests/accuracy/accuracy.py --from-raw runs.jsonl      # tabulate again
"""
import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
JEMALLOC = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"
ROW = re.compile(r"^\s*(-?\d+)B?\s+\S+%\s+\S+%\s+(-?\d+)B?\s+\S+%\s+(.+?)\s*$")
MEAN_ABS_PER_SD = math.sqrt(2 / math.pi)


def clean_env(extra=None):
    env = dict(os.environ, TZ="UTC")
    env.pop("LD_PRELOAD", None)
    env.pop("MALLOC_CONF", None)
    env.update(extra or {})
    return env


def pprof_cum(profile, sample_index, binary=None):
    """{function: cumulative bytes} for one sample index."""
    argv = ["go", "tool", "pprof", "-top", "-sample_index=" + sample_index, "-unit=B",
            "-nodecount=1000000", "-nodefraction=0", "-edgefraction=0"]
    argv += [binary] if binary else []
    argv.append(profile)
    result = subprocess.run(argv, env=clean_env(), capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        sys.exit(f"accuracy: {' '.join(argv)} failed:\n{result.stderr}")
    rows = {}
    for line in result.stdout.splitlines():
        match = ROW.match(line)
        if match:
            rows[match.group(3)] = int(match.group(2))
    return rows


def jemalloc_to_legacy(source, target):
    """jemalloc 5's dump ("heap_v2/R", then "@ pcs" each followed by per-thread
    "t*: curobjs: curbytes [accumobjs: accumbytes]" lines) into the legacy
    "heap profile: ... @ heap_v2/R" text with one "counts @ pcs" line per stack.
    jemalloc (opt.prof_unbias, on by default) stores counts that the heap_v2 formula
    (jeprof's AdjustSamples, pprof's legacy parser) turns into its unbiased totals."""
    with open(source) as f:
        lines = f.read().splitlines()
    match = re.match(r"^heap_v2/(\d+)$", lines[0])
    if not match:
        sys.exit(f"accuracy: {source}: not a jemalloc heap_v2 profile")
    rate = match.group(1)
    totals, stacks, stack, tail = None, [], None, []
    counts = re.compile(r"^\s*t\*:\s*(\d+):\s*(\d+)\s*\[\s*(\d+):\s*(\d+)\s*\]\s*$")
    for index, line in enumerate(lines[1:], 1):
        if line.startswith("MAPPED_LIBRARIES:"):
            tail = lines[index:]
            break
        if line.startswith("@"):
            stack = line[1:].strip()
            continue
        found = counts.match(line)
        if found:
            if stack is None:
                totals = found.groups()
            else:
                stacks.append((found.groups(), stack))
                stack = None
    totals = totals or ("0", "0", "0", "0")
    out = ["heap profile: %s: %s [%s: %s] @ heap_v2/%s" % (*totals, rate)]
    out += ["%s: %s [%s: %s] @ %s" % (*c, pcs) for c, pcs in stacks]
    with open(target, "w") as f:
        f.write("\n".join(out + tail) + "\n")


def truth_from(stdout):
    """{site: [(object size, objects, kept), ...]} from sites' output (site_mixed has
    two sizes)."""
    sites = {}
    for line in stdout.splitlines():
        name, size, objects, kept = line.split()
        sites.setdefault(name, []).append((int(size), int(objects), int(kept)))
    return sites


def run_once(profiler, rate, run, args, scratch):
    """One run: {site: {"alloc_space": estimate, "inuse_space": estimate}}, truth."""
    directory = os.path.join(scratch, f"{profiler}-{rate}-{run}")
    os.makedirs(directory)
    program_args = [str(args.mib)] + args.sizes
    binary = os.path.join(args.build_dir, "tests", "accuracy", "sites")
    metrics = ("alloc_space", "inuse_space")
    if profiler == "heapprof":
        profile = os.path.join(directory, "heap.pb.gz")
        env = {"LD_PRELOAD": args.lib, "HEAPPROF_RATE": str(rate), "HEAPPROF_SEED": str(run),
               "HEAPPROF_OUT": profile, "HEAPPROF_PEAK": "0"}
        pprof_binary = None
    elif profiler == "jemalloc":
        lg = rate.bit_length() - 1
        env = {"LD_PRELOAD": JEMALLOC,
               "MALLOC_CONF": f"prof:true,prof_accum:true,lg_prof_sample:{lg},prof_final:true,"
                              f"prof_prefix:{directory}/jeprof"}
        profile = os.path.join(directory, "legacy.heap")
        pprof_binary = binary
    else:
        binary = os.path.join(args.build_dir, "tests", "accuracy", "sites_tcmalloc")
        profile = os.path.join(directory, "tcmalloc.heap")
        env = {"TCMALLOC_SAMPLE_PARAMETER": str(rate), "ACCURACY_HEAP_SAMPLE": profile}
        pprof_binary = binary
        metrics = ("inuse_space",)
    result = subprocess.run([binary] + program_args, env=clean_env(env), cwd=directory,
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        sys.exit(f"accuracy: {profiler} run {run} exited {result.returncode}:\n{result.stderr}")
    if profiler == "jemalloc":
        dumps = [name for name in os.listdir(directory) if name.endswith(".heap")]
        if len(dumps) != 1:
            sys.exit(f"accuracy: jemalloc wrote {dumps} (is libjemalloc built with --enable-prof?)\n"
                     f"{result.stderr}")
        jemalloc_to_legacy(os.path.join(directory, dumps[0]), profile)
    if not os.path.exists(profile):
        sys.exit(f"accuracy: {profiler} run {run} left no profile\n{result.stderr}")
    truth = truth_from(result.stdout)
    estimates = {site: {} for site in truth}
    for metric in metrics:
        # tcmalloc's sample has one pair of types, "objects" and "space" (in use).
        index = "space" if profiler == "tcmalloc" else metric
        rows = pprof_cum(profile, index, pprof_binary)
        for site in truth:
            estimates[site][metric] = rows.get(site, 0)
    if not args.keep:
        shutil.rmtree(directory)
    return estimates, truth


def theory_sd(classes, rate):
    """Relative sd of the Horvitz-Thompson estimate sum(sampled S / p(S)) of a site
    whose objects come in classes [(size, count)]: sqrt(sum n S^2 (1-p)/p) / sum n S."""
    total = sum(size * count for size, count in classes)
    if total == 0:
        return 0.0
    variance = 0.0
    for size, count in classes:
        p = -math.expm1(-size / rate)
        variance += count * size * size * (1 - p) / p
    return math.sqrt(variance) / total


def summarize(records, profilers, rates):
    """Rows of the table, one per profiler, rate, site and metric."""
    rows = []
    for profiler in profilers:
        for rate in rates:
            runs = [r for r in records if r["profiler"] == profiler and r["rate"] == rate]
            if not runs:
                continue
            truth = runs[0]["truth"]
            for site in sorted(truth, key=lambda s: (len(truth[s]), truth[s][0][0])):
                size = truth[site][0][0] if len(truth[site]) == 1 else 0
                for metric, column in (("alloc_space", 1), ("inuse_space", 2)):
                    classes = [(c[0], c[column]) for c in truth[site]]
                    total = sum(c[0] * c[1] for c in classes)
                    errors = [r["estimates"][site][metric] / total - 1
                              for r in runs if metric in r["estimates"][site]]
                    if not errors:
                        continue
                    sd = theory_sd(classes, rate)
                    bias = sum(errors) / len(errors)
                    rows.append({
                        "profiler": profiler, "rate": rate, "site": site, "size": size, "metric": metric,
                        "truth": total, "runs": len(errors), "bias": bias,
                        "mean_abs": sum(abs(e) for e in errors) / len(errors),
                        "worst": max(abs(e) for e in errors), "sd": sd,
                        "expected_mean_abs": MEAN_ABS_PER_SD * sd,
                        "z": bias / (sd / math.sqrt(len(errors))) if sd > 0 else None,
                        "sd_ratio": (math.sqrt(sum((e - bias) ** 2 for e in errors) / (len(errors) - 1)) / sd
                                     if sd > 1e-4 and len(errors) > 1 else None),
                        "bytes_for_2pct": total * (MEAN_ABS_PER_SD * sd / 0.02) ** 2,
                    })
    return rows


def rate_name(rate):
    return f"{rate // 1024} KiB" if rate % 1024 == 0 else str(rate)


def percent(value):
    return f"{value * 100:+.2f}%"


def markdown(rows):
    out = ["| profiler | rate | site | metric | truth MiB | runs | bias | mean abs | worst abs | "
           "theory sd | 0.80 sd | bias z | sd ratio | 2% at MiB |",
           "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        z = "" if row["z"] is None else f"{row['z']:+.1f}"
        ratio = "" if row["sd_ratio"] is None else f"{row['sd_ratio']:.2f}"
        out.append(f"| {row['profiler']} | {rate_name(row['rate'])} | {row['site']} | "
                   f"{row['metric']} | {row['truth'] / 2**20:.0f} | {row['runs']} | "
                   f"{percent(row['bias'])} | {row['mean_abs'] * 100:.2f}% | "
                   f"{row['worst'] * 100:.2f}% | {row['sd'] * 100:.2f}% | "
                   f"{row['expected_mean_abs'] * 100:.2f}% | {z} | {ratio} | "
                   f"{row['bytes_for_2pct'] / 2**20:.0f} |")
    return "\n".join(out) + "\n"


def side_by_side(rows):
    """One row per rate, site and metric; each profiler's "bias / mean |e| / worst |e|"."""
    profilers = list(dict.fromkeys(r["profiler"] for r in rows))
    order = sorted(rows, key=lambda r: (-r["rate"], r["size"] or float("inf"), r["metric"]))
    keys = list(dict.fromkeys((r["rate"], r["site"], r["metric"]) for r in order))
    by_key = {(r["profiler"], r["rate"], r["site"], r["metric"]): r for r in rows}
    runs = {p: sorted({r["runs"] for r in rows if r["profiler"] == p}) for p in profilers}
    out = ["| rate | site | metric | truth MiB | theory sd (0.80 sd) | " +
           " | ".join(f"{p} ({'/'.join(map(str, runs[p]))} runs)" for p in profilers) + " |",
           "|---|---|---|---:|---:|" + "---:|" * len(profilers)]
    for rate, site, metric in keys:
        first = next(by_key[(p, rate, site, metric)] for p in profilers
                     if (p, rate, site, metric) in by_key)
        cells = []
        for p in profilers:
            row = by_key.get((p, rate, site, metric))
            cells.append("—" if row is None else
                         f"{row['bias'] * 100:+.2f} / {row['mean_abs'] * 100:.2f} / {row['worst'] * 100:.2f}")
        out.append(f"| {rate_name(rate)} | {site} | {metric} | {first['truth'] / 2**20:.0f} | "
                   f"{first['sd'] * 100:.2f}% ({first['expected_mean_abs'] * 100:.2f}%) | " +
                   " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def pooled(rows):
    """Per profiler and rate: the sites' z scores pooled (sum z / sqrt(k)), and the mean
    |error| averaged over the sites of at least 100 MB (10^8 bytes) next to what theory
    expects; that average includes the sites of large objects, which are nearly exact."""
    out = []
    keys = sorted({(r["profiler"], r["rate"]) for r in rows}, key=lambda k: (k[0], -k[1]))
    for profiler, rate in keys:
        mine = [r for r in rows if r["profiler"] == profiler and r["rate"] == rate]
        for metric in ("alloc_space", "inuse_space"):
            part = [r for r in mine if r["metric"] == metric and r["z"] is not None and r["sd"] > 1e-4]
            if not part:
                continue
            z = sum(r["z"] for r in part) / math.sqrt(len(part))
            big = [r for r in mine if r["metric"] == metric and r["truth"] >= 100e6]
            line = (f"{profiler:8} {rate_name(rate):>7} {metric:11}: pooled bias z {z:+.2f} over "
                    f"{len(part)} sampled sites")
            if big:
                line += (f"; {len(big)} sites >= 100 MB: average mean |error| {100 * sum(r['mean_abs'] for r in big) / len(big):.2f}%"
                         f" (theory {100 * sum(r['expected_mean_abs'] for r in big) / len(big):.2f}%)")
            out.append(line)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    parser.add_argument("--lib", help="libheapprof.so (default: BUILD_DIR/src/libheapprof.so)")
    parser.add_argument("--seeds", type=int, default=50, help="heapprof runs, HEAPPROF_SEED=1..N")
    parser.add_argument("--runs", type=int, default=50, help="jemalloc and tcmalloc runs each")
    parser.add_argument("--rates", default="524288,65536")
    parser.add_argument("--profilers", default="heapprof,jemalloc,tcmalloc")
    parser.add_argument("--mib", type=int, default=256, help="MiB allocated per site (half kept)")
    parser.add_argument("--sizes", default="48,1024,16384,262144,1048576,16777216,mixed",
                        help="object sizes, one site each (sites.c has 48, 64, 1024, 4096, 16384, "
                             "65536, 262144, 1048576, 4194304, 16777216), and 'mixed': one site "
                             "of half 48 B and half 16 MiB objects")
    parser.add_argument("--markdown", help="write the table here")
    parser.add_argument("--raw", help="write one JSON line per run here")
    parser.add_argument("--keep", action="store_true", help="keep the profiles (prints where)")
    parser.add_argument("--from-raw", metavar="FILE", nargs="+",
                        help="run nothing: summarize the runs saved by earlier --raw FILEs")
    args = parser.parse_args()
    if args.from_raw:
        records = []
        for name in args.from_raw:
            with open(name) as f:
                records += [json.loads(line) for line in f if line.strip()]
        for record in records:  # files from before site_mixed: one (size, n, kept) per site
            for site, classes in record["truth"].items():
                if isinstance(classes[0], int):
                    record["truth"][site] = [classes]
        profilers = list(dict.fromkeys(r["profiler"] for r in records))
        rates = sorted({r["rate"] for r in records}, reverse=True)
        report(records, profilers, rates, args.markdown)
        return
    args.build_dir = os.path.abspath(args.build_dir)
    args.lib = os.path.abspath(args.lib or os.path.join(args.build_dir, "src", "libheapprof.so"))
    args.sizes = args.sizes.split(",")
    rates = [int(r) for r in args.rates.split(",")]
    profilers = args.profilers.split(",")
    for rate in rates:
        if "jemalloc" in profilers and rate & (rate - 1):
            sys.exit("accuracy: jemalloc's rate is a power of two (lg_prof_sample)")
    needed = {"heapprof": [args.lib], "jemalloc": [JEMALLOC],
              "tcmalloc": [os.path.join(args.build_dir, "tests", "accuracy", "sites_tcmalloc")]}
    for profiler in profilers:
        for path in needed[profiler] + [os.path.join(args.build_dir, "tests", "accuracy", "sites")]:
            if not os.path.exists(path):
                sys.exit(f"accuracy: {path} is missing (build first; tcmalloc needs "
                         f"libgoogle-perftools-dev, jemalloc libjemalloc2)")

    scratch = tempfile.mkdtemp(prefix="heapprof-accuracy-")
    records = []
    raw = open(args.raw, "w") if args.raw else None
    try:
        for profiler in profilers:
            for rate in rates:
                count = args.seeds if profiler == "heapprof" else args.runs
                for run in range(1, count + 1):
                    estimates, truth = run_once(profiler, rate, run, args, scratch)
                    record = {"profiler": profiler, "rate": rate, "run": run, "mib": args.mib,
                              "truth": truth, "estimates": estimates}
                    records.append(record)
                    if raw:
                        raw.write(json.dumps(record) + "\n")
                        raw.flush()
                print(f"{profiler} at {rate_name(rate)}: {count} runs", file=sys.stderr)
    finally:
        if raw:
            raw.close()
        if args.keep:
            print(f"profiles kept in {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)

    report(records, profilers, rates, args.markdown)


def report(records, profilers, rates, markdown_file):
    rows = summarize(records, profilers, rates)
    compact = side_by_side(rows)
    table = markdown(rows)
    summary = "\n".join(pooled(rows)) + "\n"
    print(table)
    print(compact)
    print(summary)
    if markdown_file:
        with open(markdown_file, "w") as f:
            f.write("Cells: bias / mean |error| / worst |error|, in percent.\n\n" + compact +
                    "\n" + table + "\n```\n" + summary + "```\n")


if __name__ == "__main__":
    main()
