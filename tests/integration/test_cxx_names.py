"""C++ names in a profile the library writes, as go tool pprof shows them (issue #18):
a lambda, a templated operator and an inheriting constructor (which libiberty names
after its base class), and three functions whose mangled names demangle to gigabytes,
through std::pair-like types nested 28 times: in the parameters (pprof's name, the
parameters never read), in a class's template arguments and in the enclosing function
of a lambda (beyond the demangler's bounds: the library leaves these mangled, and
pprof, reading them, demangles them itself). The dump at exit takes moments; it took
__cxa_demangle minutes and gigabytes for each. heapprof top shows each function by
pprof's name, or the two mangled."""
import time
from harness import *

CLI = os.path.join(os.environ["HEAPPROF_BUILD_ROOT"], "tools", "heapprof")
NAMED = ["main::{lambda(int)#1}::operator()", "names::operator+", "names::Derived::Derived", "names::in_params"]
BEYOND_BOUNDS = {"names::Holder::alloc": "_ZN5names6HolderI",
                 "names::in_lambda(" + ", ".join(["names::P*"] * 28) + ")::{lambda()#1}::operator()":
                     "_ZZN5names9in_lambdaE"}

with scratch_dir() as directory:
    started = time.monotonic()
    same_behaviour([program("templated_names")], cwd=directory,
                   env={"HEAPPROF_RATE": "1", "HEAPPROF_OUT": "names.pb.gz"})
    seconds = time.monotonic() - started
    check(seconds < 30, f"templated_names took {seconds:.0f} s with and without heapprof")
    profile = os.path.join(directory, "names.pb.gz")
    pprof_names = top(profile, "alloc_space")
    for name in NAMED + list(BEYOND_BOUNDS):
        check(name in pprof_names, f"go tool pprof shows no {name} among {sorted(pprof_names)}")
    shown = subprocess.run([CLI, "top", "-sample_index=alloc_space", "-nodecount=1000000", "-nodefraction=0",
                            profile], capture_output=True, text=True).stdout
    for name in NAMED:
        check(re.search(rf"  {re.escape(name)}$", shown, re.M), f"heapprof top shows no {name}:\n{shown}")
    for name, mangled in BEYOND_BOUNDS.items():
        check(re.search(rf"  ({re.escape(name)}|{mangled}\w+)$", shown, re.M),
              f"heapprof top shows neither {name} nor its mangled name:\n{shown}")
print("cxx_names: ok")
