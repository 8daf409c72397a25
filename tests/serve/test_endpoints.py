"""Go's /debug/pprof heap endpoints as go tool pprof (-top, -seconds, -http), curl and
a browser use them: what each path answers, the ?seconds=N delta, ?debug=1, and that a
profile served is the one a dump at that moment writes (docs/usage.md, "The
endpoint")."""
import signal
import threading
import urllib.request
from serving import *

EXACT = {"HEAPPROF_RATE": "1", "HEAPPROF_HTTP": "127.0.0.1:0"}


def rows(path, sample_index):
    return {name: flat for name, (flat, _) in top(path, sample_index).items()}


def check_paths(address):
    index = request(address, "/debug/pprof/")
    check(index.status == 200 and index.headers["content-type"] == "text/html; charset=utf-8",
          f"index: {index.status} {index.headers}")
    for link in ("href='heap?debug=1'", "href='allocs?debug=1'", "href='heap'", "href='allocs'"):
        check(link in index.text(), f"index has no {link}: {index.text()}")
    head = request(address, "/debug/pprof/", method="HEAD")
    check(head.status == 200 and head.body == b"" and head.headers["content-length"] == str(len(index.body)),
          f"HEAD: {head.status} {head.headers} {head.body[:80]!r}")
    moved = request(address, "/debug/pprof")
    check(moved.status == 301 and moved.headers.get("location") == "/debug/pprof/", f"redirect: {moved.headers}")
    for target, message in (("/debug/pprof/goroutine", "Unknown profile"), ("/debug/pprof/profile", "Unknown profile"),
                            ("/", "404 page not found"), ("/debug/pprof/heap/", "Unknown profile")):
        missing = request(address, target)
        check(missing.status == 404 and missing.text() == message + "\n", f"{target}: {missing.status} {missing.body!r}")
    for method in ("POST", "PUT", "DELETE", "OPTIONS"):
        refused = request(address, "/debug/pprof/heap", method=method)
        check(refused.status == 405 and refused.headers.get("allow") == "GET, HEAD",
              f"{method}: {refused.status} {refused.headers}")
    for target in ("/debug/pprof/heap?seconds=0", "/debug/pprof/heap?seconds=-1", "/debug/pprof/heap?seconds=x",
                   "/debug/pprof/allocs?seconds=1.5", "/debug/pprof/allocs?seconds=3601",
                   "/debug/pprof/heap?seconds=1&debug=1"):
        refused = request(address, target)
        check(refused.status == 400, f"{target}: status {refused.status}")
    profile = request(address, "/debug/pprof/heap?gc=1")
    check(profile.status == 200 and profile.headers.get("content-disposition") == 'attachment; filename="heap"',
          f"gc=1: {profile.status} {profile.headers}")
    check(request(address, "/debug/pprof/%68eap").status == 200, "an escaped path is decoded")
    check(request(address, "http://127.0.0.1/debug/pprof/allocs").status == 200, "absolute form")


def check_text(address):
    for name, order in (("heap", "inuse_space"), ("allocs", "alloc_space")):
        text = request(address, f"/debug/pprof/{name}?debug=1")
        check(text.status == 200 and text.headers["content-type"] == "text/plain; charset=utf-8",
              f"{name}?debug=1: {text.status} {text.headers}")
        body = text.text()
        for line in ("total_alloc_bytes: ", "inuse_bytes_estimate: ", "samples: ", "rate: 1\n",
                     f"sites with the most {order}", "keep_work"):
            check(line in body, f"{name}?debug=1 has no {line!r}:\n{body}")
        sites = re.findall(r"^(\d+) bytes in \d+ objects in use, (\d+) bytes in \d+ objects allocated", body, re.M)
        ranked = [int(site[0 if name == "heap" else 1]) for site in sites]
        check(len(set(ranked)) > 1 and ranked == sorted(ranked, reverse=True),
              f"{name}?debug=1 does not list the most {order} first: {ranked}")


def check_threads_in_one_row(directory):
    """Each thread samples into sites of its own: ?debug=1 still shows a stack and size
    that eight threads allocated at as one row, with all their blocks."""
    program = Program(dict(EXACT, HEAPPROF_OUT=os.path.join(directory, "pool.pb.gz")))
    try:
        program.command("pool 8 50 3000")
        body = request(program.address(), "/debug/pprof/heap?debug=1").text()
        rows = re.split(r"^(?=\d+ bytes in )", body, flags=re.M)
        pool = [row for row in rows if "pool_work" in row]
        check(len(pool) == 1 and pool[0].startswith("1200000 bytes in 400 objects in use"),
              f"pool_work's rows:\n{''.join(pool)}")
        program.finish()
    finally:
        program.kill()


def check_profiles(address, directory):
    heap = save_profile(address, "/debug/pprof/heap", os.path.join(directory, "heap.pb.gz"))
    check(rows(heap, "inuse_space").get("keep_work") == 100 * 4096, f"heap: {rows(heap, 'inuse_space')}")
    check(rows(heap, "alloc_objects").get("keep_work") == 100, f"heap: {rows(heap, 'alloc_objects')}")
    check_readable(heap, "keep_work")
    raw = pprof(heap, "-raw")
    check("\nTime: " in raw and "\nDuration: " not in raw, f"not stamped as Go stamps a heap profile:\n{raw[:300]}")
    url = f"http://{address}/debug/pprof"
    shown = pprof_url(url + "/heap", "-top", directory=directory)
    check("Type: inuse_space" in shown and "keep_work" in shown, f"go tool pprof -top heap:\n{shown}")
    shown = pprof_url(url + "/allocs", "-top", directory=directory)
    check("Type: alloc_space" in shown and "keep_work" in shown, f"go tool pprof -top allocs:\n{shown}")
    with gzip.open(io.BytesIO(curl("--fail", url + "/heap"))) as unzipped:
        check(len(unzipped.read()) > 100, "curl: an empty profile")


def check_delta(program, address, directory):
    """A window: allocations made during it, and what is in use at its end."""
    program.command("keep 30 2048")
    fetched = {}

    def fetch():
        fetched["profile"] = save_profile(address, "/debug/pprof/allocs?seconds=2",
                                          os.path.join(directory, "delta.pb.gz"))

    fetcher = threading.Thread(target=fetch)
    fetcher.start()
    time.sleep(0.5)
    program.command("release")
    program.command("window 50 8192")
    fetcher.join(timeout=30)
    delta = fetched["profile"]
    allocated = rows(delta, "alloc_objects")
    in_use = rows(delta, "inuse_objects")
    check(allocated.get("window_work") == 50 and allocated.get("keep_work", 0) == 0,
          f"allocations in the window: {allocated}")
    check(in_use.get("window_work") == 50 and in_use.get("keep_work", 0) == 0, f"in use at its end: {in_use}")
    shown = pprof(delta, "-top")
    check("Type: alloc_space" in shown and "Duration: 2" in shown, f"the delta's header:\n{shown}")
    shown = pprof_url(f"http://{address}/debug/pprof/allocs", "-seconds", "2", "-top", directory=directory)
    check("Type: alloc_space" in shown and "Please wait... (2s)" in shown, f"go tool pprof -seconds:\n{shown}")
    shown = pprof_url(f"http://{address}/debug/pprof/heap", "-seconds", "1", "-top", directory=directory)
    check("Type: inuse_space" in shown and "window_work" in shown, f"heap -seconds:\n{shown}")


def check_window_limit(address):
    """Eight windows at once (docs/usage.md): a ninth meanwhile is answered 503, and
    each window's slot is free again once it has its answer."""
    statuses = []
    windows = [threading.Thread(target=lambda: statuses.append(request(address, "/debug/pprof/heap?seconds=3").status))
               for _ in range(8)]
    for window in windows:
        window.start()
    time.sleep(1)
    refused = request(address, "/debug/pprof/heap?seconds=1")
    check(refused.status == 503 and refused.headers.get("retry-after") == "10",
          f"a ninth window: {refused.status} {refused.headers}")
    for window in windows:
        window.join(timeout=30)
    check(statuses == [200] * 8, f"eight windows: {statuses}")
    check(request(address, "/debug/pprof/heap?seconds=1").status == 200, "a window after eight others")


def check_web_ui(address, directory):
    """go tool pprof -http, as a person opens it: the web UI over the endpoint's profile."""
    port = free_port()
    env = dict(os.environ, PPROF_TMPDIR=directory)
    env.pop("LD_PRELOAD", None)
    ui = subprocess.Popen(["go", "tool", "pprof", f"-http=127.0.0.1:{port}", "-no_browser",
                           f"http://{address}/debug/pprof/heap"], env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/ui/top", timeout=10).read().decode()
                break
            except OSError:
                check(ui.poll() is None and time.monotonic() < deadline, "go tool pprof -http did not serve")
                time.sleep(0.2)
        check("keep_work" in page, "the web UI's top has no keep_work")
    finally:
        ui.kill()
        ui.wait()


def raw_without_times(path):
    return [line for line in pprof(path, "-raw").splitlines() if not line.startswith(("Time:", "Duration:"))]


def check_same_as_dump(program, address, directory):
    """Served and dumped at one moment, the two profiles hold the same samples,
    locations, names and mappings."""
    program.process.send_signal(signal.SIGUSR2)
    dumped = os.path.join(directory, "dump.0.pb.gz")
    deadline = time.monotonic() + 20
    while not os.path.exists(dumped):
        check(time.monotonic() < deadline, "the dump did not appear")
        time.sleep(0.02)
    served = save_profile(address, "/debug/pprof/heap", os.path.join(directory, "served.pb.gz"))
    dumped_raw, served_raw = raw_without_times(dumped), raw_without_times(served)
    check(dumped_raw == served_raw, "served and dumped profiles differ:\n" +
          "\n".join(line for line in served_raw if line not in dumped_raw)[:3000])
    check(len(served_raw) > 20, f"go tool pprof -raw shows almost nothing: {served_raw}")


def check_ipv6(directory):
    """[::1]:0 serves on IPv6 loopback and names it so, where the machine has it."""
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        print("no IPv6 loopback here: [::1] not tested")
        return
    program = Program({"HEAPPROF_HTTP": "[::1]:0"}, cwd=directory)
    try:
        address = program.address()
        check(address.startswith("[::1]:"), f"served on {address}")
        check(request(address, "/debug/pprof/heap").status == 200, "no profile over IPv6")
        program.finish()
    finally:
        program.kill()


with scratch_dir() as directory:
    check_ipv6(directory)
    check_threads_in_one_row(directory)
    env = dict(EXACT, HEAPPROF_DUMP_SIGNAL="SIGUSR2", HEAPPROF_OUT=os.path.join(directory, "dump.%n.pb.gz"))
    program = Program(env)
    try:
        program.command("keep 100 4096")
        address = program.address()
        check(address.startswith("127.0.0.1:"), f"served on {address}")
        check_same_as_dump(program, address, directory)
        check_paths(address)
        check_text(address)
        check_profiles(address, directory)
        check_web_ui(address, directory)
        check_delta(program, address, directory)
        check_window_limit(address)
        output = program.finish()
        check(output.count("done ") == 4, f"the program's output: {output!r}")
        lines = program.heapprof_lines()
        check(len(lines) == 1, f"heapprof said more than where it serves: {lines}")
    finally:
        program.kill()
print("endpoints: ok")
