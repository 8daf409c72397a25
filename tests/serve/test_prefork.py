"""A prefork server: a master with threads forks four workers that allocate and serve.
Each worker has its own endpoint (a unix socket named with %p, or a free port it
announces) and its own dump thread, never the master's socket; each is fetched while
it runs, and so is the master."""
import signal
from serving import *


def start(env, directory):
    program = Program(dict(env, HEAPPROF_RATE="1"), argv=[program_path], cwd=directory)
    workers = []
    while True:
        line = program.process.stdout.readline()
        check(line != "", f"the master ended early: {program.stderr()}")
        if line == "ready\n":
            return program, workers
        workers.append(int(line.split()[1]))


def allocated(profile):
    return {name: flat for name, (flat, _) in top(profile, "alloc_objects").items()}


def check_worker(address, index, pid, directory, name):
    # A worker serves from its start, while it still allocates its blocks: fetched
    # again until they are all there, or for 20 s.
    deadline = time.monotonic() + 20
    while True:
        path = save_profile(address, "/debug/pprof/heap", os.path.join(directory, name))
        counts = allocated(path)
        if counts.get("worker_work") == (index + 1) * 50 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    check(pprof(path, "-comments") == f"Process: prefork, pid {pid}\n",
          f"worker {index}'s profile names another process: {pprof(path, '-comments')!r}")
    check(counts.get("worker_work") == (index + 1) * 50, f"worker {index}: {counts}")
    check(counts.get("master_work") == 100, f"worker {index} inherited the master's samples: {counts}")


def check_master(address, directory):
    counts = allocated(save_profile(address, "/debug/pprof/heap", os.path.join(directory, "master.pb.gz")))
    check(counts.get("master_work") == 100 and "worker_work" not in counts, f"master: {counts}")
    check(counts.get("master_thread_work", 0) > 0, f"master's threads: {counts}")


def wait_for(path, seconds=20):
    deadline = time.monotonic() + seconds
    while not os.path.exists(path):
        check(time.monotonic() < deadline, f"{path} did not appear")
        time.sleep(0.02)


program_path = program("prefork")

with scratch_dir() as directory:
    env = {"HEAPPROF_HTTP": "unix:p.%p.sock", "HEAPPROF_DUMP_SIGNAL": "SIGUSR2",
           "HEAPPROF_OUT": os.path.join(directory, "dump.%p.%n.pb.gz")}
    master, workers = start(env, directory)
    try:
        check(len(workers) == 4, f"workers: {workers}")
        for index, pid in enumerate(workers):
            path = os.path.join(directory, f"p.{pid}.sock")
            wait_for(path)
            check_worker("unix:" + path, index, pid, directory, f"worker{index}.pb.gz")
            sockets = socket_descriptors(pid)
            check(len(sockets) == 1, f"worker {index} holds more than its own socket: {sockets}")
            check_ours_kept_high(pid)
        check_master(f"unix:{directory}/p.{master.pid}.sock", directory)
        # The worker's own dump thread writes on the signal it inherited.
        os.kill(workers[2], signal.SIGUSR2)
        dumped = os.path.join(directory, f"dump.{workers[2]}.0.pb.gz")
        wait_for(dumped)
        check(allocated(dumped).get("worker_work") == 150, f"worker 2's dump: {allocated(dumped)}")
        output = master.finish(status=0)
        check(output.endswith("4 workers exited 0\n"), f"the master's output: {output!r}")
        check(master.heapprof_lines() == [], f"heapprof lines: {master.heapprof_lines()}")
        leftovers = [name for name in os.listdir(directory) if name.endswith(".sock")]
        check(leftovers == [], f"socket files left after exit: {leftovers}")
    finally:
        master.kill()

    master, workers = start({"HEAPPROF_HTTP": "127.0.0.1:0"}, directory)
    try:
        served = dict((pid, address) for address, pid in master.served_addresses(count=5))
        check(sorted(served) == sorted(workers + [master.pid]), f"announced: {served}, workers {workers}")
        check(len(set(served.values())) == 5, f"ports shared: {served}")
        for index, pid in enumerate(workers):
            shown = pprof_url(f"http://{served[pid]}/debug/pprof/heap", "-top", "-sample_index=alloc_objects",
                              directory=directory)
            check("worker_work" in shown, f"worker {index} by go tool pprof:\n{shown}")
            check_worker(served[pid], index, pid, directory, f"tcp-worker{index}.pb.gz")
        check_master(served[master.pid], directory)
        master.finish(status=0)
    finally:
        master.kill()
print("prefork: ok")
