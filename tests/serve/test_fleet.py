"""A fleet collector's scrapes of a service whose allocations are known at every moment
(programs/fleet_target.c), at HEAPPROF_RATE=1, where every value is exact
(docs/fleet.md, "What is checked here"):

- cumulative, as Grafana Alloy's pyroscope.scrape and Parca scrape memory by default:
  /debug/pprof/allocs once a second for 10 seconds. Each scrape holds what the program
  had allocated and held when it was taken, and is stamped with that moment and no
  duration, as Go's are: Alloy subtracts consecutive scrapes' alloc_* and takes its
  delta's duration from their times, and Parca stores a profile with a duration as a
  delta;
- windows, as Parca with `delta: true` asks: /debug/pprof/allocs?seconds=1, ten in a
  row. Each window's alloc_* is what was allocated during it and its inuse_* what was
  held at its end, and the windows add up to the difference of the cumulative scrapes
  taken just before and just after them;
- /debug/pprof/heap once.

Every profile is read by go tool pprof, and heapprof top and list print the same bytes;
each names the process in its comment, which both print in top's header. The program
logs when each burst ran: a profile taken between bursts must show the exact values;
one whose moment overlaps a burst (a slow machine) is held to the range that burst
spans."""
import struct
from serving import *

CLI = os.environ["HEAPPROF_CLI"]
PERIOD = 100_000_000  # nanoseconds between bursts, which start on the tenths of a second
PHASE = 30_000_000  # requests go out this long after a burst's tick: between bursts
SITES = {"leak_work": (2, 4096), "churn_work": (20, 1000), "ring_work": (5, 2048)}  # per burst
RING = 50


class Scrape:
    """One profile fetched as Alloy fetches it: when it was asked for and received
    (wall clock, nanoseconds), and what it holds, as go tool pprof reads it."""

    def __init__(self, address, target, path):
        self.target, self.path = target, path
        self.sent = time.time_ns()
        response = collector_request(address, target, "alloy", timeout=60)
        self.received = time.time_ns()
        check(response.status == 200, f"{target}: status {response.status}: {response.body[:200]!r}")
        with open(path, "wb") as out:
            out.write(response.body)
        self.time_nanos, self.duration_nanos = profile_times(gzip.decompress(response.body))
        self.values = None

    def value(self, site, sample_type):
        """Read once every scrape is done: go tool pprof takes time, and a scraper does not wait."""
        if self.values is None:
            self.values = {kind: {name: flat for name, (flat, _) in top(self.path, kind).items()}
                           for kind in SAMPLE_TYPES}
        return self.values[sample_type].get(site, 0)


def wait_for_phase(period):
    """Sleeps until PHASE past the next multiple of `period` on the wall clock."""
    now = time.time_ns()
    time.sleep(((now // period + 1) * period + PHASE - now) / 1e9)


def in_phase():
    return PHASE // 3 < time.time_ns() % PERIOD < 2 * PHASE


def read_bursts(path):
    """(start, end) of each burst the program made, from its shared file."""
    with open(path, "rb") as truth:
        data = truth.read()
    count = struct.unpack_from("<Q", data)[0]
    return [struct.unpack_from("<qq", data, 8 + 16 * i) for i in range(count)]


def bursts_at(bursts, earliest, latest):
    """For a profile read at some moment from `earliest` to `latest`: the bursts that
    had ended by then, and the number that may have been under way."""
    done = sum(1 for _, end in bursts if end < earliest)
    under_way = sum(1 for start, end in bursts if end >= earliest and start <= latest)
    return done, under_way


def allocated(site, done):
    return SITES[site][0] * done


def held(site, done):
    count = SITES[site][0] * done
    return {"leak_work": count, "churn_work": 0, "ring_work": min(count, RING)}[site]


def held_range(site, moment):
    """The blocks a site held at `moment` (done, under_way): exact between bursts."""
    done, under_way = moment
    low, high = held(site, done), held(site, done + under_way)
    if under_way and site == "churn_work":
        high = 1  # one block at a time
    if under_way and site == "ring_work":
        low -= SITES[site][0]  # frees before it allocates
    return low, high


def check_range(what, value, low, high, size=1):
    check(low * size <= value <= high * size, f"{what}: {value}, expected " +
          (f"{low * size}" if low == high else f"{low * size} to {high * size}"))


def check_snapshot(scrape, moment, name):
    """A cumulative profile: everything allocated and held at its moment."""
    done, under_way = moment
    for site, (_, size) in SITES.items():
        for sample_type, unit in (("alloc_objects", 1), ("alloc_space", size)):
            check_range(f"{name} {site} {sample_type}", scrape.value(site, sample_type), allocated(site, done),
                        allocated(site, done + under_way), unit)
        for sample_type, unit in (("inuse_objects", 1), ("inuse_space", size)):
            check_range(f"{name} {site} {sample_type}", scrape.value(site, sample_type), *held_range(site, moment),
                        unit)


def check_between(what, value, site, before, after, size=1):
    """`value` is what `site` allocated between two moments."""
    check_range(what, value, allocated(site, after[0]) - allocated(site, sum(before)),
                allocated(site, sum(after)) - allocated(site, before[0]), size)


def check_go_stamps(scrape, name):
    """Stamped like Go's heap profiles: the moment it was taken, and no duration."""
    check(scrape.sent <= scrape.time_nanos <= scrape.received,
          f"{name}: time_nanos {scrape.time_nanos} is not the moment it was taken "
          f"({scrape.sent} to {scrape.received})")
    check(scrape.duration_nanos == 0, f"{name}: duration_nanos {scrape.duration_nanos}: Parca would store a delta")


def check_cumulative(scrapes, bursts):
    """What Alloy makes of a scrape a second: its deltas, alloc_* subtracted, inuse_*
    as they are, timed by time_nanos."""
    moments = [bursts_at(bursts, scrape.sent, scrape.received) for scrape in scrapes]
    for index, (scrape, moment) in enumerate(zip(scrapes, moments)):
        check_go_stamps(scrape, f"scrape {index}")
        check_snapshot(scrape, moment, f"scrape {index}")
    for index in range(1, len(scrapes)):
        previous, scrape = scrapes[index - 1], scrapes[index]
        duration = scrape.time_nanos - previous.time_nanos
        check(scrape.sent - previous.received <= duration <= scrape.received - previous.sent,
              f"Alloy's delta {index} would last {duration} ns")
        for site, (_, size) in SITES.items():
            for sample_type, unit in (("alloc_objects", 1), ("alloc_space", size)):
                check_between(f"Alloy's delta {index}: {site} {sample_type}",
                              scrape.value(site, sample_type) - previous.value(site, sample_type), site,
                              moments[index - 1], moments[index], unit)
    return sum(1 for moment in moments if moment[1])


def window_moments(window, seconds, bursts):
    """When a window's base was read (just after time_nanos) and its end (before
    time_nanos + duration_nanos, at least `seconds` after the base)."""
    start = window.time_nanos
    end = start + window.duration_nanos
    check(seconds * 1e9 <= window.duration_nanos < (seconds + 2) * 1e9,
          f"{window.target}: duration_nanos {window.duration_nanos}")
    check(window.sent <= start and end <= window.received, f"{window.target}: stamped outside its request")
    return (bursts_at(bursts, start, start + 2_000_000),
            bursts_at(bursts, start + seconds * 1_000_000_000 - 5_000_000, end))


def check_windows(before, windows, after, bursts):
    """Each window, against the truth; together, against the cumulative scrapes around them."""
    covered, ambiguous = set(), 0
    for index, window in enumerate(windows):
        start, end = window_moments(window, 1, bursts)
        ambiguous += (start[1] > 0) + (end[1] > 0)
        covered.update(range(sum(start), end[0]))
        for site, (_, size) in SITES.items():
            for sample_type, unit in (("alloc_objects", 1), ("alloc_space", size)):
                check_between(f"window {index}: {site} {sample_type}", window.value(site, sample_type), site, start,
                              end, unit)
            for sample_type, unit in (("inuse_objects", 1), ("inuse_space", size)):
                check_range(f"window {index}: {site} {sample_type} at its end", window.value(site, sample_type),
                            *held_range(site, end), unit)
    first, _ = bursts_at(bursts, before.sent, before.received)
    last = sum(bursts_at(bursts, after.sent, after.received))
    outside = len(set(range(first, last)) - covered)
    for site, (count, _) in SITES.items():
        total = after.value(site, "alloc_objects") - before.value(site, "alloc_objects")
        windows_sum = sum(window.value(site, "alloc_objects") for window in windows)
        check(total - count * outside <= windows_sum <= total,
              f"{site}: the windows add up to {windows_sum} allocations, the cumulative scrapes around them to "
              f"{total}, with {outside} bursts outside every window")
    return ambiguous, outside


def check_same_report(scrape, sample_type, command, *argument):
    """heapprof COMMAND prints what go tool pprof -COMMAND prints; returns it."""
    env = dict(os.environ, TZ="UTC")
    env.pop("LD_PRELOAD", None)
    flag = "-sample_index=" + sample_type
    ours = subprocess.run([CLI, command, flag, *argument, scrape.path], env=env, capture_output=True, text=True,
                          timeout=120)
    go = pprof(scrape.path, flag, "-" + command, *argument)
    check(ours.returncode == 0 and ours.stdout == go,
          f"heapprof {command} {flag} {' '.join(argument)} on {scrape.target} differs from go tool pprof:\n"
          f"{ours.stderr}\n--- go tool pprof\n{go}--- heapprof\n{ours.stdout}")
    return go


def check_cli_parity(scrapes, pid):
    """top for every type of every profile, the process's comment among its header's
    lines, and list."""
    identity = f"Process: fleet_target, pid {pid}"
    for scrape in scrapes:
        comments = pprof(scrape.path, "-comments")
        check(comments == identity + "\n", f"{scrape.target}: comments {comments!r}")
        for sample_type in SAMPLE_TYPES:
            shown = check_same_report(scrape, sample_type, "top")
            check(f"\n{identity}\nType: {sample_type}\n" in shown, f"{scrape.target}: the header:\n{shown}")
        shown = check_same_report(scrape, "alloc_space", "list", "_work$")
        check(shown.count("ROUTINE ===") == 3, f"{scrape.target}: list:\n{shown}")


with scratch_dir() as directory:
    truth_path = os.path.join(directory, "truth")
    service = Program({"HEAPPROF_RATE": "1", "HEAPPROF_HTTP": "127.0.0.1:0"},
                      argv=[program("fleet_target"), truth_path], cwd=directory)
    try:
        address = service.address()

        def scrape(target, name):
            return Scrape(address, target, os.path.join(directory, name + ".pb.gz"))

        cumulative = []
        for index in range(11):
            wait_for_phase(1_000_000_000)
            cumulative.append(scrape("/debug/pprof/allocs", f"allocs{index}"))
        heap = scrape("/debug/pprof/heap", "heap")
        wait_for_phase(PERIOD)
        before = scrape("/debug/pprof/allocs", "before")
        windows = []
        for index in range(10):
            if not in_phase():
                wait_for_phase(PERIOD)
            windows.append(scrape("/debug/pprof/allocs?seconds=1", f"window{index}"))
        after = scrape("/debug/pprof/allocs", "after")
        output = service.finish()
        bursts = read_bursts(truth_path)
        check(output == f"{len(bursts)} bursts\n", f"the program's output: {output!r}")
        check(service.heapprof_lines() == [f"heapprof: serving http://{address}/debug/pprof/ for pid {service.pid}"],
              f"heapprof lines: {service.heapprof_lines()}")

        slow = check_cumulative(cumulative, bursts)
        check_go_stamps(heap, "heap")
        check_snapshot(heap, bursts_at(bursts, heap.sent, heap.received), "heap")
        check("Type: inuse_space" in pprof(heap.path, "-top"), "heap's default sample type")
        ambiguous, outside = check_windows(before, windows, after, bursts)
        check_cli_parity(cumulative + [heap, before] + windows + [after], service.pid)
        print(f"{len(bursts)} bursts; {slow} of 11 scrapes and {ambiguous} of 20 window ends overlapped a burst; "
              f"{outside} bursts fell between windows")
    finally:
        service.kill()
print("fleet: ok")
