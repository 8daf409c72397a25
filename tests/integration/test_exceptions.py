"""Loading heapprof must not change which unwinder C++ exceptions use: a C program
dlopens C++ code that throws, and _Unwind_RaiseException, _Unwind_Backtrace and
backtrace resolve to the same objects with and without the preload."""
from harness import *

thrower = os.environ["HEAPPROF_THROWER"]
with scratch_dir() as directory:
    result = same_behaviour([program("exceptions_host"), thrower], cwd=directory,
                            env={"HEAPPROF_OUT": "exceptions.pb.gz"})
    check("_Unwind_RaiseException from libgcc_s.so.1" in result.stdout, result.stdout)
    check("_Unwind_Backtrace from libgcc_s.so.1" in result.stdout, result.stdout)
    check("backtrace from libc.so.6" in result.stdout, result.stdout)
    print(result.stdout, result.stderr)
print("exceptions: ok")
