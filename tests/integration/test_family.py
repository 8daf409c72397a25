"""Every malloc-family function returns the same results, contents, alignment and
errno with heapprof as without, at the default rate and at rate 1."""
from harness import *

with scratch_dir() as directory:
    for rate in ("524288", "1"):
        result = same_behaviour([program("family")], cwd=directory,
                                env={"HEAPPROF_RATE": rate, "HEAPPROF_OUT": f"family.{rate}.pb.gz"})
        check("failures: 0" in result.stdout, result.stdout)
        check(not heapprof_lines(result.stderr), f"unexpected diagnostics: {result.stderr}")
    check_readable(os.path.join(directory, "family.1.pb.gz"), "check_sized_frees")
print("family: ok")
