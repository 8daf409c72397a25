"""A function GCC cloned (build_peak.constprop.0) shows as pprof shows it when it
reads DWARF through addr2line: build_peak, with exact counts at rate 1."""
from harness import *

clones = program("clones")
symbols = subprocess.run(["nm", clones], capture_output=True, text=True).stdout
check(re.search(r" t build_peak\.constprop\.0$", symbols, re.M),
      f"{clones} has no build_peak.constprop.0: the compiler did not clone it, so this test proves nothing")
with scratch_dir() as directory:
    result = same_behaviour([clones], cwd=directory,
                            env={"HEAPPROF_RATE": "1", "HEAPPROF_OUT": "clones.pb.gz"})
    expected = expected_rows(result.stdout)
    check(list(expected) == ["build_peak"], f"clones printed {result.stdout}")
    profile = os.path.join(directory, "clones.pb.gz")
    check_exact(profile, expected)
    names = top(profile, "alloc_space")
    check(not any(".constprop" in name for name in names), f"a clone's symbol among {sorted(names)}")
print("clones: ok")
