"""The heapprof command on the endpoint's URLs (docs/cli.md, "Input"): top, list, diff
and flame take a URL wherever they take a file and print what go tool pprof prints
from the same URL (but for Time and Duration, which two fetches cannot share);
-seconds N asks for a window as go tool pprof does (seconds=N), -timeout bounds the
wait, and an answer other than 200 is one heapprof: line and exit status 1."""
import concurrent.futures
from serving import *

CLI = os.environ["HEAPPROF_CLI"]


def heapprof(*args, status=0):
    env = dict(os.environ, TZ="UTC")
    env.pop("LD_PRELOAD", None)
    result = subprocess.run([CLI, *args], env=env, capture_output=True, text=True, timeout=120)
    check(result.returncode == status, f"heapprof {' '.join(args)}: exit {result.returncode}, want {status}\n"
                                       f"{result.stdout}{result.stderr}")
    return result


def untimed(report):
    return [line for line in report.splitlines() if not line.startswith(("Time:", "Duration:"))]


def check_same(ours, go, what):
    check(untimed(ours) == untimed(go), f"{what}:\n--- go tool pprof\n{go}--- heapprof\n{ours}")


def go_report(directory, *args):
    """go tool pprof's stdout alone: what it says of fetching goes to stderr."""
    env = dict(os.environ, TZ="UTC", PPROF_TMPDIR=directory)
    env.pop("LD_PRELOAD", None)
    result = subprocess.run(["go", "tool", "pprof", *args], env=env, capture_output=True, text=True, timeout=240)
    check(result.returncode == 0, f"go tool pprof {' '.join(args)}:\n{result.stderr}")
    return result.stdout


def check_reports(url, directory):
    for flags in ([], ["-sample_index=alloc_objects"], ["-nodecount=3", "-cum"]):
        result = heapprof("top", *flags, url + "/heap")
        check(result.stderr == f"Fetching profile over HTTP from {url}/heap\n", f"top's notes: {result.stderr!r}")
        check_same(result.stdout, go_report(directory, "-top", *flags, url + "/heap"), f"top {flags}")
    check_same(heapprof("list", "keep_work", url + "/heap").stdout,
               go_report(directory, "-list", "keep_work", url + "/heap"), "list keep_work")
    svg = os.path.join(directory, "flame.svg")
    heapprof("flame", url + "/heap", "-o", svg)
    with open(svg) as drawn:
        check("keep_work" in drawn.read(), "the flame graph has no keep_work")


def check_diff(program, url, directory):
    before = save_profile(url[len("http://"):].split("/")[0], "/debug/pprof/heap",
                          os.path.join(directory, "before.pb.gz"))
    program.command("window 30 2048")
    flags = ["-sample_index=alloc_objects"]
    ours = heapprof("diff", *flags, before, url + "/heap").stdout
    check(re.search(r"^\s+30\s.*window_work$", ours, re.MULTILINE), f"diff:\n{ours}")
    check_same(ours, go_report(directory, "-top", *flags, "-base", before, url + "/heap"), "diff")
    check_same(heapprof("top", *flags, "-base", url + "/heap", url + "/heap").stdout,
               go_report(directory, "-top", *flags, "-base", url + "/heap", url + "/heap"), "top -base URL URL")


def check_seconds(program, url, directory):
    """A window's allocations, asked for as go tool pprof asks: -seconds adds seconds=N."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        window = pool.submit(heapprof, "top", "-seconds", "2", "-sample_index=alloc_objects", url + "/allocs")
        time.sleep(0.5)
        program.command("window 50 8192")
        result = window.result()
        took = time.monotonic() - started
    check(result.stderr == f"Fetching profile over HTTP from {url}/allocs?seconds=2\nPlease wait... (2s)\n",
          f"-seconds 2: {result.stderr!r}")
    check(2 <= took < 10, f"a 2 s window took {took:.1f} s")
    check(re.search(r"^\s+50\s.*window_work$", result.stdout, re.MULTILINE) and "keep_work" not in result.stdout,
          f"the window's allocations:\n{result.stdout}")
    ours = heapprof("top", "-seconds", "1", url + "/heap").stdout
    check_same(ours, go_report(directory, "-seconds", "1", "-top", url + "/heap"), "top -seconds 1")
    check("\nDuration: 1" in ours, f"a window's duration:\n{ours}")


def check_refusals(url):
    result = heapprof("top", url + "/goroutine", status=1)
    check(result.stderr.splitlines()[-1] == f"heapprof: {url}/goroutine: server response: 404 Not Found",
          f"a 404: {result.stderr!r}")
    result = heapprof("top", "-seconds", "3601", url + "/allocs", status=1)
    check(result.stderr.endswith(f"heapprof: {url}/allocs?seconds=3601: server response: 400 Bad Request\n"),
          f"a 400: {result.stderr!r}")
    started = time.monotonic()
    result = heapprof("top", "-seconds", "10", "-timeout", "1", url + "/allocs", status=1)
    took = time.monotonic() - started
    check("timed out" in result.stderr and 5 < took < 9, f"-timeout 1 on a 10 s window: {took:.1f} s, {result.stderr!r}")


with scratch_dir() as directory:
    program = Program({"HEAPPROF_RATE": "1", "HEAPPROF_HTTP": "127.0.0.1:0"}, cwd=directory)
    try:
        program.command("keep 100 4096")
        url = f"http://{program.address()}/debug/pprof"
        check_reports(url, directory)
        check_diff(program, url, directory)
        check_seconds(program, url, directory)
        check_refusals(url)
        program.finish()
    finally:
        program.kill()
print("cli_urls: ok")
