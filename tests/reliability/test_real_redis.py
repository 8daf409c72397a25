"""redis-server (Debian's, on jemalloc) on 127.0.0.1 and a free port from 6390 under
redis-benchmark: 100,000 requests each of SET, GET, LPUSH and LPOP, client commands
before and after, then SHUTDOWN NOSAVE. Done once without and once with the preload:
the clients' output (benchmark figures normalised), the server's log (pids and times
normalised) and every exit status must match; every request rate must be positive;
the server, the benchmark and each redis-cli must leave a profile."""
import re
import socket
import subprocess
import time
from realprog import *

require("redis-server", "redis-benchmark", "redis-cli")
REQUESTS = 100000
TESTS = ("SET", "GET", "LPUSH", "LPOP")
RESULT = re.compile(r"^([A-Z]+): ([0-9.]+) requests per second")


def free_port():
    for port in range(6390, 6490):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    fail("no free TCP port in 6390-6489 on 127.0.0.1")


def benchmark_results(stdout):
    """{test: requests per second} from the final lines of redis-benchmark -q."""
    rates = {}
    for line in re.split(r"[\r\n]", stdout):
        match = RESULT.match(line.strip())
        if match:
            rates[match.group(1)] = float(match.group(2))
    return rates


def normalize_benchmark(stdout):
    return "\n".join(f"{name}: N requests per second" for name in benchmark_results(stdout))


def normalize_log(text):
    lines = []
    for line in text.splitlines():
        line = re.sub(r"^\d+:[A-Z] \d+ \w+ \d+ [\d:.]+ ", "", line)
        lines.append(re.sub(r"pid=\d+", "pid=N", line))
    return "\n".join(lines)


def session(run, port, profiled):
    """Runs server and clients; returns ([(what, status, compared stdout)], rates)."""
    env = run.env({})
    preload = [LIB, PROCLOG_LIB] if profiled else False
    server_env = dict(os.environ)
    server_env.pop("LD_PRELOAD", None)
    server_env.update(env)
    if profiled:
        server_env["LD_PRELOAD"] = " ".join(preload)
    os.makedirs(run.work, exist_ok=True)
    server_log = open(os.path.join(run.root, f"server-{int(profiled)}.log"), "w+")
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--daemonize", "no", "--loglevel", "warning", "--dir", run.work],
        env=server_env, stdout=server_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    outputs = []

    def client(argv, normalize=None, timeout=120):
        result = harness.run(argv, preload=preload, env=env, cwd=run.work, timeout=timeout)
        if profiled:
            stray = harness.heapprof_lines(result.stderr)
            check(not stray, f"{' '.join(argv)}: heapprof printed on stderr:\n" + "\n".join(stray))
        outputs.append((" ".join(argv), result.returncode, (normalize or str)(result.stdout)))
        return result

    try:
        deadline = time.monotonic() + 30
        while True:
            check(server.poll() is None, f"redis-server exited {server.returncode} at start "
                                         f"({'with' if profiled else 'without'} heapprof)")
            ping = harness.run(["redis-cli", "-p", str(port), "ping"], preload=False, env=env, timeout=10)
            if ping.stdout.strip() == "PONG":
                break
            check(time.monotonic() < deadline, "redis-server did not answer PING within 30s")
            time.sleep(0.2)
        cli = ["redis-cli", "-p", str(port)]
        client(cli + ["set", "greeting", "hello"])
        client(cli + ["rpush", "fruits", "apple", "banana", "cherry"])
        client(cli + ["lrange", "fruits", "0", "-1"])
        benchmark = client(["redis-benchmark", "-q", "-n", str(REQUESTS), "-p", str(port), "-h", "127.0.0.1",
                            "-t", ",".join(TESTS).lower()], normalize=normalize_benchmark, timeout=240)
        client(cli + ["dbsize"])
        client(cli + ["llen", "mylist"])
        client(cli + ["get", "greeting"])
        client(cli + ["shutdown", "nosave"])
        try:
            status = server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            fail(f"redis-server still running 60s after SHUTDOWN ({'with' if profiled else 'without'} heapprof)")
        server_log.seek(0)
        outputs.append(("redis-server", status, normalize_log(server_log.read())))
        return outputs, benchmark_results(benchmark.stdout)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        server_log.close()


with scratch() as root:
    run = Run(root)
    port = free_port()
    log(f"redis-server on 127.0.0.1:{port}")
    plain, plain_rates = session(run, port, profiled=False)
    for what, status, _ in plain:
        check(status == 0, f"without heapprof: {what} exited {status}")
    port = free_port()
    profiled, rates = session(run, port, profiled=True)
    for (what, before_status, before), (_, after_status, after) in zip(plain, profiled):
        what = re.sub(r"-p \d+", "-p PORT", what)
        check(before_status == after_status,
              f"{what}: exit status {after_status} under heapprof, {before_status} without")
        check(before == after, f"{what}: output differs under heapprof:\n--- without\n{before}\n--- with\n{after}")
    for name in TESTS:
        check(rates.get(name, 0) > 0, f"benchmark under heapprof: {name} rate {rates.get(name)}; all: {rates}")
        check(plain_rates.get(name, 0) > 0, f"benchmark without heapprof: {name} rate {plain_rates.get(name)}")
    log("requests per second without / with heapprof: " +
        ", ".join(f"{name} {plain_rates[name]:.0f} / {rates[name]:.0f}" for name in TESTS))
    written = check_processes(run, {"redis-server", "redis-benchmark", "redis-cli"})
    server_profile = only(written, "redis-server")
    check_readable(run)
    # 400,000 requests allocate hundreds of MB through redis's zmalloc wrappers.
    total = check_sampled(run, server_profile, 16 << 20, r"^z(malloc|calloc|realloc)")
    log(f"redis-server profile: {total} bytes allocated (estimated)")
print("real_redis: ok")
