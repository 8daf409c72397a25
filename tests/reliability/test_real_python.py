"""python3 (Debian's /usr/bin/python3) running four threads of dict, str and JSON
churn: once at the default rate with Python's own small-object allocator, and once
with PYTHONMALLOC=malloc at HEAPPROF_RATE=4096, so that every object goes through
heapprof and it takes over 100,000 samples from four threads at once."""
import os
from realprog import *

require("python3")
CHURN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "workloads", "churn.py")

for label, env, rounds, minimum, function in (
        ("default rate", {}, "150", 1 << 20, None),
        ("PYTHONMALLOC=malloc, HEAPPROF_RATE=4096",
         {"PYTHONMALLOC": "malloc", "HEAPPROF_RATE": "4096"}, "100", 100 << 20, r"^(PyDict_New|PyUnicode_New|PyList_New|PyObject_Malloc)$"),
):
    log(f"python3 churn.py, {label}")
    with scratch() as root:
        run = Run(root)
        env = dict(env, PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1")
        results = compare(run, [Step(["/usr/bin/python3", CHURN, rounds])], env=env)
        check(results[0].stdout.count("thread ") == 4, f"unexpected output: {results[0].stdout}")
        written = check_processes(run, {"python3"})
        check_readable(run)
        total = check_sampled(run, only(written, "python3"), minimum, function)
        log(f"  python3 profile: {total} bytes allocated (estimated)")
print("real_python: ok")
