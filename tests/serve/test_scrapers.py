"""The requests Grafana Alloy's pyroscope.scrape and Parca send, byte for byte as their
HTTP clients write them (serving.collector_request; docs/fleet.md, "What is checked
here"), against the endpoint:

- the profiles docs/fleet.md has them scrape, cumulative and as windows
  (`seconds=N` is scrape_interval - 1 for Alloy and scrape_interval for Parca, 1 here):
  each answer passes the checks Alloy makes before it keeps a scrape (status 200, a
  Content-Type starting application/octet-stream, a body that is not an HTML or JSON
  page), is a gzip'd profile that go tool pprof reads and heapprof top prints the
  same, and has a duration exactly when it is a window, which is what Parca stores as
  a delta;
- the other paths they scrape by default answer 404 at once, even with `seconds`,
  which is why docs/fleet.md turns them off;
- go tool pprof on the endpoints of two processes merges them, each process named on
  a line of the header;
- the command docs/fleet.md gives to list a prefork server's workers as targets, run
  as it stands there, lists each worker's endpoint, and each answers as that worker."""
import json
from serving import *

CLI = os.environ["HEAPPROF_CLI"]
FLEET_DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "fleet.md")
PROFILES = ("/debug/pprof/allocs", "/debug/pprof/heap")
OTHER_DEFAULTS = ("/debug/pprof/block", "/debug/pprof/goroutine", "/debug/pprof/mutex",
                  "/debug/pprof/profile?seconds=14", "/debug/pprof/profile?seconds=10")


def alloy_keeps(response):
    """pyroscope.scrape's fetchProfile and validateProfileData, as of Alloy 1.18."""
    body = response.body
    stripped = body.lstrip(b" \t\r\n")
    text = len(body) >= 10 and (stripped[:2] in (b"<!", b"<h", b"<H", b"<b", b"<B", b"<t", b"<T")
                                or (stripped[:1] in (b"{", b"[") and len(body) > 20))
    return (response.status // 100 == 2 and len(body) > 2 and
            response.headers.get("content-type", "").startswith("application/octet-stream") and not text and
            (body[:2] == b"\x1f\x8b" or body[0] & 7 < 6))


def check_scrape(address, target, collector, directory, pid):
    started = time.time_ns()
    response = collector_request(address, target, collector)
    check(alloy_keeps(response), f"{collector} {target}: {response.status} {response.headers} {response.body[:80]!r}")
    check(response.body[:2] == b"\x1f\x8b", f"{collector} {target}: not gzip'd")
    path = os.path.join(directory, f"{collector}{target.replace('/', '_').replace('?', '_')}.pb.gz")
    with open(path, "wb") as out:
        out.write(response.body)
    time_nanos, duration_nanos = profile_times(gzip.decompress(response.body))
    if "seconds=" in target:
        check(time_nanos >= started and 1e9 <= duration_nanos < 3e9,
              f"{collector} {target}: a window from {time_nanos} lasting {duration_nanos} ns")
    else:
        check(time_nanos >= started and duration_nanos == 0,
              f"{collector} {target}: taken at {time_nanos} (asked at {started}), duration {duration_nanos}")
    env = dict(os.environ, TZ="UTC")
    env.pop("LD_PRELOAD", None)
    # What the program holds: a window of an idle program allocates nothing.
    ours = subprocess.run([CLI, "top", "-sample_index=inuse_space", path], env=env, capture_output=True, text=True,
                          timeout=120)
    go = pprof(path, "-top", "-sample_index=inuse_space")
    check(ours.returncode == 0 and ours.stdout == go and "keep_work" in go and
          f"\nProcess: serve_target, pid {pid}\n" in go,
          f"{collector} {target}:\n--- go tool pprof\n{go}--- heapprof\n{ours.stdout}{ours.stderr}")


def check_other_defaults(address):
    for target in OTHER_DEFAULTS:
        for collector in COLLECTORS:
            started = time.monotonic()
            response = collector_request(address, target, collector)
            took = time.monotonic() - started
            check(response.status == 404 and response.text() == "Unknown profile\n" and took < 1,
                  f"{collector} {target}: {response.status} {response.body[:80]!r} after {took:.2f} s")


def check_many_hosts(addresses, pids, directory):
    """go tool pprof -top URL URL: the processes' profiles merged."""
    shown = pprof_url([f"http://{address}/debug/pprof/heap" for address in addresses], "-top",
                      "-sample_index=alloc_objects", directory=directory)
    for pid in pids:
        check(f"\nProcess: serve_target, pid {pid}\n" in shown, f"two processes merged:\n{shown}")
    check(re.search(r"^\s+30\s.*keep_work$", shown, re.MULTILINE), f"10 and 20 blocks merged:\n{shown}")


def check_worker_targets(directory):
    with open(FLEET_DOC) as doc:
        command = next(line for line in doc if line.startswith("sed -n 's|^heapprof: serving"))
    server = Program({"HEAPPROF_HTTP": "127.0.0.1:0"}, argv=[program("prefork")], cwd=directory)
    try:
        server.wait_for_line("ready\n")
        announced = {pid: address for address, pid in server.served_addresses(count=5)}
        with open(os.path.join(directory, "server.err"), "w") as err:
            err.write(server.stderr() + "\n")
        subprocess.run(["sh", "-c", command], cwd=directory, check=True, timeout=60)
        with open(os.path.join(directory, "targets.json")) as listed:
            targets = json.load(listed)
        found = {int(group["labels"]["pid"]): group["targets"][0] for group in targets}
        check(found == announced, f"targets.json lists {found}, the server announced {announced}")
        for pid, address in found.items():
            path = save_profile(address, "/debug/pprof/heap", os.path.join(directory, f"target.{pid}.pb.gz"))
            check(pprof(path, "-comments") == f"Process: prefork, pid {pid}\n", f"{address} is not pid {pid}")
        server.finish()
    finally:
        server.kill()


with scratch_dir() as directory:
    check_worker_targets(directory)
    programs = [Program({"HEAPPROF_RATE": "1", "HEAPPROF_HTTP": "127.0.0.1:0"}, cwd=directory) for _ in range(2)]
    try:
        for count, served in zip((10, 20), programs):
            served.command(f"keep {count} 512")
        addresses = [served.address() for served in programs]
        for collector in COLLECTORS:
            for target in PROFILES + ("/debug/pprof/allocs?seconds=1",):
                check_scrape(addresses[0], target, collector, directory, programs[0].pid)
        check_other_defaults(addresses[0])
        check_many_hosts(addresses, [served.pid for served in programs], directory)
        for served in programs:
            served.finish()
    finally:
        for served in programs:
            served.kill()
print("scrapers: ok")
