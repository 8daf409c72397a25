"""HEAPPROF_HTTP=unix:PATH: HEAPPROF_OUT's escapes, curl --unix-socket, the file gone
at exit, a stale socket replaced, a live one left alone."""
import stat
from serving import *


def socket_exists(path):
    return os.path.exists(path) and stat.S_ISSOCK(os.stat(path).st_mode)


with scratch_dir() as directory:
    program = Program({"HEAPPROF_HTTP": "unix:heapprof.%e.%p.sock", "HEAPPROF_RATE": "1",
                       "HEAPPROF_OUT": os.path.join(directory, "h.%p.pb.gz")}, cwd=directory)
    try:
        program.command("keep 12 500")
        path = os.path.join(directory, f"heapprof.serve_target.{program.pid}.sock")
        check(socket_exists(path), f"no socket at {path}: {os.listdir(directory)}")
        check(program.heapprof_lines() == [], f"a unix socket is not announced: {program.heapprof_lines()}")
        profile = os.path.join(directory, "curl.pb.gz")
        curl("--fail", "--unix-socket", path, "-o", profile, "http://heapprof/debug/pprof/heap")
        allocated = {name: flat for name, (flat, _) in top(profile, "alloc_objects").items()}
        check(allocated.get("keep_work") == 12, f"over the unix socket: {allocated}")
        text = curl("--fail", "--unix-socket", path, "http://heapprof/debug/pprof/allocs?debug=1").decode()
        check("keep_work" in text, f"?debug=1: {text}")
        check_ours_kept_high(program.pid)
        program.finish(status=0)
        check(not os.path.exists(path), "the socket file is still there after exit")
    finally:
        program.kill()

    # A socket file left by a process that died is replaced; one that is served is not.
    fixed = os.path.join(directory, "fixed.sock")
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(fixed)
    stale.close()
    program = Program({"HEAPPROF_HTTP": "unix:" + fixed}, cwd=directory)
    try:
        program.command("keep 1 10")
        check(request("unix:" + fixed, "/debug/pprof/").status == 200, "not served over the stale socket's path")
        program.finish(status=0)
        check(not os.path.exists(fixed), "the replaced socket file is still there after exit")
    finally:
        program.kill()

    with socket.socket(socket.AF_UNIX) as live:
        live.bind(fixed)
        live.listen()
        program = Program({"HEAPPROF_HTTP": "unix:" + fixed}, cwd=directory)
        try:
            program.command("keep 1 10")
            program.finish(status=0)
            check(program.heapprof_lines() ==
                  [f"heapprof: cannot serve on unix:{fixed}: Address already in use; no endpoint"],
                  f"over a live socket: {program.heapprof_lines()}")
            check(socket_exists(fixed), "a socket heapprof did not make was removed")
        finally:
            program.kill()
print("unix: ok")
